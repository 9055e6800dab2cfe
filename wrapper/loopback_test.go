package wrapper_test

import (
	"strings"
	"testing"

	"github.com/byokctl/byok/wrapper"
)

// TestPlainHTTPOnlyForCertainLoopback: plain http:// is accepted without
// WithInsecureHTTP only where Go is sure to stay on the machine: the name
// "localhost" (which the transport never sends to a proxy) and loopback IP
// addresses. Names under .localhost are not: Go's resolver asks DNS for
// them (no rule of its own keeps them on loopback) and the transport sends
// them to an HTTP proxy from the environment.
func TestPlainHTTPOnlyForCertainLoopback(t *testing.T) {
	for _, tc := range []struct {
		endpoint string
		ok       bool
		want     string // Endpoint() when ok
	}{
		{"http://localhost:8080", true, "http://localhost:8080"},
		{"http://localhost", true, "http://localhost"},
		// Any case of "localhost" is written in lower case, the form the
		// transport's proxy rule recognises.
		{"http://LocalHost:8080/prefix", true, "http://localhost:8080/prefix"},
		{"http://127.0.0.1:8080", true, "http://127.0.0.1:8080"},
		{"http://127.3.2.1", true, "http://127.3.2.1"},
		{"http://[::1]:8080", true, "http://[::1]:8080"},
		{"http://foo.localhost:8080", false, ""},
		{"http://FOO.LOCALHOST", false, ""},
		{"http://localhost.:8080", false, ""},
		{"http://localhost.localdomain", false, ""},
		{"http://localhost.example.com", false, ""},
		{"http://127.1", false, ""}, // not an IP address to net.ParseIP; resolved as a name
	} {
		c, err := wrapper.New(wrapper.WithBearerToken("t"), wrapper.WithEndpoint(tc.endpoint))
		switch {
		case tc.ok && err != nil:
			t.Errorf("%s: %v; want it accepted as loopback", tc.endpoint, err)
		case tc.ok && wrapper.EndpointOf(c) != tc.want:
			t.Errorf("%s: Endpoint() = %q, want %q", tc.endpoint, wrapper.EndpointOf(c), tc.want)
		case !tc.ok && (err == nil || !strings.Contains(err.Error(), "not loopback")):
			t.Errorf("%s: got %v; want it refused as not loopback", tc.endpoint, err)
		}
		if !tc.ok {
			if _, err := wrapper.New(wrapper.WithBearerToken("t"), wrapper.WithEndpoint(tc.endpoint), wrapper.WithInsecureHTTP()); err != nil {
				t.Errorf("%s with WithInsecureHTTP: %v", tc.endpoint, err)
			}
		}
	}
}
