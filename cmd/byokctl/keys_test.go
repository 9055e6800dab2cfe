package main

import (
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/byokctl/byok/wrapper/byoktest"
)

const (
	exampleARN        = "arn:aws:kms:us-west-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	exampleAzureKey   = "https://vault-name.vault.azure.net/keys/key-name"
	exampleAzureVault = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/vault-name"
	exampleTenant     = "00000000-0000-0000-0000-000000000000"
	exampleGCPKey     = "projects/exampleproject/locations/us-central1/keyRings/testkeyring/cryptoKeys/testbyokkey"
)

func TestGetFormats(t *testing.T) {
	f := newFixture(t)
	ids := seedKeys(t, f)
	for _, c := range []struct{ id, format string }{
		{ids[0], "table"}, {ids[1], "json"}, {ids[2], "yaml"},
	} {
		t.Run(c.format, func(t *testing.T) {
			r := f.run("get", c.id, "-o", c.format)
			expect(t, r, exitOK)
			golden(t, "get-"+c.format, r.transcript())
		})
	}
}

func TestGetNotFound(t *testing.T) {
	f := newFixture(t)
	r := f.run("get", "cck-missing")
	expect(t, r, exitFailure)
	golden(t, "get-not-found", r.transcript())
}

func TestCreate(t *testing.T) {
	tests := []struct {
		name string
		args []string
	}{
		{"create-aws", []string{"create", "aws", "--key-arn", exampleARN, "--display-name", "Key for billing cluster"}},
		{"create-azure", []string{"create", "azure", "--key-id", exampleAzureKey, "--key-vault-id", exampleAzureVault,
			"--tenant-id", exampleTenant, "-o", "json"}},
		{"create-gcp", []string{"create", "gcp", "--key-id", exampleGCPKey, "--display-name", "Key for analytics", "-o", "yaml"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			r := f.run(tt.args...)
			expect(t, r, exitOK)
			golden(t, tt.name, r.transcript())
			if f.srv.Len() != 1 {
				t.Errorf("the server has %d keys, want 1", f.srv.Len())
			}
		})
	}
}

func TestCreateWait(t *testing.T) {
	f := newFixture(t, byoktest.WithValidation(byoktest.Validation{Reads: 3}))
	r := f.run("create", "aws", "--key-arn", exampleARN, "--wait")
	expect(t, r, exitOK)
	golden(t, "create-aws-wait", r.transcript())
	if gets := countOps(f.srv, byoktest.OpGet); gets != 3 {
		t.Errorf("create --wait read the key %d times, want 3 (validation completes on the third read)", gets)
	}
}

func TestCreateWaitInvalid(t *testing.T) {
	f := newFixture(t, byoktest.WithInvalidKeys(func(string) bool { return true }, "Access to key denied."))
	r := f.run("create", "gcp", "--key-id", exampleGCPKey, "--wait", "-o", "json")
	// The key exists: it is printed (INVALID) even though the command fails.
	expect(t, r, exitFailure)
	golden(t, "create-gcp-wait-invalid", r.transcript())
}

// TestGetTableInvalid: the one-key table of an INVALID key says why and
// since when, not only INVALID.
func TestGetTableInvalid(t *testing.T) {
	f := newFixture(t, byoktest.WithInvalidKeys(func(string) bool { return true }, "Access to key denied."))
	id, _ := createdKey(t, f, "gcp", "--key-id", exampleGCPKey)
	r := f.run("get", id) // the second read validates the key
	expect(t, r, exitOK)
	lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	if len(lines) != 2 {
		t.Fatalf("stdout has %d lines, want a header and one row:\n%s", len(lines), r.stdout)
	}
	header, row := strings.Fields(lines[0]), lines[1]
	for _, col := range []string{"PHASE", "SINCE", "MESSAGE"} {
		if !slices.Contains(header, col) {
			t.Errorf("header %q has no column %s", lines[0], col)
		}
	}
	for _, want := range []string{"INVALID", "Access to key denied.", "2024-03-20T15:30:00Z"} {
		if !strings.Contains(row, want) {
			t.Errorf("row %q does not say %q", row, want)
		}
	}
}

func TestCreateUsageErrors(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		args []string
		want string
		help string
	}{
		{[]string{"create"}, "missing the key or the provider: byokctl create KEY, or byokctl create aws|azure|gcp", "byokctl create"},
		{[]string{"create", "ibm"}, `"ibm" is neither a provider (aws, azure or gcp) nor a key of a form byokctl knows: ` + keyForms, "byokctl create"},
		{[]string{"create", "aws"}, `required flag(s) "key-arn" not set`, "byokctl create aws"},
		{[]string{"create", "azure", "--key-id", exampleAzureKey}, `required flag(s) "key-vault-id", "tenant-id" not set`, "byokctl create azure"},
		{[]string{"create", "gcp"}, `required flag(s) "key-id" not set`, "byokctl create gcp"},
		{[]string{"create", "aws", "--key-arn"}, "flag needs an argument: --key-arn", "byokctl create aws"},
		{[]string{"create", "aws", "--key-arn", exampleARN, "extra"}, `byokctl create aws takes no arguments, got "extra"`, "byokctl create aws"},
	}
	for _, tt := range tests {
		r := f.run(tt.args...)
		expect(t, r, exitUsage)
		want := "byokctl: " + tt.want + "\nRun '" + tt.help + " --help' for usage.\n"
		if r.stderr != want {
			t.Errorf("byokctl %s: stderr\n%q\nwant\n%q", strings.Join(tt.args, " "), r.stderr, want)
		}
	}
	if n := f.srv.Len(); n != 0 {
		t.Errorf("usage errors created %d keys", n)
	}
}

