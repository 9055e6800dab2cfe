package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/byokctl/byok/internal/testkit"
	"github.com/byokctl/byok/wrapper"
	"github.com/byokctl/byok/wrapper/byoktest"
)

// commandFor returns the byokctl arguments that call op on key id.
func commandFor(op byoktest.Operation, id string) []string {
	switch op {
	case byoktest.OpList:
		return []string{"list"}
	case byoktest.OpCreate:
		return []string{"create", "aws", "--key-arn", exampleARN}
	case byoktest.OpGet:
		return []string{"get", id}
	case byoktest.OpUpdate:
		return []string{"update", id, "--display-name", "renamed"}
	case byoktest.OpDelete:
		return []string{"delete", id, "--force"}
	}
	panic("unknown operation " + op)
}

// TestAPIErrors answers every documented error status of every operation
// and checks that byokctl prints one line with the status, the server's
// detail and the request id, prints nothing on stdout and exits with 1.
// The lines are kept in a golden file.
func TestAPIErrors(t *testing.T) {
	v := newValidator(t)
	var transcript strings.Builder
	for _, pair := range v.Documented() {
		if pair.Status < 400 {
			continue
		}
		op := byoktest.Operation(pair.OperationID)
		f := newFixtureWith(t, v)
		id := f.srv.Seed(1)[0]
		// Retried statuses (429, 5xx) are answered to every attempt.
		for range wrapper.DefaultRetryPolicy().MaxAttempts {
			if err := f.srv.RespondNext(op, pair.Status); err != nil {
				t.Fatal(err)
			}
		}
		args := commandFor(op, id)
		r := f.run(args...)
		if op == byoktest.OpDelete && pair.Status == http.StatusNotFound {
			// Found by the lookup, gone by the delete: deleted all the same.
			expect(t, r, exitOK)
			if r.stdout != "deleted "+id+"\n" || r.stderr != id+" was already gone\n" {
				t.Errorf("%s: stdout %q stderr %q", pair, r.stdout, r.stderr)
			}
			fmt.Fprintf(&transcript, "$ byokctl %s  # %s\n%s", strings.Join(args, " "), pair, r.stderr)
			continue
		}
		expect(t, r, exitFailure)
		if r.stdout != "" {
			t.Errorf("%s: stdout %q, want nothing", pair, r.stdout)
		}
		line := strings.TrimSuffix(r.stderr, "\n")
		switch {
		case strings.Contains(line, "\n") || !strings.HasSuffix(r.stderr, "\n"):
			t.Errorf("%s: stderr is not one line: %q", pair, r.stderr)
		case !strings.Contains(line, ": "+strconv.Itoa(pair.Status)+" "+http.StatusText(pair.Status)+": "),
			!strings.Contains(line, "(request id byoktest-"):
			t.Errorf("%s: %q lacks the status or the request id", pair, line)
		}
		fmt.Fprintf(&transcript, "$ byokctl %s  # %s\n%s", strings.Join(args, " "), pair, r.stderr)
	}
	// The back-off is random: the time waited in all is not compared.
	golden(t, "api-errors", regexp.MustCompile(` and [0-9hms.]+ of waiting`).ReplaceAllString(transcript.String(), " and <waited> of waiting"))
}

func TestTimeout(t *testing.T) {
	f := newFixture(t, byoktest.WithFaults(byoktest.Faults{Delay: 5 * 1e9}))
	if err := f.srv.FailNext(1, byoktest.FaultSlow); err != nil {
		t.Fatal(err)
	}
	r := f.run("list", "--timeout", "50ms")
	expect(t, r, exitFailure)
	if !strings.HasPrefix(r.stderr, "byokctl: gave up after 50ms (set a longer --timeout): ") ||
		!strings.Contains(r.stderr, "context deadline exceeded") || strings.Count(r.stderr, "\n") != 1 {
		t.Errorf("stderr %q", r.stderr)
	}
}

