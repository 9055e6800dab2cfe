package reliability_test

import (
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/byokctl/byok/internal/testkit"
	"github.com/byokctl/byok/wrapper"
)

// awsKeyBody returns testdata/keys/aws.json, a realistic key.
func awsKeyBody(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "keys", "aws.json"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestPlainHTTPOnlyOnLoopback(t *testing.T) {
	for _, tt := range []struct {
		endpoint string
		insecure bool
		ok       bool
	}{
		{"http://api.example.com", false, false},
		{"HTTP://API.EXAMPLE.COM", false, false},
		{"http://10.0.0.1:8080", false, false},
		{"http://169.254.169.254", false, false},
		{"http://0.0.0.0:8080", false, false},
		{"http://[::]:8080", false, false},
		{"http://[fe80::1]", false, false},
		{"http://127.0.0.1.nip.io", false, false},
		{"http://localhost.example.com", false, false},
		{"http://127.0.0.1@api.example.com", false, false},
		{"http://api.example.com", true, true},
		{"http://10.0.0.1:8080", true, true},
		{"http://127.0.0.1:8080", false, true},
		{"http://127.8.9.10", false, true},
		{"http://[::1]:8080", false, true},
		{"http://localhost:8080", false, true},
		{"http://LOCALHOST", false, true},
		{"https://api.example.com", false, true},
	} {
		opts := []wrapper.Option{wrapper.WithAPIKey("KEY", "secret"), wrapper.WithEndpoint(tt.endpoint)}
		if tt.insecure {
			opts = append(opts, wrapper.WithInsecureHTTP())
		}
		_, err := wrapper.New(opts...) // New sends nothing: no traffic leaves the machine
		switch {
		case tt.ok && err != nil:
			t.Errorf("%s (insecure %v): %v; want it accepted", tt.endpoint, tt.insecure, err)
		case !tt.ok && err == nil:
			t.Errorf("%s (insecure %v) accepted; want it refused", tt.endpoint, tt.insecure)
		case !tt.ok && !strings.Contains(err.Error(), "plain http") && !strings.Contains(err.Error(), "credentials in the URL"):
			t.Errorf("%s: %v; want an error that says why", tt.endpoint, err)
		}
	}
}

// authRecorder is a loopback server that records the Authorization header
// of every request and answers with a key, or redirects to redirectTo.
type authRecorder struct {
	srv        *httptest.Server
	redirectTo string // a base URL; empty: answer
	mu         sync.Mutex
	auth       []string
}

func newAuthRecorder(t *testing.T, network, addr string, key []byte) *authRecorder {
	t.Helper()
	a := &authRecorder{}
	ln, err := net.Listen(network, addr)
	if err != nil {
		t.Skipf("cannot listen on %s %s: %v", network, addr, err)
	}
	a.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.mu.Lock()
		a.auth = append(a.auth, r.Header.Get("Authorization"))
		target := a.redirectTo
		a.mu.Unlock()
		if target != "" {
			http.Redirect(w, r, target+r.URL.RequestURI(), http.StatusTemporaryRedirect)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(key)
	}))
	_ = a.srv.Listener.Close()
	a.srv.Listener = ln
	a.srv.Start()
	t.Cleanup(a.srv.Close)
	return a
}

func (a *authRecorder) received() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]string(nil), a.auth...)
}

func (a *authRecorder) redirect(to string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.redirectTo = to
}