func TestUpdate(t *testing.T) {
	f := newFixture(t)
	ids := seedKeys(t, f)
	r := f.run("update", ids[0], "--display-name", "Key for billing cluster")
	expect(t, r, exitOK)
	golden(t, "update", r.transcript())

	r = f.run("update", ids[0])
	expect(t, r, exitUsage)
	if !strings.Contains(r.stderr, `required flag(s) "display-name" not set`) {
		t.Errorf("update without --display-name: %s", r.stderr)
	}
	r = f.run("update", ids[0], "--display-name", " ")
	expect(t, r, exitUsage)
	if !strings.Contains(r.stderr, "--display-name is empty") {
		t.Errorf("update with an empty name: %s", r.stderr)
	}
	r = f.run("update", "cck-missing", "--display-name", "x")
	expect(t, r, exitFailure)
	want := "byokctl: PATCH /byok/v1/keys/cck-missing: 404 Not Found: "
	if !strings.HasPrefix(r.stderr, want) || strings.Count(r.stderr, "\n") != 1 {
		t.Errorf("update of a missing key: stderr %q, want one line starting %q", r.stderr, want)
	}
}

func TestWait(t *testing.T) {
	f := newFixture(t, byoktest.WithValidation(byoktest.Validation{Reads: 4}))
	ids := seedKeys(t, f)
	r := f.run("create", "azure", "--key-id", exampleAzureKey, "--key-vault-id", exampleAzureVault, "--tenant-id", exampleTenant, "-o", "json")
	expect(t, r, exitOK)
	id := f.srv.Keys()[4].ID

	t.Run("valid", func(t *testing.T) {
		r := f.run("wait", id)
		expect(t, r, exitOK)
		golden(t, "wait-valid", r.transcript())
	})
	t.Run("invalid", func(t *testing.T) {
		r := f.run("wait", ids[2])
		expect(t, r, exitFailure)
		want := "byokctl: key " + ids[2] + " failed validation: Access to key denied.\n"
		if r.stdout != "" || r.stderr != want {
			t.Errorf("stdout %q stderr %q, want no stdout and stderr %q", r.stdout, r.stderr, want)
		}
	})
	t.Run("not found", func(t *testing.T) {
		r := f.run("wait", "cck-missing")
		expect(t, r, exitFailure)
		if !strings.Contains(r.stderr, "404 Not Found") {
			t.Errorf("stderr %q", r.stderr)
		}
	})
	t.Run("timeout", func(t *testing.T) {
		r := f.run("create", "gcp", "--key-id", exampleGCPKey)
		expect(t, r, exitOK)
		id := f.srv.Keys()[5].ID
		// The first poll comes 1.5s to 2s after the first check: a
		// one-second limit gives up after one check.
		r = f.run("wait", id, "--timeout", "1s")
		expect(t, r, exitFailure)
		want := "byokctl: gave up after 1s (set a longer --timeout): wait for validation of key " + id +
			": still INITIALIZING after 1 checks: context deadline exceeded\n"
		if r.stderr != want {
			t.Errorf("stderr\n%q\nwant\n%q", r.stderr, want)
		}
	})
}

// TestWaitProgress checks that progress goes to stderr when it is a
// terminal, and only then.
func TestWaitProgress(t *testing.T) {
	f := newFixture(t, byoktest.WithValidation(byoktest.Validation{Reads: 3}))
	for _, terminal := range []bool{false, true} {
		expect(t, f.run("create", "aws", "--key-arn", exampleARN+map[bool]string{false: "-a", true: "-b"}[terminal]), exitOK)
		keys := f.srv.Keys()
		id := keys[len(keys)-1].ID
		f.terminal = terminal
		r := f.run("wait", id, "-o", "json")
		expect(t, r, exitOK)
		if !strings.Contains(r.stdout, `"phase": "VALID"`) {
			t.Errorf("stdout is not the valid key:\n%s", r.stdout)
		}
		if !terminal {
			if r.stderr != "" {
				t.Errorf("progress without a terminal:\n%s", r.stderr)
			}
			continue
		}
		want := regexp.MustCompile(`^` + id + `: INITIALIZING, check 1 after 0s; next check in \d+(\.\d)?s\n` +
			id + `: INITIALIZING, check 2 after \d+(\.\d)?s; next check in \d+(\.\d)?s\n` +
			id + `: VALID, check 3 after \d+(\.\d)?s\n$`)
		if !want.MatchString(r.stderr) {
			t.Errorf("progress on a terminal:\n%s\nwant it to match %s", r.stderr, want)
		}
	}
}

func countOps(srv *byoktest.Server, op byoktest.Operation) int {
	n := 0
	for _, req := range srv.Requests() {
		if req.Operation == op && req.Status == http.StatusOK {
			n++
		}
	}
	return n
}
