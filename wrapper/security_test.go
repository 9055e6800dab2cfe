package wrapper

import (
	"crypto/tls"
	"io"
	"log/slog"
	"net/http"
	"testing"
)

// httpClientOf returns the *http.Client a Client sends with.
func httpClientOf(t *testing.T, c *Client) *http.Client {
	t.Helper()
	doer := c.api.Client
	if l, ok := doer.(*loggingDoer); ok {
		doer = l.next
	}
	hc, ok := doer.(*http.Client)
	if !ok {
		t.Fatalf("the client sends with a %T, not an *http.Client", doer)
	}
	return hc
}

// TestDefaultTransportConfig inspects the HTTP client a Client makes for
// itself: TLS 1.2 or newer, proxies from the environment, a limit per
// attempt, and the redirect policy that keeps credentials on their origin.
// (internal/reliability shows the same from outside: a TLS 1.0 or 1.1
// server is refused.)
func TestDefaultTransportConfig(t *testing.T) {
	for name, opts := range map[string][]Option{
		"plain":          nil,
		"with logger":    {WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))},
		"https endpoint": {WithEndpoint("https://api.example.com")},
	} {
		c, err := New(append([]Option{WithAPIKey("KEY", "secret")}, opts...)...)
		if err != nil {
			t.Fatal(err)
		}
		hc := httpClientOf(t, c)
		tr, ok := hc.Transport.(*http.Transport)
		switch {
		case !ok:
			t.Fatalf("%s: transport %T, want an *http.Transport", name, hc.Transport)
		case tr == http.DefaultTransport:
			t.Errorf("%s: shares http.DefaultTransport, which other code may change", name)
		case tr.TLSClientConfig == nil || tr.TLSClientConfig.MinVersion < tls.VersionTLS12:
			t.Errorf("%s: TLS config %+v; want MinVersion TLS 1.2 or newer", name, tr.TLSClientConfig)
		case tr.TLSClientConfig.InsecureSkipVerify:
			t.Errorf("%s: certificates are not verified", name)
		case tr.Proxy == nil:
			t.Errorf("%s: proxies from the environment are ignored", name)
		case hc.Timeout != attemptTimeout:
			t.Errorf("%s: timeout %s, want %s per attempt", name, hc.Timeout, attemptTimeout)
		case hc.CheckRedirect == nil:
			t.Errorf("%s: no redirect policy", name)
		}
	}
}

// TestUserHTTPClientKeptApartFromRedirectPolicy: WithHTTPClient's client is
// copied, not changed, when the redirect policy is added.
func TestUserHTTPClientKeptApartFromRedirectPolicy(t *testing.T) {
	user := &http.Client{Transport: &http.Transport{}}
	c, err := New(WithAPIKey("KEY", "secret"), WithHTTPClient(user))
	if err != nil {
		t.Fatal(err)
	}
	hc := httpClientOf(t, c)
	if hc == user || user.CheckRedirect != nil || hc.CheckRedirect == nil || hc.Transport != user.Transport {
		t.Errorf("the user's client was changed or not used: copy %p of %p, user's CheckRedirect set: %v", hc, user, user.CheckRedirect != nil)
	}
}
