package main

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/byokctl/byok/internal/testkit"
	"github.com/byokctl/byok/wrapper"
	"github.com/byokctl/byok/wrapper/byoktest"
)

// The credentials of TestNoSecretOnAnyPath: recognisable, with characters
// that URL and base64 encoding change, so that an encoded copy is caught
// as well as a plain one.
const (
	leakKey    = "LEAKKEY0123456789"
	leakSecret = "cLiSeCrEt+x/DO-NOT-PRINT=9e1f"
	leakToken  = "cLiToKeN.y_DO-NOT-PRINT~2d4a"
)

// leakForms are the forms in which a leaked credential would show.
func leakForms() []string {
	return []string{
		leakSecret, leakToken, "DO-NOT-PRINT",
		base64.StdEncoding.EncodeToString([]byte(leakKey + ":" + leakSecret)),
		base64.StdEncoding.EncodeToString([]byte(leakSecret)),
		base64.StdEncoding.EncodeToString([]byte(leakToken)),
		url.QueryEscape(leakSecret), url.PathEscape(leakSecret), url.QueryEscape(leakToken),
	}
}

// assertNoLeak fails t when the output of a run shows a credential.
func assertNoLeak(t *testing.T, what string, r result) {
	t.Helper()
	for _, form := range leakForms() {
		if strings.Contains(r.stdout, form) || strings.Contains(r.stderr, form) {
			t.Errorf("byokctl %s printed a credential (%q):\n%s", what, form, r.transcript())
			return
		}
	}
}

