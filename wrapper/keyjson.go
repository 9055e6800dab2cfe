package wrapper

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// The wire forms below hold the API's JSON. Decoding is single-pass: a key,
// its "key" union included, is decoded once into keyWire, whose material
// holds the fields of every known variant plus the kind; the variant is then
// picked by kind. Only for a kind the library does not know is the "key"
// object read a second time, to keep its raw bytes.

type keyWire struct {
	APIVersion  string         `json:"api_version,omitempty"`
	Kind        string         `json:"kind,omitempty"`
	ID          string         `json:"id,omitempty"`
	Metadata    metadataWire   `json:"metadata,omitzero"`
	DisplayName string         `json:"display_name,omitempty"`
	Key         materialWire   `json:"key,omitzero"`
	Provider    string         `json:"provider,omitempty"`
	State       string         `json:"state,omitempty"`
	Validation  validationWire `json:"validation,omitzero"`
}

type metadataWire struct {
	Self         string    `json:"self,omitempty"`
	ResourceName string    `json:"resource_name,omitempty"`
	CreatedAt    time.Time `json:"created_at,omitzero"`
	UpdatedAt    time.Time `json:"updated_at,omitzero"`
	DeletedAt    time.Time `json:"deleted_at,omitzero"`
}

type validationWire struct {
	Phase   string    `json:"phase,omitempty"`
	Message string    `json:"message,omitempty"`
	Since   time.Time `json:"since,omitzero"`
	Region  string    `json:"region,omitempty"`
}

// materialWire is the "key" object: the fields of all variants at once.
type materialWire struct {
	Kind          string   `json:"kind"`
	KeyARN        string   `json:"key_arn,omitempty"`
	Roles         []string `json:"roles,omitempty"`
	KeyID         string   `json:"key_id,omitempty"`
	KeyVaultID    string   `json:"key_vault_id,omitempty"`
	TenantID      string   `json:"tenant_id,omitempty"`
	ApplicationID string   `json:"application_id,omitempty"`
	SecurityGroup string   `json:"security_group,omitempty"`
}

// rawMaterial is used for the second read of a key of unknown kind.
type rawMaterial struct {
	Key json.RawMessage `json:"key"`
}

// errNoKind is the error of a key whose material has no kind.
var errNoKind = errors.New(`the "key" object has no "kind"`)

// toKey converts a decoded key. known is false for a kind the library does
// not know; the caller then fills in the raw material.
func (w *keyWire) toKey() (k Key, known bool, err error) {
	k = Key{
		APIVersion:  w.APIVersion,
		Kind:        w.Kind,
		ID:          w.ID,
		DisplayName: w.DisplayName,
		Provider:    Provider(w.Provider),
		State:       State(w.State),
		Validation: Validation{
			Phase:   Phase(w.Validation.Phase),
			Message: w.Validation.Message,
			Since:   w.Validation.Since,
			Region:  w.Validation.Region,
		},
		Metadata: Metadata(w.Metadata),
	}
	m := &w.Key
	switch m.Kind {
	case KindAWS:
		k.Material = AWSKey{KeyARN: m.KeyARN, Roles: m.Roles}
	case KindAzure:
		k.Material = AzureKey{KeyID: m.KeyID, KeyVaultID: m.KeyVaultID, TenantID: m.TenantID, ApplicationID: m.ApplicationID}
	case KindGCP:
		k.Material = GCPKey{KeyID: m.KeyID, SecurityGroup: m.SecurityGroup}
	case "":
		return k, true, errNoKind
	default:
		k.Material = UnknownKey{KindName: m.Kind}
		return k, false, nil
	}
	return k, true, nil
}

// decodeKey decodes one key from b.
func decodeKey(b []byte) (Key, error) {
	var w keyWire
	if err := json.Unmarshal(b, &w); err != nil {
		return Key{}, describeJSONError(err)
	}
	k, known, err := w.toKey()
	if err != nil || known {
		return k, err
	}
	var raw rawMaterial
	if err := json.Unmarshal(b, &raw); err != nil {
		return Key{}, describeJSONError(err)
	}
	k.Material = UnknownKey{KindName: w.Key.Kind, Raw: raw.Key}
	return k, nil
}

