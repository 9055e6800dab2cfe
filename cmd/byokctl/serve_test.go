package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/byokctl/byok/internal/contract/prism"
	"github.com/byokctl/byok/internal/testkit"
	"github.com/byokctl/byok/wrapper/byoktest"
)

// served is a byokctl serve running in-process.
type served struct {
	url    string
	stderr *testkit.SyncBuffer
	stop   func() int // stops it as SIGTERM does and returns the exit status
}

// startServe runs byokctl serve with args (and --addr 127.0.0.1:0) until
// stop is called.
func startServe(t *testing.T, f *fixture, args ...string) *served {
	t.Helper()
	stderr := &testkit.SyncBuffer{}
	var stdout testkit.SyncBuffer
	sys := f.system(nil, &stdout, stderr)
	addrs := make(chan net.Addr, 1)
	sys.listen = func(ctx context.Context, addr string) (net.Listener, error) {
		if addr != "127.0.0.1:0" {
			t.Errorf("serve listens on %q, want the test's 127.0.0.1:0", addr)
		}
		ln, err := listenTCP(ctx, addr)
		if err != nil {
			return nil, err
		}
		// serve prints its banner, then serves: the first Accept says the
		// banner is written.
		return &readyListener{Listener: ln, ready: func() { addrs <- ln.Addr() }}, nil
	}
	ctx, cancel := context.WithCancelCause(t.Context())
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...), sys)
	}()
	s := &served{stderr: stderr}
	s.stop = func() int {
		// As main does on SIGTERM: serve's normal stop, so exit status 0.
		cancel(&interruption{syscall.SIGTERM})
		select {
		case code := <-done:
			if stdout.String() != "" {
				t.Errorf("serve printed on stdout: %q", stdout.String())
			}
			return code
		case <-time.After(runTimeout):
			t.Fatalf("serve did not stop within %s:\n%s", runTimeout, stderr.String())
			return -1
		}
	}
	t.Cleanup(func() { cancel(nil) })
	select {
	case addr := <-addrs:
		s.url = "http://" + addr.String()
	case code := <-done:
		t.Fatalf("serve exited with %d before listening:\n%s", code, stderr.String())
	case <-time.After(runTimeout):
		t.Fatalf("serve did not listen within %s", runTimeout)
	}
	return s
}

// readyListener calls ready once, on the first Accept.
type readyListener struct {
	net.Listener
	once  sync.Once
	ready func()
}

func (l *readyListener) Accept() (net.Conn, error) {
	l.once.Do(l.ready)
	return l.Listener.Accept()
}

func TestServe(t *testing.T) {
	f := newFixture(t)
	s := startServe(t, f, "--seed", "3", "--api-key", "SERVEKEY", "--api-secret", testAPISecret)
	env := map[string]string{envEndpoint: s.url, envAPIKey: "SERVEKEY", envAPISecret: testAPISecret}

	r := f.runEnv(env, "list", "-o", "json")
	expect(t, r, exitOK)
	if n := strings.Count(r.stdout, `"id": "cck-`); n != 3 {
		t.Errorf("listed %d keys, want the 3 seeded:\n%s", n, r.stdout)
	}
	// A key whose ARN says "denied" fails its validation.
	r = f.runEnv(env, "create", "aws", "--key-arn", "arn:aws:kms:us-east-1:111122223333:key/denied-1", "--wait")
	expect(t, r, exitFailure)
	if !strings.Contains(r.stderr, "failed validation: Access to key denied.") {
		t.Errorf("create --wait of a denied key: %s", r.stderr)
	}
	// Other credentials are refused.
	r = f.runEnv(map[string]string{envEndpoint: s.url, envAPIKey: "SERVEKEY", envAPISecret: wrongSecret}, "list")
	expect(t, r, exitFailure)

	if code := s.stop(); code != exitOK {
		t.Errorf("serve exited with %d after SIGTERM, want 0:\n%s", code, s.stderr.String())
	}
	log := s.stderr.String()
	if strings.Contains(log, "interrupted") || !strings.HasSuffix(log, "stopped\n") {
		t.Errorf("serve stopped by SIGTERM: want its log to end with \"stopped\" and say nothing of an interruption:\n%s", log)
	}
	for _, want := range []string{
		"fake BYOK API listening on " + s.url + " (Ctrl-C to stop)\n",
		"3 keys; point byokctl at it with:\n",
		"  export CONFLUENT_CLOUD_ENDPOINT=" + s.url + "\n",
		"  export CONFLUENT_CLOUD_API_KEY=SERVEKEY\n",
		"  export CONFLUENT_CLOUD_API_SECRET=<the secret given with --api-secret>\n",
		"GET /byok/v1/keys?page_size=100 200 ",
		"POST /byok/v1/keys 201 ",
		"GET /byok/v1/keys?page_size=100 401 ",
		"stopping\nstopped\n",
	} {
		if !strings.Contains(log, want) {
			t.Errorf("serve's stderr lacks %q:\n%s", want, log)
		}
	}
	if strings.Contains(log, testAPISecret) {
		t.Errorf("serve printed the API secret it was given:\n%s", log)
	}
}

