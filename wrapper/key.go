package wrapper

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"

	"github.com/byokctl/byok/api"
)

// Provider is the cloud provider of a key, the generated api.KeyProvider:
// "AWS" (ProviderAWS), "Azure" (ProviderAzure) or "GCP" (ProviderGCP), the
// values the API documents. The list is extensible, so any other value a
// newer server sends is kept as it came.
type Provider = api.KeyProvider

// The documented providers.
const (
	ProviderAWS   Provider = api.KeyProviderAWS
	ProviderAzure Provider = api.KeyProviderAzure
	ProviderGCP   Provider = api.KeyProviderGCP
)

// State says whether a key is used by a cluster, the generated api.KeyState:
// "AVAILABLE" (StateAvailable) or "IN_USE" (StateInUse). Values other than
// these are kept as they came.
type State = api.KeyState

// The documented states.
const (
	// StateAvailable: the key can be used to provision a Kafka cluster.
	StateAvailable State = api.KeyStateAVAILABLE
	// StateInUse: a Kafka cluster already uses the key.
	StateInUse State = api.KeyStateINUSE
)

// Phase is the validation phase of a key, the generated
// api.KeyValidationPhase: "INITIALIZING" (PhaseInitializing), "VALID"
// (PhaseValid) or "INVALID" (PhaseInvalid). Values other than these are kept
// as they came; WaitForValidation keeps polling on them.
type Phase = api.KeyValidationPhase

// The documented validation phases.
const (
	// PhaseInitializing: a new key awaiting its first successful validation.
	PhaseInitializing Phase = api.KeyValidationPhaseINITIALIZING
	// PhaseValid: the last validation attempt succeeded.
	PhaseValid Phase = api.KeyValidationPhaseVALID
	// PhaseInvalid: the last validation attempt failed; Validation.Message
	// says why.
	PhaseInvalid Phase = api.KeyValidationPhaseINVALID
)

// Key is a customer-managed key registered with Confluent Cloud.
//
// Its fields are those of the generated model, api.Key, as plain values: ID
// (such as "cck-12345"), DisplayName (the only field UpdateKey changes),
// Provider, State, Validation, Metadata (URL, name and timestamps), and the
// resource's constant APIVersion and Kind. A property the spec gains becomes
// a field there by make generate alone. Beside them are the two fields a
// generator cannot give. Material is the cloud-specific "key" object as a Go
// type: exactly one of the values (never pointers) AWSKey, AzureKey, GCPKey
// or UnknownKey. Use a type switch:
//
//	switch m := key.Material.(type) {
//	case wrapper.AWSKey:
//		fmt.Println(m.KeyARN, m.Roles)
//	case wrapper.UnknownKey:
//		fmt.Println("a newer kind:", m.MaterialKind())
//	}
//
// The generated form of that object, Key.Key (an api.KeyDetails), is left
// empty when a key is decoded: Material replaces it. Raw is the key's JSON as
// the server sent it.
//
// A Key is decoded once, when it is received.
type Key struct {
	api.Key
	// Material is the cloud-specific key: an AWSKey, AzureKey, GCPKey or
	// UnknownKey.
	Material KeyMaterial
	// Raw is the key's JSON as the server sent it, byte for byte but for a
	// credential of the request the server echoed, which reads
	// "[redacted]" (as in APIError); empty for a Key the program built
	// itself. Properties a newer server adds that this version's api.Key
	// does not have are found only here. MarshalJSON writes it back as it
	// came.
	Raw json.RawMessage
}

// Identifier returns the cloud's identifier of the key: the key ARN for AWS,
// the key id for Azure and GCP, and for an unknown kind its "key_arn" or
// "key_id" field when it has one.
func (k Key) Identifier() string {
	m, err := materialValue(k.Material)
	if err != nil {
		return ""
	}
	switch m := m.(type) {
	case AWSKey:
		return m.KeyARN
	case AzureKey:
		return m.KeyID
	case GCPKey:
		return m.KeyID
	case UnknownKey:
		return m.identifier()
	}
	return ""
}

// Validation is the validation state of a key: its Phase, a Message (such as
// why the key is INVALID), Since (when the key entered the phase, or the
// message changed) and Region (the key's cloud region, known once it is
// validated).
type Validation = api.KeyValidation

