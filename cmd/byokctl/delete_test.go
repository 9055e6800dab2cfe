package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/byokctl/byok/internal/testkit"
	"github.com/byokctl/byok/wrapper"
	"github.com/byokctl/byok/wrapper/byoktest"
)

// deletes counts the DELETE requests the fixture's server answered.
func deletes(f *fixture) int {
	n := 0
	for _, req := range f.srv.Requests() {
		if req.Operation == byoktest.OpDelete {
			n++
		}
	}
	return n
}

// TestDeleteChecksEveryIDFirst checks that one missing id (or one the
// server refuses) stops the whole delete before any key is deleted, and
// that --ignore-not-found deletes the others.
func TestDeleteChecksEveryIDFirst(t *testing.T) {
	f := newFixture(t)
	ids := seedKeys(t, f)

	r := f.run("delete", ids[0], "cck-missing", ids[3], "cck-gone", "--force")
	expect(t, r, exitFailure)
	golden(t, "delete-missing", r.transcript())
	if f.srv.Len() != 4 || deletes(f) != 0 {
		t.Errorf("%d keys left and %d deletes sent; want 4 and none", f.srv.Len(), deletes(f))
	}

	r = f.run("delete", ids[0], "cck 1/2", "--force")
	expect(t, r, exitFailure)
	if !strings.HasPrefix(r.stderr, "byokctl: looking up cck 1/2 before deleting (nothing was deleted): GET /byok/v1/keys/cck%201%2F2: 400 Bad Request") || f.srv.Len() != 4 {
		t.Errorf("an id the server refuses: stderr %q, %d keys left", r.stderr, f.srv.Len())
	}

	r = f.run("delete", ids[0], "cck-missing", ids[3], ids[0], "--ignore-not-found", "--force")
	expect(t, r, exitOK)
	if want := "deleted " + ids[0] + "\ndeleted " + ids[3] + "\n"; r.stdout != want || r.stderr != "cck-missing: not found, nothing to delete\n" {
		t.Errorf("--ignore-not-found: stdout %q stderr %q; want stdout %q", r.stdout, r.stderr, want)
	}
	if _, ok := f.srv.Key(ids[0]); ok || f.srv.Len() != 2 {
		t.Errorf("%d keys left, want 2", f.srv.Len())
	}
	// Run twice, the cleanup succeeds again.
	r = f.run("delete", ids[0], ids[3], "--ignore-not-found", "--force")
	expect(t, r, exitOK)
	if r.stdout != "" {
		t.Errorf("second cleanup: stdout %q", r.stdout)
	}

	r = f.run("delete")
	expect(t, r, exitUsage)
	if !strings.Contains(r.stderr, "missing the key IDs") {
		t.Errorf("delete without ids: %s", r.stderr)
	}
}

// TestDeleteConfirmation checks that delete asks on a terminal, and needs
// --force without one.
func TestDeleteConfirmation(t *testing.T) {
	f := newFixture(t)
	ids := seedKeys(t, f)

	// Without a terminal, the missing --force is a usage error found before
	// any request, whether the keys exist or not.
	f.srv.ClearRequests()
	r := f.run("delete", ids[0])
	expect(t, r, exitUsage)
	want := "byokctl: deleting 1 key needs a confirmation, and there is no terminal to ask on: give --force to delete without asking\n" +
		"Run 'byokctl delete --help' for usage.\n"
	if r.stderr != want || r.stdout != "" || len(f.srv.Requests()) != 0 {
		t.Errorf("without a terminal: stdout %q stderr %q, %d requests; want stderr %q and none", r.stdout, r.stderr, len(f.srv.Requests()), want)
	}
	r = f.run("delete", ids[0], "cck-missing", ids[0])
	expect(t, r, exitUsage)
	if !strings.HasPrefix(r.stderr, "byokctl: deleting 2 keys needs a confirmation") || len(f.srv.Requests()) != 0 {
		t.Errorf("a missing id without a terminal: stderr %q, %d requests", r.stderr, len(f.srv.Requests()))
	}

	f.terminal = true
	// Only what the question asks for confirms.
	for _, answer := range []string{"", "n\n", "no\n", "nope", "y\n", "Y\n", "YES\n", "yes please\n"} {
		f.stdin = answer
		r = f.run("delete", ids[0], ids[3])
		expect(t, r, exitFailure)
		if !strings.HasSuffix(r.stderr, "Delete them? Type yes to confirm: Not confirmed: nothing was deleted.\n") || deletes(f) != 0 {
			t.Errorf("answer %q: stderr %q, %d deletes", answer, r.stderr, deletes(f))
		}
	}
	// One key is "it".
	f.stdin = "no\n"
	r = f.run("delete", ids[0])
	expect(t, r, exitFailure)
	if !strings.HasPrefix(r.stderr, "About to delete 1 key:\n") || !strings.HasSuffix(r.stderr, "Delete it? Type yes to confirm: Not confirmed: nothing was deleted.\n") || deletes(f) != 0 {
		t.Errorf("one key: stderr %q, %d deletes", r.stderr, deletes(f))
	}
	f.stdin = "yes\n"
	r = f.run("delete", ids[0], ids[3])
	expect(t, r, exitOK)
	golden(t, "delete-confirmed", r.transcript())
	if f.srv.Len() != 2 {
		t.Errorf("%d keys left, want 2", f.srv.Len())
	}
}