// TestServeDefaultCredentials checks that serve prints its built-in
// credentials, and that they work.
func TestServeDefaultCredentials(t *testing.T) {
	f := newFixture(t)
	s := startServe(t, f)
	log := s.stderr.String()
	env := map[string]string{envEndpoint: s.url}
	for _, line := range strings.Split(log, "\n") {
		for _, name := range []string{envAPIKey, envAPISecret} {
			if v, ok := strings.CutPrefix(line, "  export "+name+"="); ok {
				env[name] = v
			}
		}
	}
	if env[envAPIKey] == "" || env[envAPISecret] == "" {
		t.Fatalf("serve printed no credentials:\n%s", log)
	}
	r := f.runEnv(env, "list")
	expect(t, r, exitOK)
	if !strings.Contains(log, "or a bearer token: export CONFLUENT_CLOUD_ACCESS_TOKEN=") {
		t.Errorf("serve does not print its bearer token:\n%s", log)
	}
	if !strings.Contains(log, "(the built-in test credentials; start serve with --api-key and --api-secret or --token to accept only yours)\n") {
		t.Errorf("serve does not say the credentials are its built-in ones:\n%s", log)
	}
	if code := s.stop(); code != exitOK {
		t.Errorf("exit status %d", code)
	}
}

// TestServeData checks that --data keeps the keys across restarts.
func TestServeData(t *testing.T) {
	f := newFixture(t)
	data := filepath.Join(t.TempDir(), "keys.json")

	s := startServe(t, f, "--data", data)
	env := map[string]string{envEndpoint: s.url, envAPIKey: "BYOKTESTKEY", envAPISecret: "byoktest-secret"}
	r := f.runEnv(env, "create", "gcp", "--key-id", exampleGCPKey, "--display-name", "kept")
	expect(t, r, exitOK)
	if code := s.stop(); code != exitOK {
		t.Fatalf("exit status %d:\n%s", code, s.stderr.String())
	}

	s = startServe(t, f, "--data", data)
	env[envEndpoint] = s.url
	r = f.runEnv(env, "list", "--display-name", "kept", "-o", "json")
	expect(t, r, exitOK)
	if !strings.Contains(r.stdout, exampleGCPKey) {
		t.Errorf("the key did not survive a restart:\n%s", r.stdout)
	}
	if !strings.Contains(s.stderr.String(), "keys are kept in "+data) {
		t.Errorf("serve does not say where the keys are kept:\n%s", s.stderr.String())
	}
	if code := s.stop(); code != exitOK {
		t.Errorf("exit status %d", code)
	}
}

func TestServeErrors(t *testing.T) {
	f := newFixture(t)
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"serve", "--fault-rate", "2"}, "--fault-rate is 2; expected a fraction from 0 to 1"},
		{[]string{"serve", "--seed", "-1"}, "--seed is -1; expected a number of keys, 0 or more"},
		{[]string{"serve", "--api-key", "K"}, "give --api-key and --api-secret together"},
	} {
		r := f.run(tt.args...)
		expect(t, r, exitUsage)
		if !strings.HasPrefix(r.stderr, "byokctl: "+tt.want+"\n") {
			t.Errorf("byokctl %v: stderr %q", tt.args, r.stderr)
		}
	}

	// An address in use.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := ln.Close(); err != nil {
			t.Error(err)
		}
	})
	r := f.run("serve", "--addr", ln.Addr().String())
	expect(t, r, exitFailure)
	if !strings.HasPrefix(r.stderr, "byokctl: listening on "+ln.Addr().String()+": ") {
		t.Errorf("stderr %q", r.stderr)
	}
}

// TestServeFaultRate checks that --fault-rate 1 breaks every request on
// purpose, and that the access log says so.
func TestServeFaultRate(t *testing.T) {
	f := newFixture(t)
	s := startServe(t, f, "--fault-rate", "1")
	r := f.runEnv(map[string]string{envEndpoint: s.url, envAPIKey: "BYOKTESTKEY", envAPISecret: "byoktest-secret"}, "list")
	// Which faults come is random; retries may get through a slow answer.
	if r.code != exitOK && r.code != exitFailure {
		t.Errorf("exit status %d", r.code)
	}
	if code := s.stop(); code != exitOK {
		t.Errorf("exit status %d", code)
	}
	if !strings.Contains(s.stderr.String(), " [fault injected: ") {
		t.Errorf("the access log shows no injected fault:\n%s", s.stderr.String())
	}
	if want := "faults are on: each request fails on purpose with probability 1 (such answers carry X-Byoktest-Fault)\n"; !strings.Contains(s.stderr.String(), want) {
		t.Errorf("the banner does not say faults are on:\n%s", s.stderr.String())
	}
}

// TestServeLogsAConnectionClosedWithoutAnswer checks that the access log
// says "no answer" for a connection the fake closed on purpose, not a
// status the client never saw.
func TestServeLogsAConnectionClosedWithoutAnswer(t *testing.T) {
	f := newFixture(t)
	f.fakeOptions = []byoktest.Option{byoktest.WithFaults(byoktest.Faults{Rate: 1, Modes: []byoktest.FaultMode{byoktest.FaultReset}})}
	s := startServe(t, f)
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, s.url+"/byok/v1/keys", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth(byoktest.DefaultAPIKey, byoktest.DefaultAPISecret)
	client := &http.Client{Timeout: runTimeout, Transport: &http.Transport{DisableKeepAlives: true}}
	if resp, err := client.Do(req); err == nil {
		_ = resp.Body.Close()
		t.Fatalf("the reset connection gave an answer: %s", resp.Status)
	}
	if code := s.stop(); code != exitOK {
		t.Errorf("exit status %d", code)
	}
	if want := "GET /byok/v1/keys no answer "; !strings.Contains(s.stderr.String(), want) {
		t.Errorf("serve's stderr lacks %q:\n%s", want, s.stderr.String())
	}
}

// serveRequest sends one request to a serve and returns its status, Location
// and body. auth sets the credentials; host, when not empty, is the Host
// header.
func serveRequest(t *testing.T, method, url, body, host string, auth func(*http.Request)) (int, http.Header, string) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if host != "" {
		req.Host = host
	}
	if auth != nil {
		auth(req)
	}
	c := &http.Client{Timeout: runTimeout}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, string(b)
}

func basicAuth(key, secret string) func(*http.Request) {
	return func(r *http.Request) { r.SetBasicAuth(key, secret) }
}

func bearerAuth(token string) func(*http.Request) {
	return func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+token) }
}