// Metadata is the metadata the server keeps for every key: Self (the key's
// URL), ResourceName (its Confluent Resource Name), CreatedAt, UpdatedAt and
// DeletedAt (zero for a key not being deleted). A zero time means the server
// did not send it.
type Metadata = api.ObjectMeta

// KeyMaterial is the cloud-specific part of a key, the "key" object: one of
// AWSKey, AzureKey, GCPKey or UnknownKey. The set is closed; a kind this
// version of the library does not know arrives as UnknownKey.
type KeyMaterial interface {
	// MaterialKind returns the API's kind, such as "AwsKey".
	MaterialKind() string
	isKeyMaterial()
}

// AWSKey is a key in AWS KMS, the generated api.AwsKey: KeyARN, the ARN of
// the KMS key (required on create), and Roles, the ARNs of the IAM roles
// Confluent Cloud created for the key, to be granted access to it (set by
// the server). Kind need not be set.
type AWSKey api.AwsKey

// MaterialKind returns "AwsKey".
func (AWSKey) MaterialKind() string { return string(api.AwsKeyKindAwsKey) }
func (AWSKey) isKeyMaterial()       {}

// AzureKey is a key in an Azure Key Vault, the generated api.AzureKey: KeyID,
// the key's identifier URL without version, such as
// https://vault-name.vault.azure.net/keys/key-name; KeyVaultID, the resource
// id of the Key Vault; TenantID, the tenant (a UUID) hosting it (those three
// required on create); and ApplicationID, the application Confluent Cloud
// created for the key (set by the server). Kind need not be set.
type AzureKey api.AzureKey

// MaterialKind returns "AzureKey".
func (AzureKey) MaterialKind() string { return string(api.AzureKeyKindAzureKey) }
func (AzureKey) isKeyMaterial()       {}

// GCPKey is a key in Google Cloud KMS, the generated api.GcpKey: KeyID, the
// Cloud KMS key id, such as projects/p/locations/l/keyRings/r/cryptoKeys/k
// (required on create), and SecurityGroup, the Google group Confluent Cloud
// created for the key (set by the server). Kind need not be set.
type GCPKey api.GcpKey

// MaterialKind returns "GcpKey".
func (GCPKey) MaterialKind() string { return string(api.GcpKeyKindGcpKey) }
func (GCPKey) isKeyMaterial()       {}

// UnknownKey is key material of a kind this version of the library does not
// know, sent by a newer server. It is kept, never an error: Raw is the "key"
// object exactly as received, and MaterialKind returns its "kind".
type UnknownKey struct {
	// Raw is the whole "key" object as received.
	Raw json.RawMessage
}

// MaterialKind returns the "kind" of the raw object.
func (u UnknownKey) MaterialKind() string {
	var v struct {
		Kind string `json:"kind"`
	}
	_ = json.Unmarshal(u.Raw, &v)
	return v.Kind
}

func (UnknownKey) isKeyMaterial() {}

func (u UnknownKey) identifier() string {
	var ids struct {
		KeyARN string `json:"key_arn"`
		KeyID  string `json:"key_id"`
	}
	if json.Unmarshal(u.Raw, &ids) != nil {
		return ""
	}
	if ids.KeyARN != "" {
		return ids.KeyARN
	}
	return ids.KeyID
}

// materialValue returns m with a pointer to a variant replaced by the
// variant; a nil pointer is an error.
func materialValue(m KeyMaterial) (KeyMaterial, error) {
	switch v := m.(type) {
	case *AWSKey:
		if v != nil {
			return *v, nil
		}
	case *AzureKey:
		if v != nil {
			return *v, nil
		}
	case *GCPKey:
		if v != nil {
			return *v, nil
		}
	case *UnknownKey:
		if v != nil {
			return *v, nil
		}
	default:
		return m, nil
	}
	return nil, fmt.Errorf("the key material is a nil %T", m)
}

// UnmarshalJSON decodes a key in the API's JSON form and keeps b as Raw. A
// kind of key material the library does not know becomes an UnknownKey; a
// key without a "key" object, or whose "key" has no kind, is an error. JSON
// null leaves k as it is.
func (k *Key) UnmarshalJSON(b []byte) error {
	if string(bytes.TrimSpace(b)) == "null" {
		return nil
	}
	raw := append(json.RawMessage(nil), b...)
	d, err := decodeKey(raw)
	if err != nil {
		return fmt.Errorf("decoding a key: %w", err)
	}
	*k = d
	return nil
}

