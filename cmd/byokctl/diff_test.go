package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/byokctl/byok/internal/testkit"
	"github.com/byokctl/byok/wrapper"
	"github.com/byokctl/byok/wrapper/byoktest"
)

const (
	driftInvalidARN = "arn:aws:kms:eu-west-1:111122223333:key/0b1c2d3e-aaaa-bbbb-cccc-1234567890ab"
	driftExtraGCP   = "projects/exampleproject/locations/europe-west1/keyRings/testkeyring/cryptoKeys/legacy"
)

// driftFixture is a fake holding, against testdata/keysfiles/drift.yaml, one
// key in sync, one to rename, one INVALID and one extra.
func driftFixture(t *testing.T) *fixture {
	t.Helper()
	f := newFixture(t)
	var invalid string
	for _, args := range [][]string{
		{"aws", "--key-arn", exampleARN, "--display-name", "billing"},
		{"gcp", "--key-id", exampleGCPKey, "--display-name", "analytics (old)"},
		{"aws", "--key-arn", driftInvalidARN},
		{"gcp", "--key-id", driftExtraGCP, "--display-name", "legacy"},
	} {
		id, _ := createdKey(t, f, args...)
		if args[2] == driftInvalidARN {
			invalid = id
		}
	}
	if err := f.srv.SetValidation(invalid, wrapper.PhaseInvalid, "Access to key denied."); err != nil {
		t.Fatal(err)
	}
	f.srv.ClearRequests()
	return f
}

// TestDiffDrift: one line per key, in the file's order then the server's;
// exit status 3; only GET requests.
func TestDiffDrift(t *testing.T) {
	f := driftFixture(t)
	for _, format := range []string{"text", "json"} {
		t.Run(format, func(t *testing.T) {
			r := f.run("diff", "-f", keysFilePath("drift.yaml"), "-o", format)
			expect(t, r, exitDrift)
			golden(t, "diff-drift-"+format, r.transcript())
		})
	}
	for _, req := range f.srv.Requests() {
		if req.Method != http.MethodGet {
			t.Errorf("diff sent %s %s", req.Method, req.Path)
		}
	}
}

// TestDiffInSync: exit status 0, and a plan of keys in sync.
func TestDiffInSync(t *testing.T) {
	f := newFixture(t)
	file := keysFilePath("example.yaml")
	expect(t, f.run("apply", "-f", file), exitOK)
	r := f.run("diff", "-f", file)
	expect(t, r, exitOK)
	golden(t, "diff-in-sync", r.transcript())
}

// TestDiffOddServer: values of the extensible enumerations byokctl does not
// know, keys of an unknown kind or that cannot be decoded, and two keys
// sharing one identifier do not break diff; the server's texts reach the
// terminal without control characters.
func TestDiffOddServer(t *testing.T) {
	page, err := os.ReadFile(keysFilePath("odd-server-page.json"))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet || r.URL.Path != "/byok/v1/keys" {
			http.Error(w, "unexpected request", http.StatusTeapot)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(page)
	}))
	defer srv.Close()
	f := &fixture{t: t, clock: testkit.NewClock(), env: map[string]string{
		envEndpoint: srv.URL, envAPIKey: testAPIKey, envAPISecret: testAPISecret,
	}}
	for _, format := range []string{"text", "json"} {
		t.Run(format, func(t *testing.T) {
			r := f.run("diff", "-f", keysFilePath("odd.yaml"), "-o", format)
			expect(t, r, exitDrift)
			if strings.Contains(r.stdout+r.stderr, "\x1b") {
				t.Errorf("a control character reached the terminal:\n%q", r.stdout)
			}
			golden(t, "diff-odd-server-"+format, r.transcript())
			if format != "json" {
				return
			}
			var out struct {
				InSync bool `json:"in_sync"`
				Keys   []struct {
					Action, ID string
				} `json:"keys"`
			}
			if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, k := range out.Keys {
				got = append(got, k.Action+" "+k.ID)
			}
			want := "in-sync cck-enum1,duplicate cck-azur1,duplicate cck-azur2,invalid cck-gcp01," +
				"unknown-kind cck-oci01,extra cck-extra1,unreadable cck-nokind"
			if out.InSync || strings.Join(got, ",") != want {
				t.Errorf("in_sync %v, plan %s; want false, %s", out.InSync, strings.Join(got, ","), want)
			}
		})
	}
}

// TestDiffAPIError: a listing the API refuses is exit status 1, with the
// server's words.
func TestDiffAPIError(t *testing.T) {
	f := newFixture(t)
	if err := f.srv.RespondNext(byoktest.OpList, http.StatusForbidden); err != nil {
		t.Fatal(err)
	}
	r := f.run("diff", "-f", keysFilePath("example.yaml"))
	expect(t, r, exitFailure)
	if r.stdout != "" || !strings.HasPrefix(r.stderr, "byokctl: GET /byok/v1/keys: 403 Forbidden") {
		t.Errorf("want nothing on stdout and the server's answer on stderr:\n%s", r.transcript())
	}
}