// TestNoSecretOnAnyPath runs every command that calls the API down every
// failure path (401, 403, 404, 429, 5xx, a reset, a dropped or truncated
// answer, a timeout, a refused connection), with --debug, whose log shows
// every request and response, and with credentials from the flags and from
// the environment; then the usage errors with credentials given. No
// credential may show on stdout or stderr in any form.
func TestNoSecretOnAnyPath(t *testing.T) {
	v := newValidator(t)
	accept := []byoktest.Option{byoktest.WithCredentials(leakKey, leakSecret), byoktest.WithToken(leakToken)}
	failEvery := func(mode byoktest.FaultMode) func(*testing.T, *byoktest.Server) {
		return func(t *testing.T, srv *byoktest.Server) {
			if err := srv.FailNext(1000, mode); err != nil {
				t.Fatal(err)
			}
		}
	}
	paths := []struct {
		name  string
		opts  []byoktest.Option
		setup func(*testing.T, *byoktest.Server)
		flags []string
		fails bool // every command must fail
	}{
		{name: "success", fails: false},
		{name: "401", opts: []byoktest.Option{byoktest.WithCredentials(leakKey, "another-secret"), byoktest.WithToken("another-token")}, fails: true},
		{name: "403", opts: []byoktest.Option{byoktest.WithForbiddenOperations(byoktest.Operations()...)}, fails: true},
		{name: "429", setup: func(t *testing.T, srv *byoktest.Server) {
			for _, op := range byoktest.Operations() {
				for range 2 * wrapper.DefaultRetryPolicy().MaxAttempts {
					if err := srv.RespondNext(op, http.StatusTooManyRequests); err != nil {
						t.Fatal(err)
					}
				}
			}
		}, fails: true},
		{name: "500", setup: failEvery(byoktest.FaultServerError), fails: true},
		{name: "502 HTML", setup: failEvery(byoktest.FaultHTML), fails: true},
		{name: "reset", setup: failEvery(byoktest.FaultReset), fails: true},
		{name: "dropped", setup: failEvery(byoktest.FaultDropResponse), fails: false}, // a delete is then a 404: success
		{name: "truncated", setup: failEvery(byoktest.FaultTruncated), fails: false},
		// The time limit runs on the real clock, from the start of the
		// command: it must leave a loaded machine the time to send the
		// request (30ms did not, now and then), and end long before the
		// answer (10s).
		{name: "timeout", opts: []byoktest.Option{byoktest.WithFaults(byoktest.Faults{Delay: 10 * time.Second})},
			setup: failEvery(byoktest.FaultSlow), flags: []string{"--timeout", "250ms"}, fails: true},
	}
	commands := func(id string) [][]string {
		return [][]string{
			{"list"},
			{"list", "-o", "json", "--provider", "AWS"},
			{"get", id, "-o", "yaml"},
			{"create", "aws", "--key-arn", exampleARN, "--display-name", "leak test"},
			{"create", "azure", "--key-id", "https://leak.vault.azure.net/keys/k", "--key-vault-id", "/subscriptions/8f5e2b1c-3d4a-4b6e-9f0a-1c2d3e4f5a6b/resourceGroups/leak-rg/providers/Microsoft.KeyVault/vaults/leak", "--tenant-id", "00000000-0000-0000-0000-000000000001"},
			{"create", "gcp", "--key-id", "projects/leak-project/locations/us-central1/keyRings/leak-ring/cryptoKeys/leak", "--wait"},
			{"update", id, "--display-name", "renamed"},
			{"wait", id},
			{"delete", id, "cck-missing", "--force", "--ignore-not-found"},
		}
	}
	credentials := []struct {
		name  string
		env   map[string]string
		flags []string
	}{
		{"key and secret in the environment", map[string]string{envAPIKey: leakKey, envAPISecret: leakSecret}, nil},
		{"token in the environment", map[string]string{envAccessToken: leakToken}, nil},
		{"key and secret flags", nil, []string{"--api-key", leakKey, "--api-secret", leakSecret}},
		{"token flag", nil, []string{"--token", leakToken}},
	}
	runs := 0
	for _, p := range paths {
		t.Run(p.name, func(t *testing.T) {
			for ci, cred := range credentials {
				if ci >= 2 && p.name != "success" && p.name != "401" && p.name != "500" {
					continue // the flags take the same way as the environment from here on
				}
				for _, args := range commands("") {
					f := newFixtureWith(t, v, append(slices.Clone(accept), p.opts...)...)
					id := f.srv.Seed(1)[0]
					if p.setup != nil {
						p.setup(t, f.srv)
					}
					args = slices.Clone(args)
					for i, a := range args {
						if a == "" {
							args[i] = id
						}
					}
					env := map[string]string{envEndpoint: f.srv.URL()}
					for k, val := range cred.env {
						env[k] = val
					}
					full := slices.Concat(args, cred.flags, p.flags, []string{"--debug"})
					r := f.runEnv(env, full...)
					runs++
					assertNoLeak(t, strings.Join(full, " "), r)
					switch {
					case p.fails && r.code == exitOK:
						t.Errorf("byokctl %s succeeded on the %s path:\n%s", strings.Join(full, " "), p.name, r.transcript())
					case r.code != exitOK && r.stderr == "":
						t.Errorf("byokctl %s failed silently", strings.Join(full, " "))
					case !strings.Contains(r.stderr, "byok: request"):
						t.Errorf("byokctl %s --debug logged no request:\n%s", strings.Join(full, " "), r.transcript())
					}
				}
			}
		})
	}

	t.Run("connection refused", func(t *testing.T) {
		endpoint := testkit.RefusedURL(t)
		f := newFixtureWith(t, v)
		for _, cred := range credentials {
			for _, args := range commands("cck-1") {
				env := map[string]string{envEndpoint: endpoint}
				for k, val := range cred.env {
					env[k] = val
				}
				full := slices.Concat(args, cred.flags, []string{"--debug"})
				r := f.runEnv(env, full...)
				runs++
				expect(t, r, exitFailure)
				assertNoLeak(t, strings.Join(full, " "), r)
			}
		}
	})

	t.Run("usage errors", func(t *testing.T) {
		f := newFixtureWith(t, v, accept...)
		env := map[string]string{envEndpoint: f.srv.URL(), envAPIKey: leakKey, envAPISecret: leakSecret, envAccessToken: leakToken}
		secretURL := "//" + leakKey + ":" + url.QueryEscape(leakSecret) + "@"
		for _, args := range [][]string{
			{"list", "--bogus"},
			{"list", "--api-secret", leakSecret, "--bogus"},
			{"list", "--token", leakToken, "--api-key", leakKey, "--api-secret", leakSecret},
			{"list", "--api-secret", leakSecret, "--token", leakToken},
			{"get", "--token", leakToken},
			{"get", "a", "b", "--token", leakToken},
			{"list", "--endpoint", "http:" + secretURL + "127.0.0.1:8080"},
			{"list", "--endpoint", "https:" + secretURL + "api.confluent.cloud"},
			{"list", "--endpoint", "http:" + secretURL + "api.example.com"},
			{"list", "--endpoint", "https://" + leakKey + ":" + leakSecret + "@api.confluent.cloud"},
			{"list", "--endpoint", "ftp:" + secretURL + "api.example.com"},
			{"list", "--api-key", leakKey + ":" + leakSecret, "--api-secret", leakSecret},
			{"create", "aws", "--token", leakToken},
			{"update", "cck-1", "--token", leakToken},
			{"frobnicate", "--api-secret", leakSecret},
			{"serve", "--api-secret", leakSecret},
		} {
			for _, debug := range []bool{false, true} {
				full := args
				if debug {
					full = append(slices.Clone(args), "--debug")
				}
				r := f.runEnv(env, full...)
				runs++
				expect(t, r, exitUsage)
				assertNoLeak(t, strings.Join(full, " "), r)
			}
		}
	})

	t.Run("serve", func(t *testing.T) {
		f := newFixtureWith(t, v)
		s := startServe(t, f, "--api-key", leakKey, "--api-secret", leakSecret, "--token", leakToken)
		for _, env := range []map[string]string{
			{envEndpoint: s.url, envAPIKey: leakKey, envAPISecret: leakSecret},
			{envEndpoint: s.url, envAccessToken: leakToken},
			{envEndpoint: s.url, envAPIKey: leakKey, envAPISecret: "wrong"},
		} {
			r := f.runEnv(env, "list", "--debug")
			runs++
			assertNoLeak(t, "list against serve", r)
		}
		if code := s.stop(); code != exitOK {
			t.Errorf("serve exited with %d", code)
		}
		assertNoLeak(t, "serve", result{stderr: s.stderr.String()})
	})
	t.Logf("%d runs of byokctl", runs)
}