// MarshalJSON encodes the key in the API's JSON form: Raw as it is when the
// key came from the server (so a changed field is not seen: clear Raw to
// encode the fields), else the fields, the empty ones left out.
func (k Key) MarshalJSON() ([]byte, error) {
	if len(k.Raw) > 0 {
		return k.Raw, nil
	}
	out := k.Key
	if k.Material != nil {
		d, err := detailsToAPI(k.Material, true)
		if err != nil {
			return nil, err
		}
		out.Key = d
	}
	return json.Marshal(out)
}

// keyJSON is a key as decoded: the generated api.Key, whose "key" oneOf is
// decoded in the same pass into the generated variants (keyVariants).
type keyJSON struct {
	*api.Key
	// Details shadows api.Key.Key, an api.KeyDetails, which would keep the
	// raw object to be decoded a second time.
	Details *keyVariants `json:"key"`
}

// keyVariants decodes the "key" oneOf into every generated variant at once;
// its kind then picks one. encoding/json ignores a property that two
// embedded variants share, so those (kind, key_id) are decoded here, at the
// top, where they take precedence.
type keyVariants struct {
	Kind  string `json:"kind"`
	KeyID string `json:"key_id"`
	*api.AwsKey
	*api.AzureKey
	*api.GcpKey
}

// keyDecoder decodes keys one after the other into the same variants, so
// that decoding a key allocates none of them; the material is copied out.
type keyDecoder struct {
	json     keyJSON
	variants keyVariants
	aws      api.AwsKey
	azure    api.AzureKey
	gcp      api.GcpKey
}

// target readies d for a key to be decoded into key: it returns what to
// decode the key's JSON into.
func (d *keyDecoder) target(key *Key) *keyJSON {
	d.aws, d.azure, d.gcp = api.AwsKey{}, api.AzureKey{}, api.GcpKey{}
	d.variants = keyVariants{AwsKey: &d.aws, AzureKey: &d.azure, GcpKey: &d.gcp}
	d.json = keyJSON{Key: &key.Key, Details: &d.variants}
	return &d.json
}

// finish completes key, decoded into k (from target) from raw, which becomes
// key.Raw.
func finish(key *Key, k *keyJSON, raw []byte) (err error) {
	key.Raw = raw
	key.Material, err = materialOf(k.Details, raw)
	return err
}

// decodeKey decodes one key; b also becomes Key.Raw.
func decodeKey(b []byte) (Key, error) {
	var key Key
	k := new(keyDecoder).target(&key)
	if err := json.Unmarshal(b, k); err != nil {
		return Key{}, describeJSONError(err)
	}
	if err := finish(&key, k, b); err != nil {
		return Key{}, err
	}
	return key, nil
}

// materialOf returns the Material of a decoded "key" object v (nil for
// null); raw is the key's JSON, from which an object of a kind this version
// does not know is kept.
func materialOf(v *keyVariants, raw []byte) (KeyMaterial, error) {
	noObject := errors.New(`the key has no "key" object (the cloud-specific details); expected one with a "kind"`)
	if v == nil {
		return nil, noObject
	}
	switch v.Kind {
	case string(api.AwsKeyKindAwsKey):
		m := AWSKey(*v.AwsKey)
		m.Kind = api.AwsKeyKindAwsKey
		return m, nil
	case string(api.AzureKeyKindAzureKey):
		m := AzureKey(*v.AzureKey)
		m.Kind, m.KeyID = api.AzureKeyKindAzureKey, v.KeyID
		return m, nil
	case string(api.GcpKeyKindGcpKey):
		m := GCPKey(*v.GcpKey)
		m.Kind, m.KeyID = api.GcpKeyKindGcpKey, v.KeyID
		return m, nil
	}
	// A kind this version does not know, or none: the "key" object is read
	// a second time, to keep it as it came (or to say it is missing).
	var obj struct {
		Key json.RawMessage `json:"key"`
	}
	if err := json.Unmarshal(raw, &obj); err != nil {
		return nil, describeJSONError(err)
	}
	switch {
	case len(obj.Key) == 0:
		return nil, noObject
	case v.Kind == "":
		return nil, errors.New(`the "key" object has no "kind"`)
	}
	return UnknownKey{Raw: obj.Key}, nil
}

