package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/byokctl/byok/wrapper/byoktest"
)

// TestSignalsStopCommands: SIGINT and SIGTERM stop a byokctl process
// blocked on a server that never answers, at once, with the exit status
// shells give those signals (130, 143) and one line saying so; apply
// interrupted in a create still reports what it did and did not do.
func TestSignalsStopCommands(t *testing.T) {
	bin := buildByokctl(t)
	// A fake whose creates (or, with hang set, every request) never get
	// an answer; arrived gets each request held.
	arrived := make(chan string, 16)
	hold := func(all bool, release <-chan struct{}) byoktest.Option {
		return byoktest.WithMiddleware(func(h http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if !all && r.Method != http.MethodPost {
					h.ServeHTTP(w, r)
					return
				}
				select {
				case arrived <- r.Method + " " + r.URL.Path:
				default:
				}
				// Until the client goes; the server sees that only once
				// the body is read.
				_, _ = io.Copy(io.Discard, r.Body)
				select {
				case <-r.Context().Done():
				case <-release:
				}
			})
		})
	}
	keys := filepath.Join(t.TempDir(), "keys.yaml")
	writeFile(t, keys, "keys:\n  - provider: aws\n    key_arn: "+fileARN+"\n  - provider: gcp\n    key_id: "+fileGCP+"\n")
	for _, tc := range []struct {
		name    string
		all     bool // hold every request, not only creates
		args    []string
		sig     syscall.Signal
		code    int
		say     []string // on stderr, besides the line naming the signal
		stdout  []string
		request string // the request held when the signal is sent
	}{
		{name: "list SIGINT", all: true, args: []string{"list"}, sig: syscall.SIGINT, code: 130, request: "GET /byok/v1/keys"},
		{name: "list SIGTERM", all: true, args: []string{"list"}, sig: syscall.SIGTERM, code: 143, request: "GET /byok/v1/keys"},
		{name: "create SIGTERM", args: []string{"create", "aws", "--key-arn", fileARN}, sig: syscall.SIGTERM, code: 143,
			say: []string{"may have been created"}, request: "POST /byok/v1/keys"},
		{name: "apply SIGINT", args: []string{"apply", "-f", keys}, sig: syscall.SIGINT, code: 130,
			say: []string{"not converged"}, stdout: []string{"failed", fileARN, fileGCP}, request: "POST /byok/v1/keys"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			release := make(chan struct{})
			srv := byoktest.NewServer(t, byoktest.WithCredentials(testAPIKey, testAPISecret), hold(tc.all, release))
			t.Cleanup(func() { close(release) }) // before the server's Close
			env := map[string]string{envEndpoint: srv.URL(), envAPIKey: testAPIKey, envAPISecret: testAPISecret}
			p := startByokctl(t, bin, env, tc.args...)
			select {
			case got := <-arrived:
				if got != tc.request {
					t.Fatalf("request %q held, want %q", got, tc.request)
				}
			case <-time.After(processLimit):
				t.Fatalf("no request arrived within %s\n--- stderr\n%s", processLimit, p.stderr.String())
			}
			sent := time.Now()
			p.signal(t, tc.sig)
			r := p.wait(t, processLimit)
			t.Logf("ended %s after the signal\n%s", time.Since(sent).Round(time.Millisecond), r.transcript())
			if r.code != tc.code {
				t.Errorf("exit status %d, want %d\n%s", r.code, tc.code, r.transcript())
			}
			name := map[syscall.Signal]string{syscall.SIGINT: "SIGINT", syscall.SIGTERM: "SIGTERM"}[tc.sig]
			var lines []string
			for _, l := range strings.Split(strings.TrimSpace(r.stderr), "\n") {
				if strings.Contains(l, "interrupted by "+name) {
					lines = append(lines, l)
				}
			}
			if len(lines) != 1 || !strings.HasPrefix(lines[0], "byokctl: interrupted by "+name) {
				t.Errorf("want one line starting \"byokctl: interrupted by %s\" on stderr:\n%s", name, r.transcript())
			}
			for _, want := range tc.say {
				if !strings.Contains(r.stderr, want) {
					t.Errorf("stderr does not say %q:\n%s", want, r.transcript())
				}
			}
			for _, want := range tc.stdout {
				if !strings.Contains(r.stdout, want) {
					t.Errorf("stdout does not say %q:\n%s", want, r.transcript())
				}
			}
		})
	}
}

// TestInputFilesAreBounded: a keys file or --policy file that is a link to
// /dev/zero fails at once with exit status 2 naming the cap, instead of
// filling memory; a named pipe that nothing writes to fails with --timeout
// instead of hanging.
func TestInputFilesAreBounded(t *testing.T) {
	bin := buildByokctl(t)
	dir := t.TempDir()
	zero := func(name string) string {
		link := filepath.Join(dir, name)
		if err := os.Symlink("/dev/zero", link); err != nil {
			t.Fatal(err)
		}
		return link
	}
	fifo := func(name string) string {
		path := filepath.Join(dir, name)
		if err := syscall.Mkfifo(path, 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	// Nothing is sent: the files are read first. A refused address shows
	// it if that changes.
	env := map[string]string{envEndpoint: "http://127.0.0.1:1", envAPIKey: testAPIKey, envAPISecret: testAPISecret}
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"keys file of /dev/zero", []string{"diff", "-f", zero("zero.yaml")}, "zero.yaml is larger than 4 MiB, the most byokctl reads"},
		{"JSON keys file of /dev/zero", []string{"apply", "-f", zero("zero.json")}, "zero.json is larger than 4 MiB, the most byokctl reads"},
		{"policy of /dev/zero", []string{"grants", "cck-1", "--policy", zero("policy.json")}, "policy.json is larger than 1 MiB, the most byokctl reads"},
		{"keys file of a FIFO", []string{"diff", "-f", fifo("fifo.yaml"), "--timeout", "1s"}, "fifo.yaml: nothing more came within 1s (set a longer --timeout); it is a named pipe"},
		{"policy of a FIFO", []string{"grants", "cck-1", "--policy", fifo("fifo.json"), "--timeout", "1s"}, "fifo.json: nothing more came within 1s"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			r := startByokctl(t, bin, env, tc.args...).wait(t, processLimit)
			t.Logf("ended after %s", time.Since(start).Round(time.Millisecond))
			if r.code != exitUsage || !strings.Contains(r.stderr, tc.want) {
				t.Errorf("want exit status %d and %q on stderr:\n%s", exitUsage, tc.want, r.transcript())
			}
		})
	}
}

// TestInterruptedRunExitStatus: a run whose context a signal cancelled
// exits with 128 plus the signal's number and one line naming it, even
// while it waits on stdin that never ends (grants --policy -).
func TestInterruptedRunExitStatus(t *testing.T) {
	f := newFixture(t)
	stdin, w := io.Pipe()
	t.Cleanup(func() { _ = w.Close() })
	for _, tc := range []struct {
		sig  syscall.Signal
		code int
	}{{syscall.SIGINT, 130}, {syscall.SIGTERM, 143}} {
		ctx, cancel := context.WithCancelCause(t.Context())
		cancel(&interruption{tc.sig})
		var stdout, stderr bytes.Buffer
		sys := f.system(f.env, &stdout, &stderr)
		sys.stdin = stdin
		code := run(ctx, []string{"grants", "cck-1", "--policy", "-"}, sys)
		r := result{code: code, stdout: stdout.String(), stderr: stderr.String()}
		want := "byokctl: interrupted by " + signalName(tc.sig) + ": --policy: stdin\n" // what it was doing
		if r.code != tc.code || r.stderr != want {
			t.Errorf("want exit status %d and %q:\n%s", tc.code, want, r.transcript())
		}
	}
	if n := len(f.srv.Requests()); n != 0 {
		t.Errorf("%d requests sent, want none", n)
	}
}
