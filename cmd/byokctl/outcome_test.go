package main

import (
	"strings"
	"testing"

	"github.com/byokctl/byok/wrapper/byoktest"
)

// TestCreateOutcomeUnknown: a create that may have been carried out (a
// gateway's 502 or 504, an answer lost after the server applied it) is not
// repeated, and byokctl says the key may exist and how to look for it before
// trying again, keeping what the server said.
func TestCreateOutcomeUnknown(t *testing.T) {
	azure := []string{"create", "azure", "--key-id", exampleAzureKey, "--key-vault-id", exampleAzureVault, "--tenant-id", exampleTenant}
	for _, tc := range []struct {
		name string
		mode byoktest.FaultMode
		args []string
		want []string
	}{
		{"502", byoktest.FaultBadGateway, []string{"create", "aws", "--key-arn", exampleARN, "--wait"},
			[]string{"POST /byok/v1/keys: 502 Bad Gateway (request id", "byokctl list --key " + exampleARN}},
		{"502 HTML", byoktest.FaultHTML, []string{"create", "gcp", "--key-id", exampleGCPKey},
			[]string{"POST /byok/v1/keys: 502 Bad Gateway: <!DOCTYPE html>", "byokctl list --key " + exampleGCPKey}},
		{"dropped", byoktest.FaultDropResponse, azure,
			[]string{"create key: outcome unknown", "byokctl list --key " + exampleAzureKey}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			if err := f.srv.FailNext(1, tc.mode, byoktest.OpCreate); err != nil {
				t.Fatal(err)
			}
			r := f.run(tc.args...)
			expect(t, r, exitFailure)
			line := strings.TrimSuffix(r.stderr, "\n")
			if r.stdout != "" || strings.Contains(line, "\n") {
				t.Errorf("want nothing on stdout and one line on stderr:\n%s", r.transcript())
			}
			for _, w := range append(tc.want, "the key may have been created", "before creating it again") {
				if !strings.Contains(line, w) {
					t.Errorf("stderr lacks %q:\n%s", w, r.transcript())
				}
			}
			if n := len(f.srv.Requests()); n != 1 {
				t.Errorf("%d requests, want the create alone", n)
			}
			if tc.name == "502" {
				golden(t, "create-outcome-unknown", r.transcript())
			}
		})
	}
}
