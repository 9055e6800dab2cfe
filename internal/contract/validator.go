// Package contract checks HTTP exchanges against the BYOK v1 OpenAPI spec
// (openapi/byok-v1.yaml) and counts which documented (operation, status)
// pairs were seen.
//
// Tests put a Validator in front of a client (Transport) or a server
// (Middleware); any request or response the spec rejects fails the test with
// the operation, the field and the reason. ForTest gives a test its
// Validator and, when BYOK_CONTRACT_DIR is set, records the pairs it saw for
// the coverage table of `make contract`.
package contract

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/byokctl/byok/openapi"
)

// FaultHeader marks a response that a fake server broke on purpose (fault
// injection). Such responses are not held to the spec and are not counted.
const FaultHeader = "X-Byoktest-Fault"

// Validator validates requests and responses against the spec and counts
// the (operation, status) pairs it saw. It is safe for concurrent use.
type Validator struct {
	doc    *openapi3.T
	router routers.Router

	mu     sync.Mutex
	counts map[Pair]Count
}

// New returns a Validator for the BYOK v1 spec. The spec's server URL is
// dropped so that exchanges with any host (a loopback test server) are
// routed by path alone.
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
	return &Validator{doc: doc, router: router, counts: map[Pair]Count{}}, nil
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
	sort.Slice(pairs, func(i, j int) bool { return pairs[i].less(pairs[j]) })
	return pairs
}

// Counts returns how often each pair was seen, and how often it was seen
// and found valid.
func (v *Validator) Counts() map[Pair]Count {
	v.mu.Lock()
	defer v.mu.Unlock()
	out := make(map[Pair]Count, len(v.counts))
	for p, c := range v.counts {
		out[p] = c
	}
	return out
}

// Seen returns how often each pair was seen and found valid.
func (v *Validator) Seen() map[Pair]int {
	out := map[Pair]int{}
	for p, c := range v.Counts() {
		if c.Valid > 0 {
			out[p] = c.Valid
		}
	}
	return out
}

// Missing returns the documented pairs never seen and found valid, sorted.
func (v *Validator) Missing() []Pair {
	return Missing(v.Documented(), v.Counts())
}

// Exchange is one request and its response, bodies included.
type Exchange struct {
	Request      *http.Request
	RequestBody  []byte
	Status       int
	Header       http.Header
	ResponseBody []byte
}

func (v *Validator) options() *openapi3filter.Options {
	return &openapi3filter.Options{
		AuthenticationFunc: openapi3filter.NoopAuthenticationFunc,
		// A status the operation does not document is a violation.
		IncludeResponseStatus: true,
		MultiError:            true,
		SchemaValidationOptions: []openapi3.SchemaValidationOption{
			// Per validation, not global: uri is checked as Prism checks
			// it; date-time is kin-openapi's check with a short message.
			openapi3.WithStringFormatValidator("uri", uriFormat{}),
			openapi3.WithStringFormatValidator("date-time", dateTimeFormat{}),
		},
	}
}

// Check validates one exchange: the request against its operation, and the
// response against the operation's documented status (a Deviation's answer
// against the Failure schema). A response marked with FaultHeader is skipped. The returned errors are *Violation values.
func (v *Validator) Check(ctx context.Context, ex Exchange) []error {
	if ex.Header.Get(FaultHeader) != "" {
		return nil
	}
	req := ex.Request.Clone(ctx)
	req.Body = io.NopCloser(bytes.NewReader(ex.RequestBody))
	route, params, err := v.router.FindRoute(req)
	if err != nil {
		return []error{&Violation{
			Method: req.Method, Path: req.URL.Path, Status: ex.Status, Request: true, Err: err,
			Problems: []Problem{{Where: "request", Reason: "no documented operation has this method and path"}},
		}}
	}
	opID := route.Operation.OperationID
	var errs []error
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route, Options: v.options()}
	// A request the server refused as malformed (400, 422) may break the
	// spec on purpose; its response is still checked below.
	if ex.Status != http.StatusBadRequest && ex.Status != http.StatusUnprocessableEntity {
		if err := openapi3filter.ValidateRequest(ctx, in); err != nil {
			errs = append(errs, &Violation{Method: req.Method, Path: req.URL.Path, OperationID: opID, Status: ex.Status, Request: true, Problems: problems(err), Err: err})
		}
	}
	var respErr error
	if Deviation(Pair{opID, ex.Status}) {
		respErr = v.checkFailureBody(ex)
	} else {
		out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: ex.Status, Header: ex.Header, Options: v.options()}
		out.SetBodyBytes(ex.ResponseBody)
		respErr = openapi3filter.ValidateResponse(ctx, out)
	}
	if respErr != nil {
		errs = append(errs, &Violation{Method: req.Method, Path: req.URL.Path, OperationID: opID, Status: ex.Status, Problems: problems(respErr), Err: respErr})
	}
	v.mu.Lock()
	c := v.counts[Pair{opID, ex.Status}]
	c.Seen++
	if len(errs) == 0 {
		c.Valid++
	}
	v.counts[Pair{opID, ex.Status}] = c
	v.mu.Unlock()
	return errs
}

// dateTimeFormat checks `format: date-time`: RFC 3339.
type dateTimeFormat struct{}

func (dateTimeFormat) Validate(value string) error {
	if _, err := time.Parse(time.RFC3339Nano, value); err != nil {
		return errors.New("not an RFC 3339 date-time")
	}
	return nil
}

// uriFormat checks `format: uri`: an absolute URI (RFC 3986), as JSON Schema
// validators such as Prism's read it.
type uriFormat struct{}

func (uriFormat) Validate(value string) error {
	u, err := url.Parse(value)
	if err != nil {
		return fmt.Errorf("not a URI: %w", errors.Unwrap(err))
	}
	if !u.IsAbs() {
		return errors.New("not an absolute URI (no scheme)")
	}
	return nil
}