// newPlainFixture is a fixture whose server is not behind the contract
// validator: its answers break the spec on purpose (a 409 to a delete,
// which the spec does not document but the service sends for a key in
// use).
func newPlainFixture(t *testing.T, opts ...byoktest.Option) *fixture {
	t.Helper()
	base := append(deterministicFake(), byoktest.WithCredentials(testAPIKey, testAPISecret))
	srv := byoktest.NewServer(t, append(base, opts...)...)
	return &fixture{
		t:     t,
		srv:   srv,
		env:   map[string]string{envEndpoint: srv.URL(), envAPIKey: testAPIKey, envAPISecret: testAPISecret},
		clock: testkit.NewClockAt(testEpoch()),
	}
}

// TestDeleteWait checks that --wait tries a key in use (409) again until it
// can be deleted, or until --timeout; and that without --wait a 409 fails
// at once with the server's words.
func TestDeleteWait(t *testing.T) {
	var conflicts atomic.Int32
	var srv atomic.Pointer[byoktest.Server]
	// The key stops being in use after its third refused delete.
	release := byoktest.WithMiddleware(func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodDelete && conflicts.Add(1) == 3 {
				id := r.URL.Path[strings.LastIndex(r.URL.Path, "/")+1:]
				defer func() { _ = srv.Load().SetState(id, wrapper.StateAvailable) }()
			}
			h.ServeHTTP(w, r)
		})
	})
	f := newPlainFixture(t, release)
	srv.Store(f.srv)
	ids := f.srv.Seed(2)
	for _, id := range ids {
		if err := f.srv.SetState(id, wrapper.StateInUse); err != nil {
			t.Fatal(err)
		}
	}

	r := f.run("delete", ids[0], "--force")
	expect(t, r, exitFailure)
	if want := "byokctl: " + ids[0] + ": DELETE /byok/v1/keys/" + ids[0] + ": 409 Conflict: Key In Use: Key '" + ids[0] + "' is in use by a cluster and cannot be deleted."; !strings.HasPrefix(r.stderr, want) {
		t.Errorf("409 without --wait: stderr %q, want it to start with %q", r.stderr, want)
	}

	before := len(f.clock.Sleeps())
	r = f.run("delete", ids[0], "--force", "--wait")
	expect(t, r, exitOK)
	golden(t, "delete-wait", r.transcript())
	if got, want := f.clock.Sleeps()[before:], []time.Duration{2 * time.Second, 4 * time.Second}; !slices.Equal(got, want) {
		t.Errorf("paused %v, want %v", got, want)
	}

	// ids[1] stays in use: --wait gives up after --timeout.
	r = f.run("delete", ids[1], "--force", "--wait", "--timeout", "20s")
	expect(t, r, exitFailure)
	if want := "byokctl: " + ids[1] + ": still in use after 20s (set a longer --timeout): DELETE /byok/v1/keys/" + ids[1] + ": 409 Conflict"; !strings.HasPrefix(r.stderr[strings.LastIndex(r.stderr[:len(r.stderr)-1], "\n")+1:], want) {
		t.Errorf("--wait past the timeout: stderr\n%s\nwant its last line to start with %q", r.stderr, want)
	}
	if _, ok := f.srv.Key(ids[1]); !ok {
		t.Errorf("%s was deleted", ids[1])
	}
}

