package main

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"

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

// assertNoLeak fails t when the output of a run shows a credential, in any
// form (leakNeedles), as printed or as read (asRead), or a piece of one.
func assertNoLeak(t *testing.T, what string, r result) {
	t.Helper()
	needles := leakNeedles(leakSecret, leakKey+":"+leakSecret, leakToken)
	needles["DO-NOT-PRINT"] = "a piece"
	if counts, first := leaks(r.stdout+"\n"+r.stderr, needles); len(counts) > 0 {
		t.Errorf("byokctl %s printed a credential (%v), first %s:\n%s", what, counts, first, r.transcript())
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

// insertedMarks are the characters a hostile server puts in the middle of
// an echoed credential: a terminal's controls (SOH, ESC, DEL, the C1 CSI),
// bidirectional controls and a zero-width space. Cleaning for the
// terminal removes most of them, and a reader does not see the others: the
// credential would read whole.
var insertedMarks = []string{"\x01", "\x1b", "\x7f", "\u009b", "\u202e", "\u2066", "\u200e", "\u200b", "\ufeff"}

// encodedForms returns the encodings of v in which a server may echo it:
// base64 (standard and URL alphabets, padded and not), percent-encoding (as
// url.QueryEscape and url.PathEscape write it, in upper and lower case, and
// of every byte).
func encodedForms(v string) []string {
	lower := func(s string) string {
		return regexp.MustCompile(`%[0-9A-F]{2}`).ReplaceAllStringFunc(s, strings.ToLower)
	}
	var every strings.Builder
	for i := range len(v) {
		fmt.Fprintf(&every, "%%%02x", v[i])
	}
	b := []byte(v)
	return []string{
		base64.StdEncoding.EncodeToString(b), base64.RawStdEncoding.EncodeToString(b),
		base64.URLEncoding.EncodeToString(b), base64.RawURLEncoding.EncodeToString(b),
		url.QueryEscape(v), lower(url.QueryEscape(v)), url.PathEscape(v), lower(url.PathEscape(v)),
		every.String(),
	}
}

// echoForms returns every form of the credential values vs a server echoes:
// each as it is, with each of insertedMarks in its middle, and in each
// encoding.
func echoForms(vs ...string) []string {
	var forms []string
	for _, v := range vs {
		forms = append(forms, v)
		for _, m := range insertedMarks {
			forms = append(forms, v[:len(v)/2]+m+v[len(v)/2:])
		}
		forms = append(forms, encodedForms(v)...)
	}
	return forms
}

// leakNeedles returns what must never be found in the output when vs are
// the credential values, each with what it is: each value and each of its
// encodings.
func leakNeedles(vs ...string) map[string]string {
	needles := map[string]string{}
	for _, v := range vs {
		needles[v] = "as is"
		for _, e := range encodedForms(v) {
			if _, ok := needles[e]; !ok {
				needles[e] = "encoded"
			}
		}
	}
	return needles
}

// asRead returns out as a reader takes it in: the escapes of JSON, YAML
// and Go quoting (\u202e, \x01) turned into their characters, and then every
// character that shows as nothing removed (controls, format characters
// such as bidi controls and zero-width spaces, white space).
func asRead(out string) string {
	unescaped := regexp.MustCompile(`\\u[0-9a-fA-F]{4}|\\x[0-9a-fA-F]{2}`).ReplaceAllStringFunc(out, func(e string) string {
		n, _ := strconv.ParseUint(e[2:], 16, 32)
		return string(rune(n))
	})
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || unicode.IsSpace(r) {
			return -1
		}
		return r
	}, unescaped)
}

// leaks counts the needles in out, as printed and as read (see asRead), by
// what they are, and returns the first one found with its context.
func leaks(out string, needles map[string]string) (counts map[string]int, first string) {
	counts = map[string]int{}
	for _, view := range []struct{ name, text string }{{"printed", out}, {"read", asRead(out)}} {
		for needle, what := range needles {
			n := strings.Count(view.text, needle)
			if n == 0 {
				continue
			}
			if view.name == "read" {
				// Those not counted as printed: the needle spelled with
				// escapes or invisible characters.
				n -= strings.Count(out, needle)
			}
			if n <= 0 {
				continue
			}
			counts[what+", "+view.name] += n
			if first == "" {
				i := strings.Index(view.text, needle)
				first = fmt.Sprintf("%s %q in %q", view.name, needle, view.text[max(0, i-80):min(len(view.text), i+len(needle)+80)])
			}
		}
	}
	return counts, first
}

