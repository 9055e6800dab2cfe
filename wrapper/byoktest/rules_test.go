package byoktest

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/byokctl/byok/openapi"
)

// pointers returns the source pointers of probs.
func pointers(probs []problem) []string {
	out := []string{}
	for _, p := range probs {
		out = append(out, p.pointer)
	}
	return out
}

func object(t *testing.T, body string) map[string]json.RawMessage {
	t.Helper()
	var obj map[string]json.RawMessage
	require.NoError(t, json.Unmarshal([]byte(body), &obj))
	return obj
}

// TestBodyRulesComeFromTheSpec checks that the required and read-only
// properties of a create body follow the spec: changed in the spec, they
// change in the fake.
func TestBodyRulesComeFromTheSpec(t *testing.T) {
	gcp := `{"key":{"kind":"GcpKey","key_id":"projects/p/locations/l/keyRings/r/cryptoKeys/k","security_group":"g"},"state":"IN_USE"}`
	azure := `{"key":{"kind":"AzureKey","key_id":"https://v.vault.azure.net/keys/k","key_vault_id":"/subscriptions/s"}}`

	rules, err := specRules()
	require.NoError(t, err)
	assert.Equal(t, []string{"AwsKey", "AzureKey", "GcpKey"}, rules.kinds)
	_, probs := rules.decodeCreate(object(t, gcp))
	assert.Equal(t, []string{"/state", "/key/security_group"}, pointers(probs), "read-only as the spec says")
	_, probs = rules.decodeCreate(object(t, azure))
	assert.Equal(t, []string{"/key/tenant_id"}, pointers(probs), "required as the spec says")

	doc, err := openapi.Load()
	require.NoError(t, err)
	doc.Components.Schemas["GcpKey"].Value.Properties["security_group"].Value.ReadOnly = false
	doc.Components.Schemas["KeyState"].Value.ReadOnly = false
	doc.Components.Schemas["AzureKey"].Value.Required = []string{"key_id", "kind"}
	doc.Components.Schemas["Key"].Value.Required = []string{"key", "display_name"}
	changed, err := rulesOf(doc)
	require.NoError(t, err)
	_, probs = changed.decodeCreate(object(t, gcp))
	assert.Equal(t, []string{"/display_name"}, pointers(probs))
	_, probs = changed.decodeCreate(object(t, `{"display_name":"x",`+azure[1:]))
	assert.Empty(t, pointers(probs))

	delete(doc.Components.Schemas, "GcpKey")
	_, err = rulesOf(doc)
	assert.ErrorContains(t, err, "GcpKey")
}
