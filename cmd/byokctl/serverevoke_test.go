package main

import (
	"context"
	"net"
	"net/http"
	"strings"
	"testing"
)

// TestServeRevokeEndpoint: with --revoke-endpoint, POST
// /_byoktest/keys/ID/revoke turns a VALID key INVALID with "Access to key
// denied." (check then names it); an unknown id is 404; without the flag
// the route is not there.
func TestServeRevokeEndpoint(t *testing.T) {
	f := newFixture(t)
	s := startServe(t, f, "--seed", "2", "--revoke-endpoint", "--api-key", testAPIKey, "--api-secret", testAPISecret)
	env := map[string]string{envEndpoint: s.url, envAPIKey: testAPIKey, envAPISecret: testAPISecret}
	expect(t, f.runEnv(env, "check"), exitOK)
	r := f.runEnv(env, "list", "-o", "json")
	expect(t, r, exitOK)
	keys := jsonArray(t, r.stdout)
	id := keys[1]["id"].(string)

	if status, _, body := serveRequest(t, http.MethodPost, s.url+"/_byoktest/keys/"+id+"/revoke", "", "", nil); status != http.StatusNoContent {
		t.Fatalf("revoke: %d %s", status, body)
	}
	if status, _, body := serveRequest(t, http.MethodPost, s.url+"/_byoktest/keys/cck-nokey/revoke", "", "", nil); status != http.StatusNotFound {
		t.Errorf("revoke of an unknown key: %d %s", status, body)
	}
	r = f.runEnv(env, "check")
	expect(t, r, exitUnhealthy)
	if !strings.HasPrefix(r.stdout, id+" (seed key 2): INVALID: Access to key denied.") || strings.Count(r.stdout, "\n") != 1 {
		t.Errorf("check after the revocation:\n%s", r.transcript())
	}
	if code := s.stop(); code != exitOK {
		t.Errorf("serve exited with %d", code)
	}
	if log := s.stderr.String(); !strings.Contains(log, "key "+id+" lost access: INVALID, \"Access to key denied.\"\n") ||
		!strings.Contains(log, "POST /_byoktest/keys/cck-nokey/revoke: 404") {
		t.Errorf("serve's log:\n%s", log)
	}

	without := newFixture(t)
	without.fakeOptions = deterministicFake() // the spec validator would fail the test on the unknown route
	plain := startServe(t, without, "--seed", "1")
	if status, _, _ := serveRequest(t, http.MethodPost, plain.url+"/_byoktest/keys/"+id+"/revoke", "", "", nil); status == http.StatusNoContent {
		t.Error("the revoke route answers without --revoke-endpoint")
	}
	plain.stop()
}

// TestServeRevokeEndpointLoopbackOnly: on an address that is not loopback,
// --revoke-endpoint is refused before serving.
func TestServeRevokeEndpointLoopbackOnly(t *testing.T) {
	f := newFixture(t)
	var stdout, stderr strings.Builder
	sys := f.system(nil, &stdout, &stderr)
	sys.listen = func(ctx context.Context, addr string) (net.Listener, error) {
		ln, err := listenTCP(ctx, "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		return publicListener{ln}, nil
	}
	code := run(t.Context(), []string{"serve", "--revoke-endpoint", "--addr", "0.0.0.0:0"}, sys)
	if code != exitUsage || !strings.Contains(stderr.String(), "--revoke-endpoint is offered on a loopback address only") {
		t.Errorf("exit status %d, stderr:\n%s", code, stderr.String())
	}
}

// publicListener is a loopback listener that says it listens on a public
// address.
type publicListener struct{ net.Listener }

func (publicListener) Addr() net.Addr { return &net.TCPAddr{IP: net.IPv4(192, 0, 2, 1), Port: 8080} }