// echoAPI is a BYOK API on loopback that echoes a credential, in the forms
// it is given, in every text it sends: every field of every key (the list,
// a key, a created or updated key), every error detail, a non-JSON error
// body, and the X-Request-Id header.
type echoAPI struct {
	mode string // "fields": 2xx answers; "details": 400 Failure bodies; "body": a 400 text body
	// text is the echo in a body: the forms, joined; header the forms a
	// response header can carry (no C0 control, no DEL), joined.
	text, header string
}

// echoKeyIDs are the keys the echo API lists, one of each kind; it lists a
// fourth whose id is the echo.
var echoKeyIDs = map[string]string{"AwsKey": "cck-echo-aws", "AzureKey": "cck-echo-azure", "GcpKey": "cck-echo-gcp"}

func newEchoAPI(mode string, forms []string) *echoAPI {
	var header []string
	for _, f := range forms {
		if !strings.ContainsFunc(f, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
			header = append(header, f)
		}
	}
	return &echoAPI{mode: mode, text: strings.Join(forms, " | "), header: strings.Join(header, " | ")}
}

// key returns a key of kind whose every text but its kind holds the echo.
func (e *echoAPI) key(id, kind string) map[string]any {
	material := map[string]any{"kind": kind}
	provider := map[string]string{"AwsKey": "AWS", "AzureKey": "AZURE", "GcpKey": "GCP"}[kind]
	switch kind {
	case "AwsKey":
		material["key_arn"] = "arn:aws:kms:us-west-2:111122223333:key/" + e.text
		material["roles"] = []string{"arn:aws:iam::111122223333:role/" + e.text, e.text}
	case "AzureKey":
		material["key_id"] = "https://echo.vault.azure.net/keys/" + e.text
		material["key_vault_id"] = "/subscriptions/" + e.text
		material["tenant_id"] = e.text
		material["application_id"] = e.text
	case "GcpKey":
		material["key_id"] = "projects/" + e.text
		material["security_group"] = e.text
	}
	return map[string]any{
		"api_version": "byok/v1", "kind": "Key", "id": id, "display_name": e.text, "key": material,
		"metadata": map[string]any{"self": "https://api.confluent.cloud/byok/v1/keys/" + e.text, "resource_name": e.text, "created_at": "2024-03-20T15:30:00Z"},
		"provider": provider, "state": "AVAILABLE",
		"validation": map[string]any{"phase": "INVALID", "message": e.text, "region": e.text, "since": "2024-03-20T15:30:00Z"},
	}
}

