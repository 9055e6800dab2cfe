package wrapper

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/byokctl/byok/api"
	"github.com/byokctl/byok/openapi"
)

// TestCreateSendsWhatTheSpecAllows: a create request carries every property
// of the key and of its variant that the spec does not mark readOnly, and
// none that it does, when the request has them all set (a key as the
// server stored it, passed on as it is). The rule is the spec's, written
// out at generate time into readonly.gen.go; this checks it against the
// spec (kin-openapi on the embedded openapi/byok-v1.yaml).
func TestCreateSendsWhatTheSpecAllows(t *testing.T) {
	doc, err := openapi.Load()
	if err != nil {
		t.Fatal(err)
	}
	stored, err := os.ReadFile(filepath.Join("..", "testdata", "keys", "aws.json"))
	if err != nil {
		t.Fatal(err)
	}
	var key Key
	if err := json.Unmarshal(stored, &key); err != nil {
		t.Fatal(err)
	}
	var have map[string]json.RawMessage
	if err := json.Unmarshal(stored, &have); err != nil {
		t.Fatal(err)
	}
	for schema, material := range map[string]KeyMaterial{
		"AwsKey":   AWSKey{KeyARN: "arn", Roles: []string{"role"}},
		"AzureKey": AzureKey{KeyID: "id", KeyVaultID: "vault", TenantID: "tenant", ApplicationID: "app"},
		"GcpKey":   GCPKey{KeyID: "id", SecurityGroup: "group"},
	} {
		body, err := createToAPI(CreateKeyRequest{Key: key.Key, Material: material})
		if err != nil {
			t.Fatal(err)
		}
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		var sent map[string]json.RawMessage
		if err := json.Unmarshal(b, &sent); err != nil {
			t.Fatal(err)
		}
		var sentKey map[string]json.RawMessage
		if err := json.Unmarshal(sent["key"], &sentKey); err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			schema string
			sent   map[string]json.RawMessage
			set    func(name string) bool // whether the request sets the property
		}{
			{"Key", sent, func(name string) bool { _, ok := have[name]; return ok || name == "key" }},
			{schema, sentKey, func(string) bool { return true }},
		} {
			ref := doc.Components.Schemas[c.schema]
			if ref == nil || ref.Value == nil {
				t.Fatalf("the spec has no schema %s", c.schema)
			}
			for name, prop := range ref.Value.Properties {
				_, ok := c.sent[name]
				readOnly := prop.Value.ReadOnly
				switch {
				case readOnly && !c.set(name):
					t.Errorf("%s: testdata/keys/aws.json lacks %s, so this test cannot see whether a create leaves it out", c.schema, name)
				case readOnly && ok:
					t.Errorf("%s (%s create): the create sends %s, which the spec marks readOnly (wrapper/readonly.gen.go)", c.schema, schema, name)
				case !readOnly && c.set(name) && !ok:
					t.Errorf("%s (%s create): the create does not send %s, which the spec lets a client set", c.schema, schema, name)
				}
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
	create, err := createToAPI(CreateKeyRequest{Material: AWSKey{KeyARN: "arn:aws:kms:us-west-2:111122223333:key/k", Roles: []string{"read-only"}}})
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
