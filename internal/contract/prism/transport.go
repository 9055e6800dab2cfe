package prism

import (
	"bytes"
	"io"
	"net/http"
)

// Reporter is the part of testing.TB that Transport reports to.
type Reporter interface {
	Helper()
	Errorf(format string, args ...any)
}

// Transport returns a RoundTripper for a client talking to Prism: it sends
// through base (http.DefaultTransport when nil) and reports to r every
// exchange Prism found something wrong with.
func Transport(r Reporter, base http.RoundTripper) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	return roundTripFunc(func(req *http.Request) (*http.Response, error) {
		resp, err := base.RoundTrip(req)
		if err != nil {
			return nil, err
		}
		body, err := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		resp.Body = io.NopCloser(bytes.NewReader(body))
		if err != nil {
			// A body cut short is the caller's business: hand it on as it came.
			resp.Body = io.NopCloser(io.MultiReader(bytes.NewReader(body), errReader{err}))
			return resp, nil
		}
		vs, err := Violations(resp.Header, body)
		if err != nil {
			r.Helper()
			r.Errorf("%v", err)
			return resp, nil
		}
		if len(vs) > 0 {
			r.Helper()
			r.Errorf("prism: %v", Flagged{Method: req.Method, Path: req.URL.Path, Status: resp.StatusCode, Violations: vs})
		}
		return resp, nil
	})
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }
