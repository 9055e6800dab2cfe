package main

import (
	"strings"
	"testing"
	"time"

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
			if n := strings.Count(line, "list the keys before creating it again"); n != 1 {
				t.Errorf("the advice to list the keys is said %d times, want once:\n%s", n, r.transcript())
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

// TestCreateOutcomeUnknownGaveUp: a create rate limited once, then cut off
// by --timeout after it was sent, keeps the library's whole account (the
// attempts, why it stopped, the last answer) and says once that the key may
// exist and how to look for it.
func TestCreateOutcomeUnknownGaveUp(t *testing.T) {
	f := newFixture(t, byoktest.WithFaults(byoktest.Faults{Delay: 5 * time.Second}))
	if err := f.srv.FailNext(1, byoktest.FaultRateLimitBurst, byoktest.OpCreate); err != nil {
		t.Fatal(err)
	}
	if err := f.srv.FailNext(1, byoktest.FaultSlow, byoktest.OpCreate); err != nil {
		t.Fatal(err)
	}
	r := f.run("create", "aws", "--key-arn", exampleARN, "--timeout", "300ms")
	expect(t, r, exitFailure)
	line := strings.TrimSuffix(r.stderr, "\n")
	if r.stdout != "" || strings.Contains(line, "\n") {
		t.Errorf("want nothing on stdout and one line on stderr:\n%s", r.transcript())
	}
	for _, w := range []string{
		"gave up after 300ms (set a longer --timeout)",
		"gave up after 2 attempts",
		"the deadline passed during attempt 2",
		"outcome unknown",
		"the last error: POST /byok/v1/keys: 429 Too Many Requests",
		"; the key may have been created, list the keys before creating it again: byokctl list --key " + exampleARN,
	} {
		if !strings.Contains(line, w) {
			t.Errorf("stderr lacks %q:\n%s", w, r.transcript())
		}
	}
	if n := strings.Count(line, "list the keys before creating it again"); n != 1 {
		t.Errorf("the advice to list the keys is said %d times, want once:\n%s", n, r.transcript())
	}
}
