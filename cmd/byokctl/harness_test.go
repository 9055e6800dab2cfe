package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/byokctl/byok/internal/contract"
	"github.com/byokctl/byok/internal/testkit"
	"github.com/byokctl/byok/wrapper/byoktest"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/byokctl")

// Credentials of the test servers. They are recognisable so that every run
// can check that no secret is ever printed.
const (
	testAPIKey    = "TESTKEY0123456789"
	testAPISecret = "s3cret-MUST-NOT-BE-PRINTED-7f3a"
	testToken     = "t0ken-MUST-NOT-BE-PRINTED-91c2"
	// wrongSecret is a secret the servers refuse.
	wrongSecret = "wr0ng-MUST-NOT-BE-PRINTED-c0de"
)

// testEpoch is the fixed time of the test servers' clock.
func testEpoch() time.Time { return time.Date(2024, 3, 20, 15, 30, 0, 0, time.UTC) }

// runTimeout bounds every in-process run.
const runTimeout = 30 * time.Second

// result is what one byokctl run left behind.
type result struct {
	code           int
	stdout, stderr string
}

// transcript is the form of a result kept in golden files.
func (r result) transcript() string {
	return fmt.Sprintf("exit status %d\n--- stdout\n%s--- stderr\n%s", r.code, r.stdout, r.stderr)
}

// fixture is a fake BYOK server (seeded, on a fixed clock, behind the
// contract validator) and the environment pointing byokctl at it.
type fixture struct {
	t   *testing.T
	srv *byoktest.Server
	env map[string]string
	// terminal makes byokctl believe stdin and stderr are a terminal.
	terminal bool
	// stdin is what byokctl reads on stdin.
	stdin string
	// clock is the client's clock: waits and back-off advance it instead
	// of sleeping.
	clock *testkit.Clock
	// fakeOptions are given to the fakes of serve and demo.
	fakeOptions []byoktest.Option
}

// newValidator returns the spec validator of test t (loading the spec
// takes a moment: share one per test). Under make test it records the
// (operation, status) pairs it saw for make contract.
func newValidator(t *testing.T) *contract.Validator {
	t.Helper()
	return contract.ForTest(t)
}

// contractMiddleware puts the spec validator in front of a fake: an exchange
// the spec rejects fails the test.
func contractMiddleware(t *testing.T, v *contract.Validator) byoktest.Option {
	return byoktest.WithMiddleware(func(h http.Handler) http.Handler { return v.Middleware(t, h) })
}

// deterministicFake are the options that make a fake's answers the same in
// every run: seeded ids and a fixed clock.
func deterministicFake() []byoktest.Option {
	return []byoktest.Option{
		byoktest.WithSeed(7),
		byoktest.WithClock(func() time.Time { return testEpoch() }),
	}
}

func newFixture(t *testing.T, opts ...byoktest.Option) *fixture {
	t.Helper()
	return newFixtureWith(t, newValidator(t), opts...)
}

// newFixtureWith is newFixture with a given validator.
func newFixtureWith(t *testing.T, v *contract.Validator, opts ...byoktest.Option) *fixture {
	t.Helper()
	base := append(deterministicFake(),
		byoktest.WithCredentials(testAPIKey, testAPISecret),
		byoktest.WithToken(testToken),
		contractMiddleware(t, v),
	)
	srv := byoktest.NewServer(t, append(base, opts...)...)
	return &fixture{
		t:   t,
		srv: srv,
		env: map[string]string{
			envEndpoint:  srv.URL(),
			envAPIKey:    testAPIKey,
			envAPISecret: testAPISecret,
		},
		clock:       testkit.NewClockAt(testEpoch()),
		fakeOptions: append(deterministicFake(), contractMiddleware(t, v)),
	}
}

// system returns a system writing to stdout and stderr.
func (f *fixture) system(env map[string]string, stdout, stderr io.Writer) *system {
	return &system{
		stdin:       strings.NewReader(f.stdin),
		stdout:      stdout,
		stderr:      stderr,
		getenv:      func(name string) string { return env[name] },
		listen:      listenTCP,
		isTerminal:  func(any) bool { return f.terminal },
		clock:       f.clock,
		fakeOptions: f.fakeOptions,
		// The AWS SDK retries a throttled request at once.
		kmsBackoff: func(int) time.Duration { return 0 },
	}
}

// run runs byokctl with args in the fixture's environment.
func (f *fixture) run(args ...string) result {
	f.t.Helper()
	return f.runEnv(f.env, args...)
}

// runEnv runs byokctl with args and the environment env, and checks that no
// test secret appears in its output.
func (f *fixture) runEnv(env map[string]string, args ...string) result {
	f.t.Helper()
	var stdout, stderr bytes.Buffer
	ctx, cancel := context.WithTimeout(f.t.Context(), runTimeout)
	defer cancel()
	code := run(ctx, args, f.system(env, &stdout, &stderr))
	r := result{code: code, stdout: f.normalize(stdout.String()), stderr: f.normalize(stderr.String())}
	assertNoSecret(f.t, args, r)
	return r
}

// normalize replaces the server's random port.
func (f *fixture) normalize(s string) string {
	if f.srv == nil {
		return s
	}
	return strings.ReplaceAll(s, f.srv.URL(), "http://127.0.0.1:PORT")
}

// assertNoSecret fails the test when a test secret was printed.
func assertNoSecret(t *testing.T, args []string, r result) {
	t.Helper()
	for _, secret := range []string{testAPISecret, testToken, wrongSecret} {
		if strings.Contains(r.stdout, secret) || strings.Contains(r.stderr, secret) {
			t.Errorf("byokctl %s printed a secret:\n%s", strings.Join(args, " "), r.transcript())
		}
	}
}

// expect checks the exit status of r.
func expect(t *testing.T, r result, code int) {
	t.Helper()
	if r.code != code {
		t.Fatalf("exit status %d, want %d\n%s", r.code, code, r.transcript())
	}
}

// golden compares got with testdata/byokctl/name.golden, or rewrites the
// file with -update. Review every rewritten file by hand.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("..", "..", "testdata", "byokctl", name+".golden")
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./cmd/byokctl -update to create it, then review it)", err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s (if the change is intended, run go test ./cmd/byokctl -update and review the diff):\n%s",
			path, firstDifference(string(want), got))
	}
}

// firstDifference shows the first line where want and got differ.
func firstDifference(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(w) || i < len(g); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			return fmt.Sprintf("line %d:\n  want %q\n  got  %q\n--- got in full\n%s", i+1, wl, gl, got)
		}
	}
	return ""
}

// createdKey creates a key with create args and returns its id and its JSON
// form as the server returned it.
func createdKey(t *testing.T, f *fixture, args ...string) (string, map[string]any) {
	t.Helper()
	r := f.run(append(append([]string{"create"}, args...), "-o", "json")...)
	expect(t, r, exitOK)
	k := jsonObject(t, r.stdout)
	return k["id"].(string), k
}

// writeFile writes content to the file name, readable by its owner only.
func writeFile(t *testing.T, name, content string) {
	t.Helper()
	if err := os.WriteFile(name, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// fixtureAnswering returns a fixture and the environment that point byokctl
// at a loopback server answering every request with body as JSON: for
// answers byoktest would not send (unknown kinds and properties, broken
// keys).
func fixtureAnswering(t *testing.T, body string) (*fixture, map[string]string) {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	f := &fixture{t: t, clock: testkit.NewClockAt(testEpoch())}
	return f, map[string]string{envEndpoint: srv.URL, envAPIKey: testAPIKey, envAPISecret: testAPISecret}
}