func TestRedirectToAnotherHostDropsAuthorization(t *testing.T) {
	key := awsKeyBody(t)
	const secret = "redirect-secret-DO-NOT-FORWARD"
	for _, tt := range []struct {
		name     string
		network  string
		addr     string
		host     func(port string) string // the redirect target's base URL
		keepAuth bool
	}{
		{"another port of the same address", "tcp4", "127.0.0.1:0", func(p string) string { return "http://127.0.0.1:" + p }, false},
		{"another name of the same address", "tcp4", "127.0.0.1:0", func(p string) string { return "http://localhost:" + p }, false},
		{"another address (IPv6 loopback)", "tcp6", "[::1]:0", func(p string) string { return "http://[::1]:" + p }, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			target := newAuthRecorder(t, tt.network, tt.addr, key)
			_, port, _ := net.SplitHostPort(target.srv.Listener.Addr().String())
			origin := newAuthRecorder(t, "tcp4", "127.0.0.1:0", key)
			origin.redirect(tt.host(port))
			for _, hc := range []*http.Client{nil, {CheckRedirect: func(*http.Request, []*http.Request) error { return nil }}} {
				opts := []wrapper.Option{wrapper.WithAPIKey("KEY", secret), wrapper.WithEndpoint(origin.srv.URL), wrapper.WithoutRetries()}
				if hc != nil {
					opts = append(opts, wrapper.WithHTTPClient(hc)) // a user's client with its own redirect policy
				}
				c, err := wrapper.New(opts...)
				if err != nil {
					t.Fatal(err)
				}
				if _, _, err := c.GetKey(t.Context(), "cck-1a2b3"); err != nil {
					t.Fatal(err)
				}
			}
			if got := origin.received(); len(got) != 2 || !strings.HasPrefix(got[0], "Basic ") {
				t.Errorf("the origin got Authorization %q; want the credentials twice", got)
			}
			if got := target.received(); len(got) != 2 || got[0] != "" || got[1] != "" {
				t.Errorf("the redirect target got Authorization %q; want none", got)
			}

			// net/http alone keeps Authorization when only the port
			// differs: the wrapper's guarantee is stronger.
			if tt.name == "another port of the same address" {
				req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, origin.srv.URL+"/byok/v1/keys/x", nil)
				if err != nil {
					t.Fatal(err)
				}
				req.SetBasicAuth("KEY", secret)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				_ = resp.Body.Close()
				if got := target.received(); len(got) != 3 || got[2] == "" {
					t.Logf("net/http now drops Authorization on a redirect to another port too: %q", got)
				}
			}
		})
	}

	t.Run("same origin keeps it", func(t *testing.T) {
		srv := newAuthRecorder(t, "tcp4", "127.0.0.1:0", key)
		var n atomic.Int32
		mux := http.NewServeMux()
		mux.HandleFunc("/old/byok/v1/keys/{id}", func(w http.ResponseWriter, r *http.Request) {
			n.Add(1)
			http.Redirect(w, r, "/byok/v1/keys/"+r.PathValue("id"), http.StatusTemporaryRedirect)
		})
		mux.Handle("/", srv.srv.Config.Handler)
		srv.srv.Config.Handler = mux
		c, err := wrapper.New(wrapper.WithAPIKey("KEY", secret), wrapper.WithEndpoint(srv.srv.URL+"/old"))
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := c.GetKey(t.Context(), "cck-1a2b3"); err != nil {
			t.Fatal(err)
		}
		if got := srv.received(); n.Load() != 1 || len(got) != 1 || !strings.HasPrefix(got[0], "Basic ") {
			t.Errorf("%d redirects, then Authorization %q; want one redirect and the credentials", n.Load(), got)
		}
	})
}