func (e *echoAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, 1<<20))
	w.Header().Set("X-Request-Id", "req "+e.header)
	w.Header().Set("X-Echo", e.header)
	var body any
	status := http.StatusOK
	id := strings.TrimPrefix(r.URL.Path, "/byok/v1/keys/")
	switch {
	case e.mode == "body":
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, e.text)
		return
	case e.mode == "details":
		status = http.StatusBadRequest
		body = map[string]any{"errors": []map[string]any{
			{"id": e.text, "status": "400", "code": e.text, "title": e.text, "detail": e.text,
				"source": map[string]string{"pointer": "/" + e.text}, "message": e.text},
			{"code": e.text, "source": map[string]string{"parameter": e.text}},
			{"message": e.text},
		}}
	case r.URL.Path == "/byok/v1/keys" && r.Method == http.MethodGet:
		data := []any{e.key("cck-echo-aws", "AwsKey"), e.key("cck-echo-azure", "AzureKey"), e.key("cck-echo-gcp", "GcpKey"), e.key("cck-"+e.text, "GcpKey")}
		body = map[string]any{"api_version": "byok/v1", "kind": "KeyList", "data": data,
			"metadata": map[string]any{"first": "https://api.confluent.cloud/byok/v1/keys?" + e.text, "total_size": len(data)}}
	case r.URL.Path == "/byok/v1/keys" && r.Method == http.MethodPost:
		status = http.StatusCreated
		body = e.key("cck-echo-new", "AwsKey")
	case r.Method == http.MethodDelete:
		w.WriteHeader(http.StatusNoContent)
		return
	default:
		kind := "GcpKey"
		for k, known := range echoKeyIDs {
			if id == known {
				kind = k
			}
		}
		body = e.key(id, kind)
	}
	b, err := json.Marshal(body)
	if err != nil {
		panic(err)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// TestNoSecretInAnyForm runs every byokctl command, with --debug, against a
// server that echoes the credential (the API key and secret, or the bearer
// token) in every field, error detail and header: as it is, with a
// control, bidirectional or invisible character in its middle, and in base64
// and percent-encodings. Neither stdout nor stderr may show the credential
// in any of those forms, as printed or as a reader takes it (escapes
// decoded, invisible characters removed).
func TestNoSecretInAnyForm(t *testing.T) {
	keysFile := writeKeysFile(t,
		"{provider: aws, key_arn: 'arn:aws:kms:us-west-2:111122223333:key/echo', display_name: renamed}",
		"{provider: gcp, key_id: '"+exampleGCPKey+"'}")
	commands := [][]string{
		{"list"}, {"list", "-o", "json"}, {"list", "-o", "yaml"},
		{"get", "cck-echo-aws"}, {"get", "cck-echo-azure", "-o", "json"}, {"get", "cck-echo-gcp", "-o", "yaml"},
		{"create", "aws", "--key-arn", exampleARN},
		{"create", "azure", "--key-id", "https://leak.vault.azure.net/keys/k", "--key-vault-id", "/subscriptions/8f5e2b1c-3d4a-4b6e-9f0a-1c2d3e4f5a6b/resourceGroups/leak-rg/providers/Microsoft.KeyVault/vaults/leak", "--tenant-id", "00000000-0000-0000-0000-000000000001"},
		{"create", "gcp", "--key-id", exampleGCPKey, "--wait"},
		{"update", "cck-echo-aws", "--display-name", "renamed"},
		{"delete", "cck-echo-aws", "cck-echo-gcp", "--force"},
		{"wait", "cck-echo-azure"},
		{"grants", "cck-echo-aws"}, {"grants", "cck-echo-azure"}, {"grants", "cck-echo-gcp", "-o", "json"},
		{"diff", "-f", keysFile}, {"apply", "-f", keysFile, "--prune", "--force"},
		{"__complete", "get", ""},
	}
	credentials := []struct {
		name   string
		env    map[string]string
		values []string // what must not be printed
	}{
		{"key and secret", map[string]string{envAPIKey: leakKey, envAPISecret: leakSecret}, []string{leakSecret, leakKey + ":" + leakSecret}},
		{"token", map[string]string{envAccessToken: leakToken}, []string{leakToken}},
	}
	byCommand, byKind := map[string]int{}, map[string]int{}
	runs := 0
	for _, cred := range credentials {
		forms := echoForms(cred.values...)
		needles := leakNeedles(cred.values...)
		// A text body is cut to an excerpt: one form per run, so that
		// every form reaches the excerpt.
		apis := []*echoAPI{newEchoAPI("fields", forms), newEchoAPI("details", forms)}
		for _, form := range forms {
			apis = append(apis, newEchoAPI("body", []string{form}))
		}
		for _, api := range apis {
			srv := httptest.NewServer(api)
			f := &fixture{t: t, clock: testkit.NewClockAt(testEpoch())}
			env := map[string]string{envEndpoint: srv.URL}
			maps.Copy(env, cred.env)
			for _, args := range commands {
				if api.mode == "body" && args[0] != "list" && args[0] != "get" {
					continue // the excerpt of a text body is made the same way for every operation
				}
				full := slices.Concat(args, []string{"--debug", "--timeout", "10s"})
				if args[0] == "__complete" { // the last word is the one completed
					full = slices.Concat(args[:1], full[len(args):], args[1:])
				}
				r := f.runEnv(env, full...)
				runs++
				if !strings.Contains(r.stderr, "byok: request") {
					t.Errorf("byokctl %s logged no request:\n%s", strings.Join(full, " "), r.transcript())
				}
				counts, first := leaks(r.stdout+"\n"+r.stderr, needles)
				n := 0
				for what, c := range counts {
					n += c
					byKind[what] += c
				}
				if n > 0 {
					byCommand[strings.Join(args[:min(2, len(args))], " ")] += n
					t.Errorf("byokctl %s (%s, %s answers) printed the credential %d times (%v), first %s", strings.Join(full, " "), cred.name, api.mode, n, counts, first)
				}
			}
			srv.Close()
		}
	}
	for _, name := range slices.Sorted(maps.Keys(byCommand)) {
		t.Logf("byokctl %s: %d leaks", name, byCommand[name])
	}
	for _, what := range slices.Sorted(maps.Keys(byKind)) {
		t.Logf("credentials %s: %d", what, byKind[what])
	}
	t.Logf("%d runs of byokctl", runs)
}
