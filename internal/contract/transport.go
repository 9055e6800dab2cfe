package contract

import (
	"bytes"
	"io"
	"net/http"
)

// Reporter is the part of testing.TB a Validator reports violations to.
type Reporter interface {
	Helper()
	Errorf(format string, args ...any)
}

// Transport returns a RoundTripper that sends through base (or
// http.DefaultTransport when nil) and reports every exchange the spec rejects
// to r. Transport errors pass through unchanged.
func (v *Validator) Transport(r Reporter, base http.RoundTripper) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	return roundTripFunc(func(req *http.Request) (*http.Response, error) {
		reqBody, err := drain(&req.Body)
		if err != nil {
			return nil, err
		}
		resp, err := base.RoundTrip(req)
		if err != nil {
			return nil, err
		}
		respBody, err := drain(&resp.Body)
		if err != nil {
			// A body cut short (a dropped connection) is the transport's
			// business, not the contract's: hand it on as it came.
			resp.Body = io.NopCloser(io.MultiReader(bytes.NewReader(respBody), errReader{err}))
			return resp, nil
		}
		for _, err := range v.Check(req.Context(), Exchange{Request: req, RequestBody: reqBody, Status: resp.StatusCode, Header: resp.Header, ResponseBody: respBody}) {
			r.Helper()
			r.Errorf("%v", err)
		}
		return resp, nil
	})
}

// Middleware returns a handler that serves through h and reports every
// exchange the spec rejects to r.
func (v *Validator) Middleware(r Reporter, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		reqBody, err := drain(&req.Body)
		if err != nil {
			http.Error(w, "reading request body: "+err.Error(), http.StatusBadRequest)
			return
		}
		rec := &recorder{ResponseWriter: w, status: http.StatusOK}
		h.ServeHTTP(rec, req)
		for _, err := range v.Check(req.Context(), Exchange{Request: req, RequestBody: reqBody, Status: rec.status, Header: w.Header().Clone(), ResponseBody: rec.body.Bytes()}) {
			r.Helper()
			r.Errorf("%v", err)
		}
	})
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// drain reads *body fully and replaces it with a reader over the same bytes.
func drain(body *io.ReadCloser) ([]byte, error) {
	if *body == nil || *body == http.NoBody {
		return nil, nil
	}
	b, err := io.ReadAll(*body)
	_ = (*body).Close()
	*body = io.NopCloser(bytes.NewReader(b))
	return b, err
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

// recorder keeps a copy of what a handler writes while passing it on.
type recorder struct {
	http.ResponseWriter
	status      int
	wroteHeader bool
	body        bytes.Buffer
}

func (r *recorder) WriteHeader(status int) {
	if !r.wroteHeader {
		r.status, r.wroteHeader = status, true
	}
	r.ResponseWriter.WriteHeader(status)
}

func (r *recorder) Write(b []byte) (int, error) {
	r.wroteHeader = true
	r.body.Write(b)
	return r.ResponseWriter.Write(b)
}

func (r *recorder) Flush() {
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach the underlying writer (to
// hijack a connection, for instance). A fake that breaks an exchange on
// purpose sets FaultHeader first, so the broken exchange is not checked.
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }
