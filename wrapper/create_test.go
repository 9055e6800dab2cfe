package wrapper

import (
	"encoding/json"
	"testing"

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