// promptWatcher is the stderr of a run: once the question has been written,
// it calls then (once).
type promptWatcher struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	then func()
}

func (w *promptWatcher) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	n, _ := w.buf.Write(p)
	if w.then != nil && strings.Contains(w.buf.String(), "Type yes to confirm: ") {
		w.then()
		w.then = nil
	}
	return n, nil
}

func (w *promptWatcher) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// TestConfirmationEndsWithContext: the question of delete (as of apply
// --prune and grants --apply) does not wait for Enter after SIGINT or
// SIGTERM (exit status 130 or 143), nor past --timeout (exit status 1);
// nothing is deleted.
func TestConfirmationEndsWithContext(t *testing.T) {
	f := newFixture(t)
	f.terminal = true
	ids := seedKeys(t, f)
	ask := func(ctx context.Context, then func(), args ...string) (int, string) {
		stdin, w := io.Pipe() // a terminal where nobody types
		t.Cleanup(func() { _ = w.Close() })
		stderr := &promptWatcher{then: then}
		sys := f.system(f.env, io.Discard, stderr)
		sys.stdin = stdin
		return run(ctx, args, sys), stderr.String()
	}
	for _, tc := range []struct {
		sig  syscall.Signal
		code int
	}{{syscall.SIGINT, 130}, {syscall.SIGTERM, 143}} {
		ctx, cancel := context.WithCancelCause(t.Context())
		code, stderr := ask(ctx, func() { cancel(&interruption{tc.sig}) }, "delete", ids[0])
		want := "Delete it? Type yes to confirm: \nbyokctl: interrupted by " + signalName(tc.sig) + ": no answer; nothing was deleted\n"
		if code != tc.code || !strings.HasSuffix(stderr, want) {
			t.Errorf("%s: exit status %d, stderr\n%s\nwant %d and the end\n%s", signalName(tc.sig), code, stderr, tc.code, want)
		}
	}
	// apply --prune asks the same question, before any change.
	keys := filepath.Join(t.TempDir(), "keys.yaml")
	writeFile(t, keys, "keys: []\n")
	ctx, cancel := context.WithCancelCause(t.Context())
	code, stderr := ask(ctx, func() { cancel(&interruption{syscall.SIGINT}) }, "apply", "-f", keys, "--prune")
	if code != 130 || !strings.Contains(stderr, "Type yes to confirm: \nbyokctl: interrupted by SIGINT") {
		t.Errorf("apply --prune: exit status %d, stderr\n%s\nwant 130, interrupted at the question", code, stderr)
	}
	code, stderr = ask(t.Context(), nil, "delete", ids[0], "--timeout", "200ms")
	// The time limit is said once, by its hint.
	want := "Delete it? Type yes to confirm: \nbyokctl: gave up after 200ms (set a longer --timeout): no answer; nothing was deleted\n"
	if code != exitFailure || !strings.HasSuffix(stderr, want) {
		t.Errorf("--timeout: exit status %d, stderr\n%s\nwant %d and the end\n%s", code, stderr, exitFailure, want)
	}
	code, stderr = ask(t.Context(), nil, "apply", "-f", keys, "--prune", "--timeout", "200ms")
	if want := "Type yes to confirm: \nbyokctl: gave up after 200ms (set a longer --timeout): no answer; nothing was deleted\n"; code != exitFailure || !strings.HasSuffix(stderr, want) {
		t.Errorf("apply --prune --timeout: exit status %d, stderr\n%s\nwant %d and the end\n%s", code, stderr, exitFailure, want)
	}
	if deletes(f) != 0 || f.srv.Len() != 4 {
		t.Errorf("%d deletes sent, %d keys left; want none and 4", deletes(f), f.srv.Len())
	}
}