//go:generate go run ./byoktest/internal/rulesgen -readonly -o readonly.gen.go

// createToAPI builds the body of a create request. The properties the spec
// marks readOnly (readonly.gen.go) are not sent; a required field that is
// empty (as the generated variant says: a field without omitempty) is an
// error.
func createToAPI(r CreateKeyRequest) (api.CreateByokV1KeyJSONRequestBody, error) {
	if r.Material == nil {
		return api.Key{}, errors.New("CreateKeyRequest.Material is nil; expected an AWSKey, AzureKey or GCPKey")
	}
	d, err := detailsToAPI(r.Material, false)
	if err != nil {
		return api.Key{}, fmt.Errorf("CreateKeyRequest.Material: %w", err)
	}
	body := r.Key
	clearReadOnly(&body, "")
	body.Key = d
	return body, nil
}

// detailsToAPI builds the "key" oneOf of m. The fields the server sets (the
// spec's readOnly properties, such as AWSKey.Roles) are included only when
// withReadOnly is true; for a request they are left out and the required
// fields are checked.
func detailsToAPI(m KeyMaterial, withReadOnly bool) (api.KeyDetails, error) {
	var d api.KeyDetails
	m, err := materialValue(m)
	if err != nil {
		return d, err
	}
	var variant any
	switch v := m.(type) {
	case AWSKey:
		a := api.AwsKey(v)
		a.Kind = api.AwsKeyKindAwsKey
		variant, err = encodeVariant(a, string(a.Kind), withReadOnly, d.FromAwsKey)
	case AzureKey:
		a := api.AzureKey(v)
		a.Kind = api.AzureKeyKindAzureKey
		variant, err = encodeVariant(a, string(a.Kind), withReadOnly, d.FromAzureKey)
	case GCPKey:
		a := api.GcpKey(v)
		a.Kind = api.GcpKeyKindGcpKey
		variant, err = encodeVariant(a, string(a.Kind), withReadOnly, d.FromGcpKey)
	case UnknownKey:
		if !withReadOnly {
			return d, fmt.Errorf("keys of kind %q cannot be created with this version of the library; expected an AWSKey, AzureKey or GCPKey", v.MaterialKind())
		}
		if len(v.Raw) > 0 {
			err = d.UnmarshalJSON(v.Raw)
		}
		return d, err
	default:
		return d, fmt.Errorf("key material of type %T is not one of AWSKey, AzureKey, GCPKey, UnknownKey", m)
	}
	if err != nil {
		return d, err
	}
	if !withReadOnly {
		if missing := missingRequired(variant); len(missing) > 0 {
			return d, fmt.Errorf("%s: %s is empty; the API requires it", strings.TrimPrefix(fmt.Sprintf("%T", m), "wrapper."), strings.Join(missing, " and "))
		}
	}
	return d, nil
}

// encodeVariant stores a, the generated struct of a key variant of the given
// kind, in the oneOf through from, its fields the server sets left out
// unless withReadOnly; it returns the variant as stored.
func encodeVariant[T any](a T, kind string, withReadOnly bool, from func(T) error) (any, error) {
	if !withReadOnly {
		clearReadOnly(&a, kind)
	}
	return a, from(a)
}

// clearReadOnly sets to zero each field of *v, a generated struct, whose
// property the spec marks readOnly in the schema of kind (readonly.gen.go;
// "" for the key itself), so that the encoded request leaves it out.
func clearReadOnly(v any, kind string) {
	rv := reflect.ValueOf(v).Elem()
	for i := range rv.NumField() {
		name, _, _ := strings.Cut(rv.Type().Field(i).Tag.Get("json"), ",")
		if readOnly(kind, name) {
			rv.Field(i).SetZero()
		}
	}
}

// missingRequired returns the JSON names of the required properties of v, a
// generated struct, that are empty. The generated code marks a property the
// spec requires by a field that is neither a pointer nor omitempty.
func missingRequired(v any) []string {
	var missing []string
	rv := reflect.ValueOf(v)
	for i := range rv.NumField() {
		f := rv.Type().Field(i)
		name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" || name == "-" || strings.Contains(opts, "omitempty") || f.Type.Kind() == reflect.Pointer {
			continue
		}
		if rv.Field(i).IsZero() {
			missing = append(missing, name)
		}
	}
	return missing
}
