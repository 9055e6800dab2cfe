// Package contract checks HTTP exchanges against the BYOK v1 OpenAPI spec
// (openapi/byok-v1.yaml) and counts which documented
// (operation, status) pairs were seen.
//
// Tests put a Validator in front of a client (Transport) or a server
// (Middleware); any request or response the spec rejects fails the test with
// the operation, the field and the reason.
package contract

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/byokctl/byok/openapi"
)

// FaultHeader marks a response that a fake server broke on purpose (fault
// injection). Such responses are not held to the spec and are not counted.
const FaultHeader = "X-Byoktest-Fault"

// Pair is one documented (operation, status) pair.
type Pair struct {
	OperationID string
	Status      int
}

// String returns "operationId status".
func (p Pair) String() string { return p.OperationID + " " + strconv.Itoa(p.Status) }

// Reporter is the part of testing.TB a Validator reports violations to.
type Reporter interface {
	Helper()
	Errorf(format string, args ...any)
}

// Validator validates requests and responses against the spec. It is safe for
// concurrent use.
type Validator struct {
	doc    *openapi3.T
	router routers.Router

	mu   sync.Mutex
	seen map[Pair]int
}

// New returns a Validator for the BYOK v1 spec. The spec's server
// URL is dropped so that exchanges with any host (a loopback test server)
// are routed by path alone.
func New() (*Validator, error) {
	doc, err := openapi.Load()
	if err != nil {
		return nil, fmt.Errorf("contract: loading the embedded spec: %w", err)
	}
	doc.Servers = nil
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		return nil, fmt.Errorf("contract: building the router: %w", err)
	}
	return &Validator{doc: doc, router: router, seen: map[Pair]int{}}, nil
}

// Documented lists every (operation, status) pair the spec documents, sorted.
func (v *Validator) Documented() []Pair {
	var pairs []Pair
	for _, item := range v.doc.Paths.Map() {
		for _, op := range item.Operations() {
			for code := range op.Responses.Map() {
				status, err := strconv.Atoi(code)
				if err == nil {
					pairs = append(pairs, Pair{op.OperationID, status})
				}
			}
		}
	}
	sort.Slice(pairs, func(i, j int) bool {
		if pairs[i].OperationID != pairs[j].OperationID {
			return pairs[i].OperationID < pairs[j].OperationID
		}
		return pairs[i].Status < pairs[j].Status
	})
	return pairs
}

// Seen returns how often each pair was seen and validated.
func (v *Validator) Seen() map[Pair]int {
	v.mu.Lock()
	defer v.mu.Unlock()
	out := make(map[Pair]int, len(v.seen))
	for p, n := range v.seen {
		out[p] = n
	}
	return out
}

// Exchange is one request and its response, bodies included.
type Exchange struct {
	Request      *http.Request
	RequestBody  []byte
	Status       int
	Header       http.Header
	ResponseBody []byte
}

// Violation is an exchange the spec rejects.
type Violation struct {
	Method, Path string
	OperationID  string // empty when no operation matched
	Status       int    // zero for a request violation
	Err          error
}

func (e *Violation) Error() string {
	where := e.Method + " " + e.Path
	if e.OperationID != "" {
		where = e.OperationID + " (" + where + ")"
	}
	if e.Status == 0 {
		return fmt.Sprintf("contract: request of %s violates the spec: %v", where, e.Err)
	}
	return fmt.Sprintf("contract: %d response of %s violates the spec: %v", e.Status, where, e.Err)
}

func (e *Violation) Unwrap() error { return e.Err }

func (v *Validator) options() *openapi3filter.Options {
	return &openapi3filter.Options{
		AuthenticationFunc: openapi3filter.NoopAuthenticationFunc,
		// A status the operation does not document is a violation.
		IncludeResponseStatus: true,
		MultiError:            true,
	}
}

// Check validates one exchange: the request against its operation, and the
// response against the operation's documented status. A response marked with
// FaultHeader is skipped. The returned errors are *Violation values.
func (v *Validator) Check(ctx context.Context, ex Exchange) []error {
	if ex.Header.Get(FaultHeader) != "" {
		return nil
	}
	req := ex.Request.Clone(ctx)
	req.Body = io.NopCloser(bytes.NewReader(ex.RequestBody))
	route, params, err := v.router.FindRoute(req)
	if err != nil {
		return []error{&Violation{Method: req.Method, Path: req.URL.Path, Status: ex.Status, Err: fmt.Errorf("no documented operation: %w", err)}}
	}
	opID := route.Operation.OperationID
	var errs []error
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route, Options: v.options()}
	// A request the server refused as malformed (400, 422) may break the
	// spec on purpose; its response is still checked below.
	if ex.Status != http.StatusBadRequest && ex.Status != http.StatusUnprocessableEntity {
		if err := openapi3filter.ValidateRequest(ctx, in); err != nil {
			errs = append(errs, &Violation{Method: req.Method, Path: req.URL.Path, OperationID: opID, Err: err})
		}
	}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: ex.Status, Header: ex.Header, Options: v.options()}
	out.SetBodyBytes(ex.ResponseBody)
	if err := openapi3filter.ValidateResponse(ctx, out); err != nil {
		errs = append(errs, &Violation{Method: req.Method, Path: req.URL.Path, OperationID: opID, Status: ex.Status, Err: err})
		return errs
	}
	v.mu.Lock()
	v.seen[Pair{opID, ex.Status}]++
	v.mu.Unlock()
	return errs
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

// Missing returns the documented pairs never seen, sorted.
func (v *Validator) Missing() []Pair {
	seen := v.Seen()
	var missing []Pair
	for _, p := range v.Documented() {
		if seen[p] == 0 {
			missing = append(missing, p)
		}
	}
	return slices.Clip(missing)
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