// TestServeGivenCredentialsRefuseTheBuiltIns checks that credentials given
// to serve are the only ones it accepts: the built-in pair and token are
// refused.
func TestServeGivenCredentialsRefuseTheBuiltIns(t *testing.T) {
	builtinPair := basicAuth(byoktest.DefaultAPIKey, byoktest.DefaultAPISecret)
	builtinToken := bearerAuth(byoktest.DefaultToken)
	for _, c := range []struct {
		name  string
		args  []string
		given func(*http.Request)
	}{
		{"key and secret", []string{"--api-key", "SERVEKEY", "--api-secret", testAPISecret}, basicAuth("SERVEKEY", testAPISecret)},
		{"token", []string{"--token", testToken}, bearerAuth(testToken)},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := startServe(t, newFixture(t), c.args...)
			keys := s.url + "/byok/v1/keys"
			if code, _, body := serveRequest(t, http.MethodGet, keys, "", "", builtinToken); code != http.StatusUnauthorized {
				t.Errorf("the built-in bearer token: %d %s; want 401", code, body)
			}
			if code, _, body := serveRequest(t, http.MethodGet, keys, "", "", builtinPair); code != http.StatusUnauthorized {
				t.Errorf("the built-in key and secret: %d %s; want 401", code, body)
			}
			if code, _, body := serveRequest(t, http.MethodGet, keys, "", "", c.given); code != http.StatusOK {
				t.Errorf("the given credentials: %d %s; want 200", code, body)
			}
			if code := s.stop(); code != exitOK {
				t.Errorf("exit status %d", code)
			}
			log := s.stderr.String()
			if strings.Contains(log, byoktest.DefaultAPISecret) || strings.Contains(log, byoktest.DefaultToken) || strings.Contains(log, "built-in") {
				t.Errorf("the banner offers the built-in credentials it refuses:\n%s", log)
			}
		})
	}
}

// TestServeHelpSaysTheCredentialsAreBuiltIn checks that the help names the
// fixed built-in credentials instead of claiming to make some up.
func TestServeHelpSaysTheCredentialsAreBuiltIn(t *testing.T) {
	r := newFixture(t).run("serve", "--help")
	expect(t, r, exitOK)
	for _, want := range []string{"built-in test credentials", byoktest.DefaultAPIKey, byoktest.DefaultAPISecret, byoktest.DefaultToken, "accepts only those"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("serve --help lacks %q:\n%s", want, r.stdout)
		}
	}
	if strings.Contains(r.stdout, "makes up") {
		t.Errorf("serve --help says it makes up credentials:\n%s", r.stdout)
	}
}

// dataKeys returns the number of keys in a data file.
func dataKeys(t *testing.T, path string) int {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct{ Keys []json.RawMessage }
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return len(doc.Keys)
}

// TestServeSeedFillsOnlyAnEmptyStore checks that two starts with --seed 5
// and the same --data leave 5 keys.
func TestServeSeedFillsOnlyAnEmptyStore(t *testing.T) {
	f := newFixture(t)
	data := filepath.Join(t.TempDir(), "keys.json")
	for run := 1; run <= 2; run++ {
		s := startServe(t, f, "--seed", "5", "--data", data)
		if code := s.stop(); code != exitOK {
			t.Fatalf("run %d: exit status %d:\n%s", run, code, s.stderr.String())
		}
		if !strings.Contains(s.stderr.String(), "\n5 keys; point byokctl at it with:\n") {
			t.Errorf("run %d: serve's stderr:\n%s\nwant 5 keys", run, s.stderr.String())
		}
		if n := dataKeys(t, data); n != 5 {
			t.Errorf("run %d: the data file holds %d keys; want 5", run, n)
		}
		if run == 2 && !strings.Contains(s.stderr.String(), "--seed 5 added no keys: the data file already holds keys\n") {
			t.Errorf("run %d: serve does not say --seed added nothing:\n%s", run, s.stderr.String())
		}
	}
}

