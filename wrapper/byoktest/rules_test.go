package byoktest

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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

// TestBodyRulesComeFromTheSpec checks that the fake refuses what the spec's
// required and read-only properties say, through the rules rulesgen wrote
// (internal/rulesgen's tests check that a changed spec changes them, and
// make drift that the committed rules are the spec's).
func TestBodyRulesComeFromTheSpec(t *testing.T) {
	gcp := `{"key":{"kind":"GcpKey","key_id":"projects/p/locations/l/keyRings/r/cryptoKeys/k","security_group":"g"},"state":"IN_USE"}`
	azure := `{"key":{"kind":"AzureKey","key_id":"https://v.vault.azure.net/keys/k","key_vault_id":"/subscriptions/s"}}`

	rules := specRules()
	assert.Equal(t, []string{"AwsKey", "AzureKey", "GcpKey"}, rules.kinds)
	_, probs := rules.decodeCreate(object(t, gcp))
	assert.Equal(t, []string{"/state", "/key/security_group"}, pointers(probs), "read-only as the spec says")
	_, probs = rules.decodeCreate(object(t, azure))
	assert.Equal(t, []string{"/key/tenant_id"}, pointers(probs), "required as the spec says")
}