func TestCredentials(t *testing.T) {
	f := newFixture(t)
	// A second server with other credentials: an environment pointing there
	// fails, so a success proves the flags won.
	other := byoktest.NewServer(t, byoktest.WithCredentials("OTHERKEY", "other-secret"))
	url := f.srv.URL()
	tests := []struct {
		name string
		env  map[string]string
		args []string
		code int
		want string // in stderr
	}{
		{"key and secret from the environment",
			map[string]string{envEndpoint: url, envAPIKey: testAPIKey, envAPISecret: testAPISecret}, nil, exitOK, ""},
		{"token from the environment",
			map[string]string{envEndpoint: url, envAccessToken: testToken}, nil, exitOK, ""},
		{"token flag",
			map[string]string{envEndpoint: url}, []string{"--token", testToken}, exitOK, ""},
		{"key and secret flags beat the environment",
			map[string]string{envEndpoint: url, envAPIKey: "OTHERKEY", envAPISecret: wrongSecret},
			[]string{"--api-key", testAPIKey, "--api-secret", testAPISecret}, exitOK, ""},
		{"token flag beats an API key in the environment",
			map[string]string{envEndpoint: url, envAPIKey: "OTHERKEY", envAPISecret: wrongSecret},
			[]string{"--token", testToken}, exitOK, ""},
		{"key flag with the secret from the environment",
			map[string]string{envEndpoint: url, envAPISecret: testAPISecret}, []string{"--api-key", testAPIKey}, exitOK, ""},
		{"endpoint flag beats the environment",
			map[string]string{envEndpoint: other.URL(), envAPIKey: testAPIKey, envAPISecret: testAPISecret},
			[]string{"--endpoint", url}, exitOK, ""},
		{"endpoint from the environment is used",
			map[string]string{envEndpoint: other.URL(), envAPIKey: testAPIKey, envAPISecret: testAPISecret},
			nil, exitFailure, "401 Unauthorized"},
		{"wrong secret",
			map[string]string{envEndpoint: url, envAPIKey: testAPIKey, envAPISecret: wrongSecret},
			nil, exitFailure, "byokctl: GET /byok/v1/keys: 401 Unauthorized: "},
		{"wrong token",
			map[string]string{envEndpoint: url}, []string{"--token", wrongSecret}, exitFailure, "401 Unauthorized"},
		{"no credentials",
			map[string]string{envEndpoint: url}, nil, exitUsage,
			"byokctl: no credentials: set an API key and secret (CONFLUENT_CLOUD_API_KEY and CONFLUENT_CLOUD_API_SECRET) or a bearer token (CONFLUENT_CLOUD_ACCESS_TOKEN)\n"},
		{"key without secret",
			map[string]string{envEndpoint: url, envAPIKey: testAPIKey}, nil, exitUsage,
			"an API key (CONFLUENT_CLOUD_API_KEY) needs its secret (CONFLUENT_CLOUD_API_SECRET)"},
		{"secret flag without key",
			map[string]string{envEndpoint: url}, []string{"--api-secret", testAPISecret}, exitUsage,
			"byokctl: --api-secret needs its key: give --api-key or set CONFLUENT_CLOUD_API_KEY\n"},
		{"key flag without secret",
			map[string]string{envEndpoint: url}, []string{"--api-key", testAPIKey}, exitUsage,
			"byokctl: --api-key needs its secret: give --api-secret or set CONFLUENT_CLOUD_API_SECRET\n"},
		{"secret without key",
			map[string]string{envEndpoint: url, envAPISecret: testAPISecret}, nil, exitUsage,
			"an API secret (CONFLUENT_CLOUD_API_SECRET) needs its key (CONFLUENT_CLOUD_API_KEY)"},
		{"a key flag that cannot be a key",
			map[string]string{envEndpoint: url}, []string{"--api-key", "a:b", "--api-secret", testAPISecret}, exitUsage,
			"byokctl: --api-key/--api-secret: the API key contains ':' or a line break"},
		{"token and key flags",
			map[string]string{envEndpoint: url}, []string{"--token", testToken, "--api-key", testAPIKey, "--api-secret", testAPISecret},
			exitUsage, "give either --token or --api-key/--api-secret, not both"},
		{"credentials in the endpoint",
			map[string]string{envAPIKey: testAPIKey, envAPISecret: testAPISecret},
			[]string{"--endpoint", "http://" + testAPIKey + ":" + testAPISecret + "@127.0.0.1:8080"}, exitUsage,
			"credentials in the URL are refused"},
		{"an endpoint from the environment is named as its variable",
			map[string]string{envEndpoint: "http://api.example.com", envAPIKey: testAPIKey, envAPISecret: testAPISecret}, nil, exitUsage,
			`byokctl: CONFLUENT_CLOUD_ENDPOINT: "http://api.example.com" uses plain http on a host that is not loopback; use https, or --insecure-http to send credentials unencrypted` + "\n"},
		{"a key from the environment that cannot be a key",
			map[string]string{envEndpoint: url, envAPIKey: "a:b", envAPISecret: testAPISecret}, nil, exitUsage,
			"byokctl: CONFLUENT_CLOUD_API_KEY/CONFLUENT_CLOUD_API_SECRET: the API key contains ':' or a line break"},
		{"a token flag with a line break",
			map[string]string{envEndpoint: url}, []string{"--token", "a\nb"}, exitUsage,
			"byokctl: --token: the token contains a line break or another control character\n"},
		{"plain http to another host",
			map[string]string{envAPIKey: testAPIKey, envAPISecret: testAPISecret},
			[]string{"--endpoint", "http://api.example.com"}, exitUsage, "plain http on a host that is not loopback"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := f.runEnv(tt.env, append([]string{"list", "-o", "json"}, tt.args...)...)
			expect(t, r, tt.code)
			if !strings.Contains(r.stderr, tt.want) {
				t.Errorf("stderr %q, want it to contain %q", r.stderr, tt.want)
			}
			if tt.code == exitOK && r.stdout != "[]\n" {
				t.Errorf("stdout %q, want []", r.stdout)
			}
			if tt.code == exitUsage && !strings.HasSuffix(r.stderr, "Run 'byokctl list --help' for usage.\n") {
				t.Errorf("no hint to the help: %q", r.stderr)
			}
		})
	}
}