// describeJSONError turns a decoding error into one that says where the JSON
// went wrong.
func describeJSONError(err error) error {
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) {
		field := typeErr.Field
		if field == "" {
			field = "(top level)"
		}
		return fmt.Errorf("field %s: got a JSON %s, expected %s", field, typeErr.Value, typeErr.Type)
	}
	return err
}

// UnmarshalJSON decodes a key in the API's JSON form. A kind of key material
// the library does not know becomes an UnknownKey; a "key" object without a
// kind is an error.
func (k *Key) UnmarshalJSON(b []byte) error {
	d, err := decodeKey(b)
	if err != nil {
		return fmt.Errorf("decoding a key: %w", err)
	}
	*k = d
	return nil
}

// keyOut is the API's JSON form of a key for encoding; Key holds either a
// materialWire or the raw object of an unknown kind.
type keyOut struct {
	APIVersion  string         `json:"api_version,omitempty"`
	Kind        string         `json:"kind,omitempty"`
	ID          string         `json:"id,omitempty"`
	Metadata    metadataWire   `json:"metadata,omitzero"`
	DisplayName string         `json:"display_name,omitempty"`
	Key         any            `json:"key,omitempty"`
	Provider    string         `json:"provider,omitempty"`
	State       string         `json:"state,omitempty"`
	Validation  validationWire `json:"validation,omitzero"`
}

// MarshalJSON encodes the key in the API's JSON form, with the API's field
// names (api_version, id, metadata, display_name, key, provider, state,
// validation). Empty fields are left out; an UnknownKey is written as it was
// received.
func (k Key) MarshalJSON() ([]byte, error) {
	out := keyOut{
		APIVersion:  k.APIVersion,
		Kind:        k.Kind,
		ID:          k.ID,
		Metadata:    metadataWire(k.Metadata),
		DisplayName: k.DisplayName,
		Provider:    string(k.Provider),
		State:       string(k.State),
		Validation: validationWire{
			Phase:   string(k.Validation.Phase),
			Message: k.Validation.Message,
			Since:   k.Validation.Since,
			Region:  k.Validation.Region,
		},
	}
	if k.Material != nil {
		m, err := materialJSON(k.Material, true)
		if err != nil {
			return nil, err
		}
		out.Key = m
	}
	return json.Marshal(out)
}

// materialJSON returns the value to encode as the "key" object. Read-only
// fields (roles, application_id, security_group) are included only when
// readOnly is true; requests never send them.
func materialJSON(m KeyMaterial, readOnly bool) (any, error) {
	if isNilMaterial(m) {
		return nil, errors.New("key material is a nil pointer")
	}
	switch v := m.(type) {
	case *AWSKey:
		return materialJSON(*v, readOnly)
	case *AzureKey:
		return materialJSON(*v, readOnly)
	case *GCPKey:
		return materialJSON(*v, readOnly)
	case *UnknownKey:
		return materialJSON(*v, readOnly)
	case AWSKey:
		w := materialWire{Kind: KindAWS, KeyARN: v.KeyARN}
		if readOnly {
			w.Roles = v.Roles
		}
		return w, nil
	case AzureKey:
		w := materialWire{Kind: KindAzure, KeyID: v.KeyID, KeyVaultID: v.KeyVaultID, TenantID: v.TenantID}
		if readOnly {
			w.ApplicationID = v.ApplicationID
		}
		return w, nil
	case GCPKey:
		w := materialWire{Kind: KindGCP, KeyID: v.KeyID}
		if readOnly {
			w.SecurityGroup = v.SecurityGroup
		}
		return w, nil
	case UnknownKey:
		if len(v.Raw) > 0 && json.Valid(v.Raw) {
			return v.Raw, nil
		}
		return map[string]string{"kind": v.KindName}, nil
	}
	return nil, fmt.Errorf("key material of type %T is not one of AWSKey, AzureKey, GCPKey, UnknownKey", m)
}

// isNilMaterial reports whether m holds a nil pointer to a variant.
func isNilMaterial(m KeyMaterial) bool {
	switch v := m.(type) {
	case *AWSKey:
		return v == nil
	case *AzureKey:
		return v == nil
	case *GCPKey:
		return v == nil
	case *UnknownKey:
		return v == nil
	}
	return false
}