// TestServeDataFileErrors checks that a data file serve cannot use stops it
// at start with exit status 1 and the reason.
func TestServeDataFileErrors(t *testing.T) {
	f := newFixture(t)
	dir := t.TempDir()
	badSeq := filepath.Join(dir, "bad-seq.json")
	writeFile(t, badSeq, `{"version":1,"keys":[`+
		`{"seq":1,"id":"cck-1","key":{"kind":"GcpKey","key_id":"a"}},`+
		`{"seq":1,"id":"cck-2","key":{"kind":"GcpKey","key_id":"b"}}]}`)
	hugeNext := filepath.Join(dir, "huge-next.json")
	writeFile(t, hugeNext, `{"version":1,"next_seq":18446744073709551615,"keys":[]}`)
	missing := filepath.Join(dir, "missing", "keys.json")
	for _, c := range []struct {
		name, path, want string
	}{
		{"a missing directory", missing, "byokctl: starting the fake server: byoktest: the data file " + missing + " cannot be used: "},
		{"two keys with one seq", badSeq, "byokctl: starting the fake server: byoktest: the data file " + badSeq + ": key 1: seq is 1, not past the previous key's 1"},
		{"next_seq at the top", hugeNext, "byokctl: starting the fake server: byoktest: the data file " + hugeNext + ": next_seq is 18446744073709551615"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := f.run("serve", "--addr", "127.0.0.1:0", "--data", c.path)
			expect(t, r, exitFailure)
			if !strings.HasPrefix(r.stderr, c.want) || strings.Count(r.stderr, "\n") != 1 {
				t.Errorf("stderr %q; want one line beginning with %q", r.stderr, c.want)
			}
		})
	}
}

// TestServeDataFileHasOneServer checks that a second serve on the data file
// of a running one refuses to start, naming the file.
func TestServeDataFileHasOneServer(t *testing.T) {
	f := newFixture(t)
	data := filepath.Join(t.TempDir(), "keys.json")
	s := startServe(t, f, "--data", data)
	r := f.run("serve", "--addr", "127.0.0.1:0", "--data", data)
	expect(t, r, exitFailure)
	if want := "byokctl: starting the fake server: byoktest: the data file " + data + " is in use by another server"; !strings.HasPrefix(r.stderr, want) {
		t.Errorf("stderr %q; want it to begin with %q", r.stderr, want)
	}
	if code := s.stop(); code != exitOK {
		t.Errorf("exit status %d", code)
	}
	s = startServe(t, f, "--data", data)
	if code := s.stop(); code != exitOK {
		t.Errorf("a serve after the first stopped: exit status %d", code)
	}
}

// TestServePortInUseLeavesTheDataFileAlone checks that serve stops on an
// address in use before it touches the data file or its directory.
func TestServePortInUseLeavesTheDataFileAlone(t *testing.T) {
	f := newFixture(t)
	dir := t.TempDir()
	data := filepath.Join(dir, "keys.json")
	content := []byte(`{"version":1,"next_seq":2,"keys":[{"seq":1,"id":"cck-1","key":{"kind":"GcpKey","key_id":"projects/p/locations/l/keyRings/r/cryptoKeys/k"}}]}`)
	if err := os.WriteFile(data, content, 0o600); err != nil {
		t.Fatal(err)
	}
	leftover := filepath.Join(dir, ".keys.json.tmp-1")
	writeFile(t, leftover, "")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })

	r := f.run("serve", "--addr", ln.Addr().String(), "--data", data, "--seed", "3")
	expect(t, r, exitFailure)
	if got, err := os.ReadFile(data); err != nil || !bytes.Equal(got, content) {
		t.Errorf("the data file changed: %s (%v)", got, err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 2 {
		t.Errorf("the directory holds %v; want the data file and the leftover only", entries)
	}

	// Started, serve removes the leftover.
	s := startServe(t, f, "--data", data)
	if _, err := os.Stat(leftover); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the leftover temporary file is still there: %v", err)
	}
	if code := s.stop(); code != exitOK {
		t.Errorf("exit status %d", code)
	}
}