// TestSecretsNeverPrinted runs the failure paths with --debug, where the
// most is printed; runEnv checks every run for the secrets.
func TestSecretsNeverPrinted(t *testing.T) {
	f := newFixture(t)
	ids := f.srv.Seed(1)
	closed := httptest.NewServer(http.NotFoundHandler())
	closedURL := closed.URL
	closed.Close() // nothing listens there any more: the requests fail to connect

	for _, creds := range [][]string{
		{"--api-key", testAPIKey, "--api-secret", testAPISecret},
		{"--api-key", testAPIKey, "--api-secret", wrongSecret},
		{"--token", testToken},
		{"--token", wrongSecret},
	} {
		for _, args := range [][]string{
			{"list"}, {"get", ids[0]}, {"get", "cck-missing"}, {"delete", "cck-missing", "--force"},
			{"update", ids[0], "--display-name", "x"}, {"wait", ids[0]},
			{"create", "aws", "--key-arn", exampleARN}, {"create", "aws", "--key-arn", exampleARN}, // the second is a 409
		} {
			r := f.runEnv(map[string]string{envEndpoint: f.srv.URL()}, slices.Concat(args, creds, []string{"--debug"})...)
			if r.code != exitOK && r.stderr == "" {
				t.Errorf("byokctl %v failed silently", args)
			}
			r = f.runEnv(map[string]string{envEndpoint: closedURL}, slices.Concat(args, creds, []string{"--debug"})...)
			expect(t, r, exitFailure)
		}
	}
	// Secrets given through the environment, with a usage error.
	r := f.runEnv(map[string]string{envAPISecret: testAPISecret, envAccessToken: testToken}, "list", "--bogus")
	expect(t, r, exitUsage)
}

func TestDebugLogsRequestsRedacted(t *testing.T) {
	f := newFixture(t)
	plain := f.run("list")
	debug := f.run("list", "--debug")
	expect(t, debug, exitOK)
	if debug.stdout != plain.stdout {
		t.Errorf("--debug changed stdout:\n%s\nwant\n%s", debug.stdout, plain.stdout)
	}
	for _, want := range []string{"byok: request", "method=GET", "/byok/v1/keys", "Authorization=[redacted]", "byok: response", "status=200"} {
		if !strings.Contains(debug.stderr, want) {
			t.Errorf("--debug stderr lacks %q:\n%s", want, debug.stderr)
		}
	}
	if plain.stderr != "" {
		t.Errorf("stderr without --debug: %q", plain.stderr)
	}
}

// TestDebugShowsCredentialKind: with a key pair and a token both set, the
// key pair is used, and --debug says which kind of credential was used,
// never its value.
func TestDebugShowsCredentialKind(t *testing.T) {
	f := newFixture(t)
	env := map[string]string{envEndpoint: f.srv.URL(), envAPIKey: testAPIKey, envAPISecret: testAPISecret, envAccessToken: testToken}
	r := f.runEnv(env, "list", "--debug")
	expect(t, r, exitOK)
	if !strings.Contains(r.stderr, "API key from CONFLUENT_CLOUD_API_KEY and CONFLUENT_CLOUD_API_SECRET") {
		t.Errorf("--debug does not say the key pair was used:\n%s", r.stderr)
	}
	delete(env, envAPIKey)
	delete(env, envAPISecret)
	r = f.runEnv(env, "list", "--debug")
	if !strings.Contains(r.stderr, "bearer token from CONFLUENT_CLOUD_ACCESS_TOKEN") {
		t.Errorf("--debug does not say the token was used:\n%s", r.stderr)
	}
	for _, secret := range []string{testAPISecret, testToken} {
		if strings.Contains(r.stderr, secret) {
			t.Errorf("--debug printed a credential:\n%s", r.stderr)
		}
	}
}

// TestInterrupted checks what a command says when it is interrupted
// (Ctrl-C cancels the context main passes to run).
func TestInterrupted(t *testing.T) {
	f := newFixture(t)
	var stdout, stderr bytes.Buffer
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	code := run(ctx, []string{"list"}, f.system(f.env, &stdout, &stderr))
	if code != exitFailure || stdout.Len() != 0 || !strings.HasPrefix(stderr.String(), "byokctl: interrupted: ") {
		t.Errorf("exit status %d, stdout %q, stderr %q; want 1 and \"byokctl: interrupted: ...\"", code, stdout.String(), stderr.String())
	}
}

