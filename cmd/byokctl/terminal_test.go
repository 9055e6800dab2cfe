package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"unicode"

	"sigs.k8s.io/yaml"

	"github.com/byokctl/byok/internal/testkit"
	"github.com/byokctl/byok/wrapper/byoktest"
)

// hostile is text with every kind of character a terminal acts on: an OSC
// title, a screen clear, a one-character CSI, DEL, bidi overrides.
const hostile = "\x1b]0;pwned\x07\x1b[2J\u009b31m\x7f\u202eevil\u202c\r\n"

// assertTerminalSafe fails when out holds a character a terminal acts on
// (other than the line breaks and tabs of byokctl's own layout).
func assertTerminalSafe(t *testing.T, what, out string) {
	t.Helper()
	for _, r := range out {
		if r != '\n' && r != '\t' && unsafeRune(r) {
			t.Errorf("%s printed %U:\n%.2000q", what, r, out)
			return
		}
	}
}

// hostileKey is a key whose every server-set text holds escape sequences.
func hostileKey(id, phase string) string {
	b, _ := json.Marshal(map[string]any{
		"api_version": "byok/v1", "kind": "Key", "id": id, "display_name": hostile,
		"metadata": map[string]any{"self": "https://api.confluent.cloud/byok/v1/keys/" + id, "created_at": "2024-03-20T15:30:00Z"},
		"key": map[string]any{"kind": "AwsKey", "key_arn": "arn:aws:kms:us-west-2:111122223333:key/x" + hostile,
			"roles": []string{"arn:aws:iam::1:role/r" + hostile}},
		"provider": "AWS" + hostile, "state": "AVAILABLE",
		"validation": map[string]any{"phase": phase, "message": hostile, "region": hostile, "since": "2024-03-20T15:30:00Z"},
	})
	return string(b)
}

// TestServerTextIsCleaned runs every command against a server whose every
// text (display names, key ids, error details, request ids, validation
// messages, kinds) holds escape sequences: none reaches stdout or stderr.
// -o json and -o yaml keep the text, escaped, and read back the same.
func TestServerTextIsCleaned(t *testing.T) {
	h, _ := json.Marshal(hostile)
	var gets atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		// Go's client refuses a header with a C0 control: C1 and bidi pass.
		w.Header().Set("X-Request-Id", "req\u009b31m\u202eevil")
		switch {
		case r.URL.Path == "/byok/v1/keys" && r.Method == http.MethodGet:
			_, _ = fmt.Fprintf(w, `{"api_version":"byok/v1","kind":"KeyList","metadata":{},"data":[%s,
			  {"api_version":"byok/v1","kind":"Key","id":"cck-oci","metadata":{"self":"https://api.confluent.cloud/byok/v1/keys/cck-oci"},
			   "key":{"kind":"Oci%sKey"},"provider":"OCI","state":"AVAILABLE","validation":{"phase":"VALID","since":"2024-03-20T15:30:00Z"}}]}`,
				hostileKey("cck-evil", "VALID"), strings.Trim(string(h), `"`))
		case r.URL.Path == "/byok/v1/keys/cck-evil" && r.Method == http.MethodGet:
			phase := "INITIALIZING"
			if gets.Add(1)%2 == 0 {
				phase = "INVALID"
			}
			_, _ = w.Write([]byte(hostileKey("cck-evil", phase)))
		default:
			w.WriteHeader(http.StatusNotFound)
			_, _ = fmt.Fprintf(w, `{"errors":[{"status":"404","title":"Not Found","detail":%s}]}`, h)
		}
	}))
	t.Cleanup(srv.Close)
	f := &fixture{t: t, clock: testkit.NewClockAt(testEpoch()), terminal: true}
	env := map[string]string{envEndpoint: srv.URL, envAPIKey: testAPIKey, envAPISecret: testAPISecret}
	for _, args := range [][]string{
		{"list"}, {"list", "-o", "json"}, {"list", "-o", "yaml"},
		{"get", "cck-evil"}, {"get", "cck-missing"}, {"grants", "cck-evil"}, {"grants", "cck-evil", "-o", "json"},
		{"wait", "cck-evil"}, {"delete", "cck-evil", "cck-missing", "--force"}, {"update", "cck-evil", "--display-name", "x"},
		{"__complete", "get", ""},
	} {
		r := f.runEnv(env, args...)
		assertTerminalSafe(t, strings.Join(args, " "), r.stdout+r.stderr)
		if r.code != exitOK && r.stderr == "" {
			t.Errorf("byokctl %s failed silently", strings.Join(args, " "))
		}
	}

	// The 404's detail is printed, cleaned, in full.
	r := f.runEnv(env, "get", "cck-missing")
	expect(t, r, exitFailure)
	if want := "byokctl: GET /byok/v1/keys/cck-missing: 404 Not Found: ]0;pwned[2J31mevil (request id req31mevil)\n"; r.stderr != want {
		t.Errorf("404 with escapes: stderr %q, want %q", r.stderr, want)
	}
	// The table shows the unknown kind's name, cleaned.
	r = f.runEnv(env, "list")
	expect(t, r, exitOK)
	if !regexp.MustCompile(`\ncck-oci +- +OCI +Oci\]0;pwned\[2J31mevil Key +AVAILABLE`).MatchString(r.stdout) {
		t.Errorf("table:\n%s", r.stdout)
	}
	// JSON and YAML keep the server's text exactly.
	for _, format := range []string{"json", "yaml"} {
		r := f.runEnv(env, "list", "-o", format)
		expect(t, r, exitOK)
		var keys []struct {
			DisplayName string `json:"display_name"`
		}
		var err error
		if format == "json" {
			err = json.Unmarshal([]byte(r.stdout), &keys)
		} else {
			err = yaml.Unmarshal([]byte(r.stdout), &keys)
		}
		if err != nil || len(keys) != 2 || keys[0].DisplayName != hostile {
			t.Errorf("list -o %s does not read back (%v):\n%s", format, err, r.stdout)
		}
	}
}