// TestServeLinksComeFromTheListenAddress checks that Location and
// metadata.self name the listening address, or --base-url, whatever Host
// the request names.
func TestServeLinksComeFromTheListenAddress(t *testing.T) {
	body := `{"key":{"kind":"GcpKey","key_id":"` + exampleGCPKey + `"}}`
	auth := basicAuth(byoktest.DefaultAPIKey, byoktest.DefaultAPISecret)
	for _, c := range []struct {
		name string
		args []string
		base func(s *served) string
	}{
		{"the listen address", nil, func(s *served) string { return s.url }},
		{"--base-url", []string{"--base-url", "https://byok.example.com/"}, func(*served) string { return "https://byok.example.com" }},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := startServe(t, newFixture(t), c.args...)
			code, h, b := serveRequest(t, http.MethodPost, s.url+"/byok/v1/keys", body, "attacker.example", auth)
			if code != http.StatusCreated {
				t.Fatalf("create: %d %s", code, b)
			}
			want := c.base(s) + "/byok/v1/keys/cck-"
			if loc := h.Get("Location"); !strings.HasPrefix(loc, want) {
				t.Errorf("Location %q; want it to begin with %q", loc, want)
			}
			if !strings.Contains(b, `"self":"`+want) || strings.Contains(b, "attacker.example") {
				t.Errorf("the key's links do not begin with %q:\n%s", want, b)
			}
			if code := s.stop(); code != exitOK {
				t.Errorf("exit status %d", code)
			}
		})
	}
	r := newFixture(t).run("serve", "--base-url", "byok.example.com")
	expect(t, r, exitUsage)
	if want := "byokctl: --base-url is \"byok.example.com\"; expected a scheme and a host"; !strings.HasPrefix(r.stderr, want) {
		t.Errorf("stderr %q; want it to begin with %q", r.stderr, want)
	}
}

// slowClients opens n connections to addr that each send part of a request
// and never finish it.
func slowClients(t *testing.T, addr string, n int) []net.Conn {
	t.Helper()
	conns := make([]net.Conn, 0, n)
	for range n {
		c, err := net.DialTimeout("tcp", addr, runTimeout)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = c.Close() })
		if _, err := io.WriteString(c, "GET /byok/v1/keys HTTP/1.1\r\nHost: 127.0.0.1\r\n"); err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
	}
	return conns
}

// awaitClosed waits, until deadline, for the server to close each of conns,
// and returns how long the last took from start.
func awaitClosed(t *testing.T, conns []net.Conn, start, deadline time.Time) time.Duration {
	t.Helper()
	var last time.Duration
	for i, c := range conns {
		if err := c.SetReadDeadline(deadline); err != nil {
			t.Fatal(err)
		}
		_, err := io.ReadAll(c)
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			t.Fatalf("slow client %d: the server did not close the connection by the deadline", i)
		}
		last = time.Since(start)
	}
	return last
}

// startRunServer runs runServer with limits and grace on a loopback
// listener, serving byoktest, until the returned stop is called; stop
// returns runServer's error and how long it took to return.
func startRunServer(t *testing.T, limits serveLimits, grace time.Duration) (*byoktest.Server, string, func() (time.Duration, error), *testkit.SyncBuffer) {
	t.Helper()
	fake, err := byoktest.New()
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var log testkit.SyncBuffer
	logf := func(format string, args ...any) { _, _ = fmt.Fprintf(&log, format+"\n", args...) }
	ctx, cancel := context.WithCancel(t.Context())
	t.Cleanup(cancel)
	done := make(chan error, 1)
	go func() { done <- runServer(ctx, limits.httpServer(fake), ln, grace, logf) }()
	stop := func() (time.Duration, error) {
		start := time.Now()
		cancel()
		select {
		case err := <-done:
			return time.Since(start), err
		case <-time.After(runTimeout):
			t.Fatalf("runServer did not return within %s", runTimeout)
			return 0, nil
		}
	}
	return fake, ln.Addr().String(), stop, &log
}

