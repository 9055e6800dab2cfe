package wrapper

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"

	"github.com/byokctl/byok/api"
)

// Provider is the cloud provider of a key. The constants name the values the
// API documents; the list is extensible, so any other value a newer server
// sends is kept as it came.
type Provider string

// The documented providers.
const (
	ProviderAWS   Provider = "AWS"
	ProviderAzure Provider = "Azure"
	ProviderGCP   Provider = "GCP"
)

// State says whether a key is used by a cluster. Values other than the
// constants are kept as they came.
type State string

// The documented states.
const (
	// StateAvailable: the key can be used to provision a Kafka cluster.
	StateAvailable State = "AVAILABLE"
	// StateInUse: a Kafka cluster already uses the key.
	StateInUse State = "IN_USE"
)

// Phase is the validation phase of a key. Values other than the constants are
// kept as they came; WaitForValidation keeps polling on them.
type Phase string

// The documented validation phases.
const (
	// PhaseInitializing: a new key awaiting its first successful validation.
	PhaseInitializing Phase = "INITIALIZING"
	// PhaseValid: the last validation attempt succeeded.
	PhaseValid Phase = "VALID"
	// PhaseInvalid: the last validation attempt failed; Validation.Message
	// says why.
	PhaseInvalid Phase = "INVALID"
)

// Key is a customer-managed key registered with Confluent Cloud.
//
// A Key is decoded once, when it is received; its fields are plain values.
// Raw keeps the JSON the server sent, properties this version of the library
// does not know included; MarshalJSON writes it back as it came.
type Key struct {
	// ID identifies the key, such as "cck-12345".
	ID string
	// DisplayName is the human-readable name; the only field that can be
	// changed (UpdateKey).
	DisplayName string
	// Provider is the key's cloud provider.
	Provider Provider
	// State says whether a cluster uses the key.
	State State
	// Validation is the state of the key's validation.
	Validation Validation
	// Metadata holds the key's URL, name and timestamps.
	Metadata Metadata
	// Material is the cloud-specific key: exactly one of the values (never
	// pointers) AWSKey, AzureKey, GCPKey or UnknownKey. Use a type switch:
	//
	//	switch m := key.Material.(type) {
	//	case wrapper.AWSKey:
	//		fmt.Println(m.KeyARN, m.Roles)
	//	case wrapper.UnknownKey:
	//		fmt.Println("a newer kind:", m.Kind())
	//	}
	Material KeyMaterial
	// Raw is the key's JSON as the server sent it, byte for byte but for a
	// credential of the request the server echoed, which reads
	// "[redacted]" (as in APIError); empty for a Key the program built
	// itself. The constant "api_version" and "kind" of the resource, and
	// any property a newer server adds, are found only here.
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

// Validation is the validation state of a key.
type Validation struct {
	// Phase is the validation phase.
	Phase Phase
	// Message describes the last validation event, such as why the key is
	// INVALID.
	Message string
	// Since is when the key entered the current phase (or the message
	// changed).
	Since time.Time
	// Region is the cloud region of the key, known once it is validated.
	Region string
}

// Metadata is the metadata the server keeps for every key. A zero time means
// the server did not send it.
type Metadata struct {
	// Self is the key's URL.
	Self string
	// ResourceName is the key's Confluent Resource Name (CRN).
	ResourceName string
	// CreatedAt is when the key was created.
	CreatedAt time.Time
	// UpdatedAt is when the key was last updated.
	UpdatedAt time.Time
	// DeletedAt is when the key was (or will be) deleted; zero for a key
	// not being deleted.
	DeletedAt time.Time
}

// KeyMaterial is the cloud-specific part of a key, the "key" object: one of
// AWSKey, AzureKey, GCPKey or UnknownKey. The set is closed; a kind this
// version of the library does not know arrives as UnknownKey.
type KeyMaterial interface {
	// Kind returns the API's kind, such as "AwsKey".
	Kind() string
	isKeyMaterial()
}

// AWSKey is a key in AWS KMS.
type AWSKey struct {
	// KeyARN is the ARN of the AWS KMS key. Required on create.
	KeyARN string
	// Roles are the ARNs of the IAM roles Confluent Cloud created for the
	// key; grant them access to the KMS key. Set by the server.
	Roles []string
}

// Kind returns "AwsKey".
func (AWSKey) Kind() string   { return string(api.AwsKeyKindAwsKey) }
func (AWSKey) isKeyMaterial() {}

// AzureKey is a key in an Azure Key Vault.
type AzureKey struct {
	// KeyID is the key's identifier URL without version, such as
	// https://vault-name.vault.azure.net/keys/key-name. Required on create.
	KeyID string
	// KeyVaultID is the resource id of the Key Vault. Required on create.
	KeyVaultID string
	// TenantID is the tenant (a UUID) hosting the Key Vault. Required on
	// create.
	TenantID string
	// ApplicationID is the application Confluent Cloud created for the key.
	// Set by the server.
	ApplicationID string
}

// Kind returns "AzureKey".
func (AzureKey) Kind() string   { return string(api.AzureKeyKindAzureKey) }
func (AzureKey) isKeyMaterial() {}

// GCPKey is a key in Google Cloud KMS.
type GCPKey struct {
	// KeyID is the Cloud KMS key id, such as
	// projects/p/locations/l/keyRings/r/cryptoKeys/k. Required on create.
	KeyID string
	// SecurityGroup is the Google group Confluent Cloud created for the key.
	// Set by the server.
	SecurityGroup string
}

// Kind returns "GcpKey".
func (GCPKey) Kind() string   { return string(api.GcpKeyKindGcpKey) }
func (GCPKey) isKeyMaterial() {}

// UnknownKey is key material of a kind this version of the library does not
// know, sent by a newer server. It is kept, never an error: Raw is the "key"
// object exactly as received, and Kind returns its "kind".
type UnknownKey struct {
	// Raw is the whole "key" object as received.
	Raw json.RawMessage
}

// Kind returns the "kind" of the raw object.
func (u UnknownKey) Kind() string {
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
	out, err := keyToAPI(k)
	if err != nil {
		return nil, err
	}
	return json.Marshal(out)
}
