package wrapper

import (
	"encoding/json"
	"testing"

	"github.com/byokctl/byok/api"
	"github.com/byokctl/byok/openapi"
)

// TestCreateSendsWhatTheSpecAllows: a create request carries every property
// of its variant that the spec does not mark readOnly, and none that it
// does. The rule is written once, in key.go's detailsToAPI; this checks
// it against the spec (kin-openapi on the embedded openapi/byok-v1.yaml).
func TestCreateSendsWhatTheSpecAllows(t *testing.T) {
	doc, err := openapi.Load()
	if err != nil {
		t.Fatal(err)
	}
	for schema, material := range map[string]KeyMaterial{
		"AwsKey":   AWSKey{KeyARN: "arn", Roles: []string{"role"}},
		"AzureKey": AzureKey{KeyID: "id", KeyVaultID: "vault", TenantID: "tenant", ApplicationID: "app"},
		"GcpKey":   GCPKey{KeyID: "id", SecurityGroup: "group"},
	} {
		ref := doc.Components.Schemas[schema]
		if ref == nil || ref.Value == nil {
			t.Fatalf("the spec has no schema %s", schema)
		}
		body, err := createToAPI(CreateKeyRequest{Key: material})
		if err != nil {
			t.Fatal(err)
		}
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		var sent struct {
			Key map[string]json.RawMessage `json:"key"`
		}
		if err := json.Unmarshal(b, &sent); err != nil {
			t.Fatal(err)
		}
		for name, prop := range ref.Value.Properties {
			_, ok := sent.Key[name]
			switch readOnly := prop.Value.ReadOnly; {
			case readOnly && ok:
				t.Errorf("%s: the create sends %s, which the spec marks readOnly (wrapper/key.go, detailsToAPI)", schema, name)
			case !readOnly && !ok:
				t.Errorf("%s: the create does not send %s (wrapper/key.go, detailsToAPI)", schema, name)
			}
		}
	}
}

// TestBodiesLeaveOutZeroFields: the generated models hold optional
// properties as values tagged omitzero (encoding/json honours it since Go
// 1.24; go.mod says 1.25), so a request body, and a Key built by the
// program, leave out what is not set: no empty metadata or validation
// object, no zero time.
func TestBodiesLeaveOutZeroFields(t *testing.T) {
	create, err := createToAPI(CreateKeyRequest{Key: AWSKey{KeyARN: "arn:aws:kms:us-west-2:111122223333:key/k", Roles: []string{"read-only"}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		v    any
		want string
	}{
		{"create", create, `{"key":{"key_arn":"arn:aws:kms:us-west-2:111122223333:key/k","kind":"AwsKey"}}`},
		{"update", UpdateKeyRequest{DisplayName: "billing"}, `{"display_name":"billing"}`},
		{"key", Key{Key: api.Key{ID: "cck-1", Validation: Validation{Phase: PhaseValid}}, Material: GCPKey{KeyID: "projects/p/locations/l/keyRings/r/cryptoKeys/k"}},
			`{"id":"cck-1","key":{"key_id":"projects/p/locations/l/keyRings/r/cryptoKeys/k","kind":"GcpKey"},"validation":{"phase":"VALID","since":"0001-01-01T00:00:00Z"}}`},
		{"error detail", ErrorDetail{Title: "Not Found"}, `{"title":"Not Found"}`},
	} {
		b, err := json.Marshal(tc.v)
		if err != nil {
			t.Fatal(err)
		}
		if string(b) != tc.want {
			t.Errorf("%s: %s\nwant %s", tc.name, b, tc.want)
		}
	}
}