func TestIDsCannotChangeThePath(t *testing.T) {
	var key map[string]any
	if err := json.Unmarshal(awsKeyBody(t), &key); err != nil {
		t.Fatal(err)
	}
	type seen struct{ method, requestURI, path, rawQuery string }
	var (
		mu   sync.Mutex
		reqs []seen
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		reqs = append(reqs, seen{r.Method, r.RequestURI, r.URL.Path, r.URL.RawQuery})
		mu.Unlock()
		if r.Method == http.MethodDelete {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		// The answer is about the key the path names, as the API's.
		answer := maps.Clone(key)
		answer["id"] = strings.TrimPrefix(r.URL.Path, "/api/byok/v1/keys/")
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(answer)
	}))
	defer srv.Close()
	c, err := wrapper.New(wrapper.WithAPIKey("KEY", "secret"), wrapper.WithEndpoint(srv.URL+"/api"), wrapper.WithoutRetries())
	if err != nil {
		t.Fatal(err)
	}
	hostile := []string{
		"a/b", "../keys", "../../admin", "a/../../admin", "x/..", "./x", "...", "..;", "%2e%2e", "%2e%2e%2fadmin",
		"..%2f..%2fadmin", "?page_size=1", "x?y=z", "x#frag", "#", "a b", " ", "%", "%25", "%zz", "a%2Fb",
		"a\\b", "a//b", "/", "//evil.example.com", "http://evil.example.com/", "cck-1;x=1", "\t", "\x00", "ümlaut", "cck-1&page_size=1",
	}
	ctx := t.Context()
	for _, id := range hostile {
		mu.Lock()
		reqs = nil
		mu.Unlock()
		_, _, errGet := c.GetKey(ctx, id)
		_, _, errUpdate := c.UpdateKey(ctx, id, wrapper.UpdateKeyRequest{DisplayName: "x"})
		_, errDelete := c.DeleteKey(ctx, id)
		for _, err := range []error{errGet, errUpdate, errDelete} {
			if err != nil {
				t.Errorf("id %q: %v", id, err)
			}
		}
		mu.Lock()
		got := reqs
		mu.Unlock()
		want := "/api/byok/v1/keys/" + url.PathEscape(id)
		if len(got) != 3 {
			t.Errorf("id %q: %d requests, want 3", id, len(got))
		}
		for _, r := range got {
			if r.requestURI != want || r.rawQuery != "" || r.path != "/api/byok/v1/keys/"+id {
				t.Errorf("id %q: %s %s (path %q, query %q); want %s with the id as one path segment", id, r.method, r.requestURI, r.path, r.rawQuery, want)
			}
		}
	}
	// "." and ".." would be resolved away: refused before any request.
	mu.Lock()
	reqs = nil
	mu.Unlock()
	for _, id := range []string{".", ".."} {
		if _, _, err := c.GetKey(ctx, id); err == nil || !strings.Contains(err.Error(), "is not a key id") {
			t.Errorf("id %q: %v; want it refused", id, err)
		}
		if _, err := c.DeleteKey(ctx, id); err == nil {
			t.Errorf("delete of id %q was sent", id)
		}
	}
	if len(reqs) != 0 {
		t.Errorf("refused ids sent %d requests", len(reqs))
	}

	// Against the fake, no hostile id reaches another key or the
	// collection: every one is a 400 (invalid id) or a 404.
	fk := fake(t)
	fk.Seed(3)
	fc := client(t, fk, newProbe(t, 0), testkit.NewClock(), wrapper.WithoutRetries())
	for _, id := range hostile {
		_, err := fc.DeleteKey(ctx, id)
		if !errors.Is(err, wrapper.ErrBadRequest) && !errors.Is(err, wrapper.ErrNotFound) {
			t.Errorf("delete %q on the fake: %v; want 400 or 404", id, err)
		}
	}
	if fk.Len() != 3 {
		t.Errorf("%d keys left of 3", fk.Len())
	}
}

// countingBody counts the bytes read from a response body.
type countingTransport struct {
	base http.RoundTripper
	read atomic.Int64
}

func (c *countingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := c.base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	resp.Body = &countingBody{ReadCloser: resp.Body, n: &c.read}
	return resp, nil
}

type countingBody struct {
	io.ReadCloser
	n *atomic.Int64
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.n.Add(int64(n))
	return n, err
}

