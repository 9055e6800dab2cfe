package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/byokctl/byok/openapi"
)

// TestRulesFollowTheSpec checks that the required and read-only properties
// are the spec's: changed in the spec, they change in the rules.
func TestRulesFollowTheSpec(t *testing.T) {
	doc, err := openapi.Load()
	require.NoError(t, err)
	r, err := rulesOf(doc)
	require.NoError(t, err)
	assert.Equal(t, []string{"key"}, r.key.required)
	assert.True(t, r.key.props["state"], "state is read-only")
	assert.False(t, r.key.props["display_name"])
	assert.True(t, r.variants["GcpKey"].props["security_group"])
	assert.Equal(t, []string{"key_id", "key_vault_id", "kind", "tenant_id"}, r.variants["AzureKey"].required)

	doc.Components.Schemas["GcpKey"].Value.Properties["security_group"].Value.ReadOnly = false
	doc.Components.Schemas["KeyState"].Value.ReadOnly = false
	doc.Components.Schemas["AzureKey"].Value.Required = []string{"key_id", "kind"}
	doc.Components.Schemas["Key"].Value.Required = []string{"key", "display_name"}
	r, err = rulesOf(doc)
	require.NoError(t, err)
	assert.False(t, r.variants["GcpKey"].props["security_group"])
	assert.False(t, r.key.props["state"])
	assert.Equal(t, []string{"key_id", "kind"}, r.variants["AzureKey"].required)
	assert.Equal(t, []string{"key", "display_name"}, r.key.required)
	src, err := source(r)
	require.NoError(t, err)
	assert.Contains(t, string(src), `required: []string{"key", "display_name"},`)
	assert.Contains(t, string(src), `"security_group": false,`)
	src, err = readOnlySource(r)
	require.NoError(t, err)
	assert.NotContains(t, string(src), `"security_group"`, "the library's creates follow the same flag")
	assert.NotContains(t, string(src), `"state"`)
	assert.Contains(t, string(src), `case "application_id":`)

	delete(doc.Components.Schemas, "GcpKey")
	_, err = rulesOf(doc)
	assert.ErrorContains(t, err, "GcpKey")
}

// TestCommittedRulesAreFresh checks that ../../rules.gen.go and
// ../../../readonly.gen.go are what rulesgen
// writes for the spec today (make drift checks the same after make
// generate; this catches it in make test alone).
func TestCommittedRulesAreFresh(t *testing.T) {
	out := filepath.Join(t.TempDir(), "rules.gen.go")
	require.NoError(t, run(out, source))
	fresh, err := os.ReadFile(out)
	require.NoError(t, err)
	committed, err := os.ReadFile(filepath.Join("..", "..", "rules.gen.go"))
	require.NoError(t, err)
	assert.Equal(t, string(fresh), string(committed), "wrapper/byoktest/rules.gen.go is stale: run make generate")
	assert.True(t, strings.HasPrefix(string(fresh), "// Code generated "), "marked as generated, for the linters")

	out = filepath.Join(t.TempDir(), "readonly.gen.go")
	require.NoError(t, run(out, readOnlySource))
	fresh, err = os.ReadFile(out)
	require.NoError(t, err)
	committed, err = os.ReadFile(filepath.Join("..", "..", "..", "readonly.gen.go"))
	require.NoError(t, err)
	assert.Equal(t, string(fresh), string(committed), "wrapper/readonly.gen.go is stale: run make generate")
}