// TestYAMLNeverFails checks -o yaml and -o json on strings of every
// character: they succeed and read back the same.
func TestYAMLNeverFails(t *testing.T) {
	var all strings.Builder
	for r := rune(0); r < 0x3000; r++ {
		if unicode.IsPrint(r) || unsafeRune(r) {
			all.WriteRune(r)
		}
	}
	for _, s := range []string{"a\x7fb", "DEL \x7f in a name", all.String(), "byokctlunsafe0end", "yes", "- x", "#c", "'q'", `"d"`} {
		v := map[string]any{"display_name": s, s: "as a key", "list": []any{s, 1.5, nil, true}}
		for name, encode := range map[string]func(any) ([]byte, error){
			"yaml": encodeYAML,
			"json": func(v any) ([]byte, error) { return encodeJSON(v, "  ") },
		} {
			out, err := encode(v)
			if err != nil {
				t.Fatalf("%s of %q: %v", name, s, err)
			}
			assertTerminalSafe(t, name, string(out))
			var back map[string]any
			if name == "json" {
				err = json.Unmarshal(out, &back)
			} else {
				err = yaml.Unmarshal(out, &back)
			}
			if err != nil {
				t.Fatalf("%s of %.80q does not parse: %v", name, s, err)
			}
			if back["display_name"] != s || back[s] != "as a key" {
				t.Errorf("%s of %.80q does not read back the same", name, s)
			}
		}
	}
}

// TestMessagesSpeakCLI checks that errors name byokctl's flags, never the
// library's options.
func TestMessagesSpeakCLI(t *testing.T) {
	f := newFixture(t)
	for _, tt := range []struct {
		endpoint, want string
	}{
		{"http://api.example.com", `--endpoint: "http://api.example.com" uses plain http on a host that is not loopback; use https, or --insecure-http to send credentials unencrypted`},
		{"https://user:pass@api.example.com", "pass them with --api-key and --api-secret, or --token"},
	} {
		r := f.run("list", "--endpoint", tt.endpoint)
		expect(t, r, exitUsage)
		if !strings.Contains(r.stderr, tt.want) || strings.Contains(r.stderr, "With") {
			t.Errorf("--endpoint %s: stderr %q, want %q", tt.endpoint, r.stderr, tt.want)
		}
	}
}

// TestKeyIDCompletion checks that key ids complete, with their display
// names, for every command taking ids; and that nothing is offered on an
// error.
func TestKeyIDCompletion(t *testing.T) {
	f := newFixture(t)
	ids := seedKeys(t, f)
	for _, cmd := range []string{"get", "update", "delete", "wait", "grants"} {
		r := f.run("__complete", cmd, "")
		expect(t, r, exitOK)
		if !strings.Contains(r.stdout, "\n"+ids[0]+"\tseed key 1\n"+ids[1]+"\tseed key 2\n") && !strings.HasPrefix(r.stdout, ids[0]+"\tseed key 1\n"+ids[1]+"\tseed key 2\n") ||
			!strings.HasSuffix(r.stdout, ":4\n") {
			t.Errorf("completion of %s:\n%s", cmd, r.stdout)
		}
	}
	r := f.run("__complete", "delete", ids[0], ids[2], "")
	if strings.Contains(r.stdout, ids[0]) || strings.Contains(r.stdout, ids[2]) || !strings.Contains(r.stdout, ids[1]) {
		t.Errorf("completion after two ids of delete:\n%s", r.stdout)
	}
	r = f.run("__complete", "get", ids[0], "")
	if r.stdout != ":4\n" {
		t.Errorf("completion of a second id of get:\n%s", r.stdout)
	}
	// A server that fails: nothing, at once.
	if err := f.srv.FailNext(100, byoktest.FaultServerError); err != nil {
		t.Fatal(err)
	}
	r = f.run("__complete", "get", "")
	expect(t, r, exitOK)
	if r.stdout != ":4\n" {
		t.Errorf("completion against a failing server:\n%s", r.stdout)
	}
	// Known values of create's provider and of the filters.
	r = f.run("__complete", "create", "")
	for _, p := range []string{"aws", "azure", "gcp"} {
		if !strings.Contains(r.stdout, p+"\t") {
			t.Errorf("completion of create lacks %s:\n%s", p, r.stdout)
		}
	}
}