// TestAPIErrorStatusNotRepeated: a body that only repeats the status line,
// as a gateway's plain-text answer does, is not printed after it.
func TestAPIErrorStatusNotRepeated(t *testing.T) {
	for _, body := range []string{"503 Service Unavailable", "service unavailable", "\n503 Service Unavailable\n"} {
		got := describe(&wrapper.APIError{Method: "GET", Path: "/byok/v1/keys", StatusCode: 503, Body: body, RequestID: "r-1"})
		if want := "GET /byok/v1/keys: 503 Service Unavailable (request id r-1)"; got != want {
			t.Errorf("body %q: got %q, want %q", body, got, want)
		}
	}
	got := describe(&wrapper.APIError{Method: "GET", Path: "/byok/v1/keys", StatusCode: 503, Body: "upstream reset"})
	if want := "GET /byok/v1/keys: 503 Service Unavailable: upstream reset"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

// TestGiveUpSaysWhy: an error after retries keeps the library's account
// (after how many attempts, why it stopped, the last error), and says once
// when the time limit stopped the retries. Retries used up: no --timeout
// hint. A server's wait longer than the time left under --timeout: the hint,
// though the deadline has not passed (before, the message said nothing of
// --timeout).
func TestGiveUpSaysWhy(t *testing.T) {
	t.Run("attempts used up", func(t *testing.T) {
		f := newFixture(t)
		n := wrapper.DefaultRetryPolicy().MaxAttempts
		if err := f.srv.FailNext(n, byoktest.FaultBadGateway, byoktest.OpList); err != nil {
			t.Fatal(err)
		}
		r := f.run("list")
		expect(t, r, exitFailure)
		line := strings.TrimSuffix(r.stderr, "\n")
		for _, want := range []string{"byokctl: list keys: gave up after " + strconv.Itoa(n) + " attempts and ",
			"no attempt left (the retry policy allows " + strconv.Itoa(n) + "); the last error: GET /byok/v1/keys: 502 Bad Gateway"} {
			if !strings.Contains(line, want) {
				t.Errorf("stderr does not say %q:\n%s", want, r.stderr)
			}
		}
		if strings.Contains(line, "\n") || strings.Contains(line, "--timeout") {
			t.Errorf("want one line, without a --timeout hint:\n%s", r.stderr)
		}
	})
	t.Run("no time left", func(t *testing.T) {
		var requests atomic.Int32
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			requests.Add(1)
			w.Header().Set("Retry-After", "20")
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusTooManyRequests)
			_, _ = w.Write([]byte(`{"errors":[{"status":"429","title":"Too Many Requests","detail":"slow down"}]}`))
		}))
		t.Cleanup(srv.Close)
		f := &fixture{t: t, clock: testkit.NewClockAt(testEpoch()),
			env: map[string]string{envEndpoint: srv.URL, envAPIKey: testAPIKey, envAPISecret: testAPISecret}}
		r := f.run("list", "--timeout", "5s")
		expect(t, r, exitFailure)
		want := "byokctl: stopped retrying: the 5s time limit left no time for the next attempt (set a longer --timeout): " +
			"list keys: gave up after 1 attempt: the wait of 20s (Retry-After) before attempt 2 is longer than the "
		if !strings.HasPrefix(r.stderr, want) || !strings.Contains(r.stderr, "; the last error: GET /byok/v1/keys: 429 Too Many Requests: slow down") ||
			strings.Count(r.stderr, "--timeout") != 1 || strings.Count(r.stderr, "\n") != 1 || requests.Load() != 1 {
			t.Errorf("%d requests; stderr\n%s\nwant one request and one line starting %q, with the --timeout hint once", requests.Load(), r.stderr, want)
		}
	})
}

// TestExplainDeadlineOnce: an error explained twice (a command's own
// explanation, then the runtime's) gives the hint once, also under another
// hint; before, "gave up after 1s (set a longer --timeout)" came twice.
func TestExplainDeadlineOnce(t *testing.T) {
	for _, err := range []error{context.DeadlineExceeded, fmt.Errorf("list keys: %w", wrapper.ErrNoTimeLeft)} {
		once := explainDeadline(err, time.Second)
		for _, twice := range []error{explainDeadline(once, time.Second),
			explainDeadline(&hinted{"looking up cck-1 before deleting (nothing was deleted)", once, false}, time.Second)} {
			if got := describe(twice); strings.Count(got, "--timeout") != 1 {
				t.Errorf("%q: want the --timeout hint once", got)
			}
		}
	}
}