// TestServeSlowClients checks that twenty clients that never finish a
// request do not hold the server, are cut off by the header timeout, and do
// not keep its shutdown past the grace period.
func TestServeSlowClients(t *testing.T) {
	srv := defaultServeLimits.httpServer(http.NotFoundHandler())
	if srv.ReadHeaderTimeout <= 0 || srv.ReadTimeout <= 0 || srv.IdleTimeout <= 0 || srv.MaxHeaderBytes <= 0 {
		t.Fatalf("serve's server lacks a limit: ReadHeaderTimeout %s, ReadTimeout %s, IdleTimeout %s, MaxHeaderBytes %d",
			srv.ReadHeaderTimeout, srv.ReadTimeout, srv.IdleTimeout, srv.MaxHeaderBytes)
	}
	const clients = 20

	t.Run("cut off by the header timeout", func(t *testing.T) {
		limits := defaultServeLimits
		limits.readHeader = 200 * time.Millisecond
		fake, addr, stop, _ := startRunServer(t, limits, shutdownGrace)
		start := time.Now()
		conns := slowClients(t, addr, clients)
		if code, _, body := serveRequest(t, http.MethodGet, "http://"+addr+"/byok/v1/keys", "", "", fake.Authorize); code != http.StatusOK {
			t.Errorf("a request while %d clients hang: %d %s", clients, code, body)
		}
		took := awaitClosed(t, conns, start, start.Add(runTimeout))
		t.Logf("%d slow clients cut off %s after they connected (header timeout %s)", clients, took.Round(time.Millisecond), limits.readHeader)
		if took < limits.readHeader {
			t.Errorf("the slow clients were cut off after %s, before the header timeout %s", took, limits.readHeader)
		}
		if _, err := stop(); err != nil {
			t.Error(err)
		}
	})

	t.Run("shutdown within the grace period", func(t *testing.T) {
		const grace = 300 * time.Millisecond
		fake, addr, stop, log := startRunServer(t, defaultServeLimits, grace)
		conns := slowClients(t, addr, clients)
		// The server accepts connections in order: once a later one is
		// answered, the slow ones are accepted too.
		serveRequest(t, http.MethodGet, "http://"+addr+"/byok/v1/keys", "", "", fake.Authorize)

		took, err := stop()
		t.Logf("shutdown with %d slow clients took %s (grace %s)", clients, took.Round(time.Millisecond), grace)
		if err != nil {
			t.Errorf("runServer: %v", err)
		}
		if took > grace+2*time.Second {
			t.Errorf("shutdown took %s; the grace period is %s", took, grace)
		}
		awaitClosed(t, conns, time.Now(), time.Now().Add(runTimeout))
		if !strings.Contains(log.String(), "closing the connections still open after 300ms\n") {
			t.Errorf("the log does not say the connections were closed:\n%s", log.String())
		}
	})
}

