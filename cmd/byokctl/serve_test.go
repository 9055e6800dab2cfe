package main

import (
	"context"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/byokctl/byok/internal/testkit"
)

// served is a byokctl serve running in-process.
type served struct {
	url    string
	stderr *testkit.SyncBuffer
	stop   func() int // cancels the context and returns the exit status
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
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...), sys)
	}()
	s := &served{stderr: stderr}
	s.stop = func() int {
		cancel()
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
	t.Cleanup(func() { cancel() })
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
		t.Errorf("serve exited with %d after the interrupt, want 0:\n%s", code, s.stderr.String())
	}
	log := s.stderr.String()
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

// TestServeDefaultCredentials checks that serve prints the credentials it
// made up, and that they work.
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
}
