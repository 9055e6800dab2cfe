package speclint_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/byokctl/byok/internal/contract/speclint"
	"github.com/byokctl/byok/openapi"
)

// finding is one result of `spectral lint --format json`.
type finding struct {
	Code     string   `json:"code"`
	Path     []string `json:"path"`
	Message  string   `json:"message"`
	Severity int      `json:"severity"` // 0 error, 1 warning, 2 info, 3 hint
	Source   string   `json:"source"`
}

func (f finding) String() string { return f.Code + " at " + strings.Join(f.Path, ".") }

// lint runs spectral once, with the project's ruleset, on every spec of
// specs (named by their keys) and returns the findings of each.
func lint(t *testing.T, specs map[string]string) map[string][]finding {
	t.Helper()
	bin := os.Getenv(speclint.BinEnv)
	if bin == "" {
		t.Skipf("%s is not set: run `make spectral` to test the ruleset", speclint.BinEnv)
	}
	ruleset, err := filepath.Abs(filepath.Join("..", "..", "..", ".spectral.yaml"))
	require.NoError(t, err)
	dir := t.TempDir()
	args := []string{"lint", "--ruleset", ruleset, "--format", "json", "--quiet"}
	names := map[string]string{} // file -> name
	i := 0
	for name, spec := range specs {
		i++
		file := filepath.Join(dir, fmt.Sprintf("spec-%d.yaml", i))
		require.NoError(t, os.WriteFile(file, []byte(spec), 0o600))
		names[file] = name
		args = append(args, file)
	}

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	var exit *exec.ExitError
	if err != nil && (!errors.As(err, &exit) || exit.ExitCode() != 1) { // 1: findings at fail severity
		t.Fatalf("spectral: %v\n%s", err, stderr.String())
	}
	var all []finding
	require.NoError(t, json.Unmarshal(bytes.TrimSpace(stdout.Bytes()), &all), "spectral said: %s %s", stdout.String(), stderr.String())
	out := map[string][]finding{}
	for _, f := range all {
		name, ok := names[f.Source]
		require.True(t, ok, "a finding in a file not linted: %+v", f)
		out[name] = append(out[name], f)
	}
	return out
}

// replace returns the spec with old replaced by new, once; old must be
// there.
func replace(t *testing.T, old, new string) string {
	t.Helper()
	spec := string(openapi.YAML)
	if !strings.Contains(spec, old) {
		t.Fatalf("the spec no longer holds %q: update the test", old)
	}
	return strings.Replace(spec, old, new, 1)
}

// TestOurRulesCatch breaks the spec once per rule of ours, lints every
// broken copy and the real spec in one spectral run, and wants each rule to
// fire where it should, and nothing on the real spec.
func TestOurRulesCatch(t *testing.T) {
	cases := map[string]struct {
		old, new string
		rule     string // the rule of ours that must fire
		path     string // where, dot-joined
	}{
		"an operation without an operationId": {
			"      operationId: getByokV1Key\n", "", "byok-operation-id", "paths./byok/v1/keys/{id}.get"},
		"an operationId not in lowerCamelCase": {
			"operationId: deleteByokV1Key", "operationId: delete_byok_v1_key", "byok-operation-id", "paths./byok/v1/keys/{id}.delete.operationId"},
		"an operation without a tag": {
			"      tags:\n        - Keys (byok/v1)\n      requestBody:\n        $ref: '#/components/requestBodies/UpdateKey'",
			"      requestBody:\n        $ref: '#/components/requestBodies/UpdateKey'", "byok-operation-tag", "paths./byok/v1/keys/{id}.patch"},
		"an error response said in place": {
			"        '404':\n          $ref: '#/components/responses/NotFound'\n",
			"        '404':\n          description: gone\n          content:\n            application/json:\n              schema:\n                $ref: '#/components/schemas/Failure'\n              example:\n                errors: []\n",
			"byok-error-ref", "paths./byok/v1/keys/{id}.get.responses.404"},
		"an error response with another body": {
			"            $ref: '#/components/schemas/Failure'\n          example:\n            errors:\n              - id: ed42afdc-f0d5-4c0d-b428-9fc6ed6e279d\n                status: '404'",
			"            $ref: '#/components/schemas/ErrorSource'\n          example:\n            errors:\n              - id: ed42afdc-f0d5-4c0d-b428-9fc6ed6e279d\n                status: '404'",
			"byok-error-body", "components.schemas.ErrorSource"}, // spectral names the resolved schema
		"a response body without an example": {
			"          example:\n            errors:\n              - id: ed42afdc-f0d5-4c0d-b428-9fc6ed6e279d\n                status: '404'",
			"          x-example:\n            errors:\n              - id: ed42afdc-f0d5-4c0d-b428-9fc6ed6e279d\n                status: '404'",
			"byok-response-example", "components.responses.NotFound.content.application/json"},
		"a request body without an example": {
			"          example:\n            display_name: Key for billing cluster\n\n",
			"\n", "byok-request-example", "components.requestBodies.UpdateKey.content.application/json"},
		"a parameter without an example": {
			"      example: UvmDWOB1iwfAIBPj6EYb\n", "", "byok-parameter-example", "components.parameters.PageToken"},
	}
	specs := map[string]string{}
	for name, c := range cases {
		specs[name] = replace(t, c.old, c.new)
	}
	specs["the spec as it is"] = string(openapi.YAML)
	found := lint(t, specs)
	assert.Empty(t, found["the spec as it is"], "the real spec draws no finding at all")
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			want := c.rule + " at " + c.path
			assert.True(t, slices.ContainsFunc(found[name], func(f finding) bool { return f.String() == want }),
				"want %s; spectral found %v", want, found[name])
		})
	}
}