// TestPrismServe runs a create, wait, list, get, update and delete flow
// through `prism proxy --errors` in front of byokctl serve, as a user's CI
// would check the fake against the published spec, and fails on any
// violation Prism reports (a header such as a fractional X-RateLimit-Reset
// included). It starts its own Prism, so it runs once, in the proxy run of
// `make prism`, and skips elsewhere.
func TestPrismServe(t *testing.T) {
	prismProxy(t)
	bin := os.Getenv(prism.BinEnv)
	if bin == "" {
		t.Skipf("%s is not set: the test runs under `make prism`", prism.BinEnv)
	}
	front, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	frontURL := "http://" + front.Addr().String()
	f := newFixture(t)
	// The real clock: a fixed one would make every X-RateLimit-Reset a
	// whole minute. The contract validator checks serve's side too.
	f.fakeOptions = []byoktest.Option{contractMiddleware(t, newValidator(t))}
	s := startServe(t, f, "--base-url", frontURL)

	p, err := prism.Start(t.Context(), prism.Options{Bin: bin, Spec: filepath.Join("..", "..", "openapi", "byok-v1.yaml"),
		Mode: prism.Proxy, Upstream: s.url, Errors: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := p.Stop(); err != nil {
			t.Error(err)
		}
	})
	target, err := url.Parse(p.URL())
	if err != nil {
		t.Fatal(err)
	}
	rec := prism.NewRecorder(target)
	frontSrv := &http.Server{Handler: rec, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = frontSrv.Serve(front) }()
	t.Cleanup(func() { _ = frontSrv.Close() })

	env := map[string]string{envEndpoint: frontURL, envAPIKey: byoktest.DefaultAPIKey, envAPISecret: byoktest.DefaultAPISecret}
	step := func(args ...string) result {
		t.Helper()
		r := f.runEnv(env, args...)
		if r.code != exitOK {
			t.Fatalf("byokctl %s: exit status %d\n%s\nflagged by Prism: %v", strings.Join(args, " "), r.code, r.transcript(), rec.Flagged())
		}
		return r
	}
	r := step("create", "gcp", "--key-id", exampleGCPKey, "--display-name", "through prism", "-o", "json")
	id := field(t, jsonObject(t, r.stdout), "id")
	step("wait", id)
	step("list", "-o", "json")
	step("get", id, "-o", "json")
	step("update", id, "--display-name", "renamed through prism")
	step("delete", id, "--force")
	if code := s.stop(); code != exitOK {
		t.Errorf("serve exited with %d", code)
	}
	flagged := rec.Flagged()
	t.Logf("prism proxy in front of byokctl serve: %d exchanges, %d violations", rec.Exchanges(), len(flagged))
	for _, v := range flagged {
		t.Errorf("Prism: %s", v)
	}
	if rec.Exchanges() < 6 {
		t.Errorf("%d exchanges went through Prism; the flow makes at least 6", rec.Exchanges())
	}
}

// TestServeOwnFlags: serve offers only its own flags, in its help and in
// completion, and refuses a global flag it would ignore; its help says where
// its credentials come from (its flags, not the environment).
func TestServeOwnFlags(t *testing.T) {
	f := newFixture(t)
	r := f.run("serve", "--help")
	expect(t, r, exitOK)
	for _, unwanted := range []string{"Global Flags", "--timeout", "--endpoint", "--insecure-http", "--debug", "--output", "(default $"} {
		if strings.Contains(r.stdout, unwanted) {
			t.Errorf("serve --help offers %q:\n%s", unwanted, r.stdout)
		}
	}
	text := strings.Join(strings.Fields(r.stdout), " ")
	for _, want := range []string{"--api-key", "--api-secret", "--token", "serve reads no environment variable"} {
		if !strings.Contains(text, want) {
			t.Errorf("serve --help does not say %q", want)
		}
	}
	for _, args := range [][]string{
		{"--timeout", "1s"}, {"--endpoint", "http://127.0.0.1:1"}, {"--insecure-http"}, {"--debug"}, {"-o", "json"},
	} {
		// On an ephemeral port, should serve start regardless.
		r := f.run(append([]string{"serve", "--addr", "127.0.0.1:0"}, args...)...)
		name := args[0]
		if name == "-o" {
			name = "--output"
		}
		want := "byokctl: byokctl serve has no " + name + " flag\nRun 'byokctl serve --help' for usage.\n"
		if r.code != exitUsage || r.stderr != want {
			t.Errorf("serve %s: exit status %d, stderr %q; want %d and %q", strings.Join(args, " "), r.code, r.stderr, exitUsage, want)
		}
	}
	r = f.run("__complete", "serve", "--")
	expect(t, r, exitOK)
	for _, unwanted := range []string{"--timeout", "--endpoint", "--output"} {
		if strings.Contains(r.stdout, unwanted+"\t") || strings.Contains(r.stdout, unwanted+"\n") {
			t.Errorf("completion of serve offers %s:\n%s", unwanted, r.stdout)
		}
	}
	if !strings.Contains(r.stdout, "--api-key") {
		t.Errorf("completion of serve does not offer --api-key:\n%s", r.stdout)
	}
	// The other commands keep the global flags.
	if r := f.run("list", "--timeout", "5s"); r.code != exitOK {
		t.Errorf("list --timeout: %s", r.transcript())
	}
}