func TestResponseBodiesCapped(t *testing.T) {
	key := awsKeyBody(t)
	for _, tt := range []struct {
		name    string
		status  int
		size    int64 // -1: endless
		wantErr func(error) bool
	}{
		{"key padded to the limit", http.StatusOK, wrapper.MaxResponseBytes, func(err error) bool { return err == nil }},
		{"key one byte over the limit", http.StatusOK, wrapper.MaxResponseBytes + 1, func(err error) bool { return errors.Is(err, wrapper.ErrResponseTooLarge) }},
		{"endless answer", http.StatusOK, -1, func(err error) bool { return errors.Is(err, wrapper.ErrResponseTooLarge) }},
		{"endless error answer", http.StatusInternalServerError, -1, func(err error) bool {
			var apiErr *wrapper.APIError
			return errors.As(err, &apiErr) && len(apiErr.Body) <= 512+len("…")
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var written atomic.Int64
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				if tt.size >= 0 {
					w.Header().Set("Content-Length", fmt.Sprint(tt.size))
				}
				w.WriteHeader(tt.status)
				n, _ := w.Write(key)
				written.Add(int64(n))
				pad := []byte(strings.Repeat(" ", 32<<10))
				// Bounded: at most 64 MiB even when the client never stops.
				for written.Load() < 64<<20 {
					chunk := pad
					if tt.size >= 0 {
						if left := tt.size - written.Load(); left < int64(len(chunk)) {
							chunk = chunk[:left]
						}
						if len(chunk) == 0 {
							return
						}
					}
					n, err := w.Write(chunk)
					written.Add(int64(n))
					if err != nil {
						return
					}
				}
			}))
			defer srv.Close()
			counter := &countingTransport{base: &http.Transport{}}
			c, err := wrapper.New(wrapper.WithAPIKey("KEY", "secret"), wrapper.WithEndpoint(srv.URL), wrapper.WithoutRetries(),
				wrapper.WithHTTPClient(&http.Client{Transport: counter, Timeout: 20 * time.Second}))
			if err != nil {
				t.Fatal(err)
			}
			_, _, err = c.GetKey(t.Context(), "cck-1a2b3")
			if !tt.wantErr(err) {
				t.Errorf("got %v", err)
			}
			if read := counter.read.Load(); read > wrapper.MaxResponseBytes+1 {
				t.Errorf("the client read %d bytes; the cap is %d", read, wrapper.MaxResponseBytes)
			}
			srv.Close() // waits for the handler
			if tt.size < 0 && written.Load() >= 64<<20 {
				t.Errorf("the server could write %d bytes: the client kept reading", written.Load())
			}
		})
	}
}

func TestTLS12Minimum(t *testing.T) {
	for _, tt := range []struct {
		version uint16
		name    string
		refused bool
	}{
		{tls.VersionTLS10, "TLS 1.0", true},
		{tls.VersionTLS11, "TLS 1.1", true},
		{tls.VersionTLS12, "TLS 1.2", false},
		{tls.VersionTLS13, "TLS 1.3", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var handshakes atomic.Int32
			srv := httptest.NewUnstartedServer(http.NotFoundHandler())
			srv.TLS = &tls.Config{MinVersion: tt.version, MaxVersion: tt.version}
			srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
				if s == http.StateActive {
					handshakes.Add(1)
				}
			}
			srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshakes are expected
			srv.StartTLS()
			defer srv.Close()
			// The library's own HTTP client: it must refuse the old
			// versions before it looks at the (untrusted) certificate.
			c, err := wrapper.New(wrapper.WithAPIKey("KEY", "secret"), wrapper.WithEndpoint(srv.URL), wrapper.WithoutRetries())
			if err != nil {
				t.Fatal(err)
			}
			_, _, err = c.GetKey(t.Context(), "cck-1")
			var unknownCA x509UnknownAuthority
			switch {
			case err == nil:
				t.Fatal("an untrusted server was accepted")
			case tt.refused && !strings.Contains(err.Error(), "protocol version"):
				t.Errorf("%s server: %v; want the protocol version refused", tt.name, err)
			case !tt.refused && !unknownCA.matches(err):
				t.Errorf("%s server: %v; want the handshake to reach the certificate check", tt.name, err)
			}
			if handshakes.Load() != 0 {
				t.Errorf("%d requests reached the server", handshakes.Load())
			}
		})
	}
}

// x509UnknownAuthority recognises a certificate signed by an unknown
// authority, the error a completed version negotiation leads to with an
// httptest certificate.
type x509UnknownAuthority struct{}

func (x509UnknownAuthority) matches(err error) bool {
	var verify *tls.CertificateVerificationError
	return errors.As(err, &verify)
}
