package byoktest

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/byokctl/byok/internal/contract"
)

// The fuzz targets of the fake. Their seed corpora are the files of
// testdata/fuzz/<target>/ (realistic requests built from testdata/keys) and
// the f.Add calls; `go test` (and so `make check`) runs the seeds only, and
// `make fuzz` explores each target for a bounded time.

// fuzzEpoch is the fixed time of the fuzzed fakes.
func fuzzEpoch() time.Time { return time.Date(2024, 3, 20, 15, 30, 0, 0, time.UTC) }

// fuzzHandler returns a fresh fake with three seeded keys (one per cloud),
// the same in every call.
func fuzzHandler(tb testing.TB) (*Server, []string) {
	tb.Helper()
	h, err := New(WithSeed(1), WithClock(fuzzEpoch), WithBaseURL("http://127.0.0.1:8080"), WithRequestLog(0))
	if err != nil {
		tb.Fatal(err)
	}
	return h, h.Seed(3)
}

// serveRecorded serves req in memory.
func serveRecorded(h *Server, req *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// responseViolations returns the ways the answer in rec breaks the spec,
// and whether the spec documents the request's method and path at all.
// Violations of the request alone are not returned: the fuzzer sends
// requests the spec forbids on purpose, and only the answers are held to it.
func responseViolations(ctx context.Context, v *contract.Validator, req *http.Request, body []byte, rec *httptest.ResponseRecorder) (bool, []error) {
	routed := true
	var out []error
	for _, err := range v.Check(ctx, contract.Exchange{Request: req, RequestBody: body, Status: rec.Code, Header: rec.Header(), ResponseBody: rec.Body.Bytes()}) {
		var vio *contract.Violation
		if errors.As(err, &vio) && vio.Request {
			routed = routed && vio.OperationID != ""
			continue
		}
		out = append(out, err)
	}
	return routed, out
}

// FuzzPageToken reads any page_token. Reading may not panic; a token the
// fake accepts is one it made, for the number it holds; every number makes
// a token that reads back; and a listing given the token answers 200 with
// the keys after that point, or 400 naming page_token, as the spec says.
func FuzzPageToken(f *testing.F) {
	h, _ := fuzzHandler(f)
	for _, seq := range []uint64{0, 1, 2, 3, 35, 100, 1 << 40, ^uint64(0)} {
		f.Add(h.token(seq), seq)
	}
	// The same numbers, spelt otherwise: other base64 padding bits.
	f.Add(strings.TrimSuffix(h.token(35), "A")+"B", uint64(35))
	f.Add(strings.TrimSuffix(h.token(100), "Q")+"R", uint64(100))
	for _, tok := range []string{"", "djE", "v1.1.abc", "djEuMS4", strings.Repeat("A", 256), "djEuMS4xZ2I3ZzVq=", "%00", "djEuLTEuMQ"} {
		f.Add(tok, uint64(7))
	}
	v, err := contract.New()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, tok string, seq uint64) {
		if got, ok := h.readToken(h.token(seq)); !ok || got != seq {
			t.Fatalf("the token of %d reads as %d, %v", seq, got, ok)
		}
		got, ok := h.readToken(tok)
		if ok && h.token(got) != tok {
			t.Fatalf("%q is accepted as the token of %d, which is %q", tok, got, h.token(got))
		}

		target := "/byok/v1/keys?page_size=2&page_token=" + url.QueryEscape(tok)
		req := httptest.NewRequestWithContext(t.Context(), http.MethodGet, target, nil)
		h.Authorize(req)
		rec := serveRecorded(h, req)
		if _, errs := responseViolations(t.Context(), v, req, nil, rec); len(errs) > 0 {
			t.Fatalf("GET %s: the answer breaks the spec: %v", target, errs)
		}
		switch {
		case tok == "" || ok:
			var list struct {
				Data []struct {
					ID string `json:"id"`
				} `json:"data"`
			}
			if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &list) != nil {
				t.Fatalf("GET %s: %d %s; want the page", target, rec.Code, rec.Body)
			}
			h.store.mu.RLock()
			recs, _ := h.store.page(got, 2, nil)
			h.store.mu.RUnlock()
			if len(recs) != len(list.Data) {
				t.Fatalf("GET %s: %d keys, want %d", target, len(list.Data), len(recs))
			}
			for i := range recs {
				if list.Data[i].ID != recs[i].id {
					t.Fatalf("GET %s: key %d is %s, want %s", target, i, list.Data[i].ID, recs[i].id)
				}
			}
		default:
			if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), `"parameter":"page_token"`) {
				t.Fatalf("GET %s: %d %s; want 400 naming page_token", target, rec.Code, rec.Body)
			}
		}
	})
}

// handlerFaults are the faults FuzzHandler may inject: those the fake
// can play on an in-memory recorder (no connection to break).
var handlerFaults = []FaultMode{FaultServerError, FaultBadGateway, FaultUnavailable, FaultHTML, FaultRateLimitBurst}

// isToken reports whether s is an HTTP token (a method name).
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range []byte(s) {
		alnum := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
		if !alnum && strings.IndexByte("!#$%&'*+-.^_`|~", c) < 0 {
			return false
		}
	}
	return true
}

// FuzzHandler sends the fake any request: any method, path, query and
// body, with good, wrong or no credentials, and sometimes a fault. The fake
// may not panic; every answer has a request id and the rate-limit headers;
// an answer that is not a fault follows the spec (a path the spec does not
// know gets 404 or 405 with a Failure body); and no answer is a 5xx unless
// a fault was injected, in which case it is marked with FaultHeader.
func FuzzHandler(f *testing.F) {
	_, ids := fuzzHandler(f)
	f.Add("GET", "/byok/v1/keys", []byte(nil), uint8(1), uint8(0))
	f.Add("GET", "/byok/v1/keys?page_size=1&provider=AWS&state=AVAILABLE&validation_phase=VALID&validation_region=us-west-2&key=arn&display_name=seed", []byte(nil), uint8(2), uint8(0))
	f.Add("GET", "/byok/v1/keys/"+ids[0], []byte(nil), uint8(1), uint8(0))
	f.Add("PATCH", "/byok/v1/keys/"+ids[1], []byte(`{"display_name":"renamed"}`), uint8(1), uint8(0))
	f.Add("DELETE", "/byok/v1/keys/"+ids[2], []byte(nil), uint8(1), uint8(0))
	f.Add("POST", "/byok/v1/keys", []byte(`{"display_name":"k","key":{"kind":"AwsKey","key_arn":"arn:aws:kms:us-west-2:111122223333:key/k"}}`), uint8(1), uint8(0))
	f.Add("POST", "/byok/v1/keys", []byte(`{"key":{"kind":"GcpKey","key_id":"projects/p/locations/europe-west1/keyRings/r/cryptoKeys/k"}}`), uint8(1), uint8(3))
	f.Add("PUT", "/byok/v1/keys/..%2F", []byte(`{`), uint8(0), uint8(0))
	f.Add("GET", "/byok/v1/keys/"+ids[0], []byte(nil), uint8(3), uint8(5))
	v, err := contract.New()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, method, target string, body []byte, auth, fault uint8) {
		if !isToken(method) || !strings.HasPrefix(target, "/") || strings.ContainsFunc(target, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
			return // net/http answers 400 itself before any handler runs
		}
		raw := fmt.Sprintf("%s %s HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nContent-Type: application/json\r\nContent-Length: %d\r\n", method, target, len(body))
		switch auth % 4 {
		case 1:
			raw += "Authorization: Basic " + basic(DefaultAPIKey, DefaultAPISecret) + "\r\n"
		case 2:
			raw += "Authorization: Bearer " + DefaultToken + "\r\n"
		case 3:
			raw += "Authorization: Basic " + basic(DefaultAPIKey, "wrong") + "\r\n"
		}
		req, err := http.ReadRequest(bufio.NewReader(strings.NewReader(raw + "\r\n" + string(body))))
		if err != nil {
			return // not a request net/http would hand to a handler
		}
		req = req.WithContext(t.Context())

		h, _ := fuzzHandler(t)
		var injected FaultMode
		if int(fault) <= len(handlerFaults) && fault > 0 {
			injected = handlerFaults[fault-1]
			if err := h.FailNext(1, injected); err != nil {
				t.Fatal(err)
			}
		}
		rec := serveRecorded(h, req)

		marked := FaultMode(rec.Header().Get(FaultHeader))
		switch {
		case marked != "" && marked != injected:
			t.Fatalf("%s %s: answer marked as fault %q, injected %q", method, target, marked, injected)
		case rec.Code >= 500 && marked == "":
			t.Fatalf("%s %s: %d without a fault:\n%s", method, target, rec.Code, rec.Body)
		case rec.Header().Get("X-Request-Id") == "" || rec.Header().Get("X-RateLimit-Limit") == "" ||
			rec.Header().Get("X-RateLimit-Remaining") == "" || rec.Header().Get("X-RateLimit-Reset") == "":
			t.Fatalf("%s %s: %d without a request id or rate-limit headers: %v", method, target, rec.Code, rec.Header())
		}
		if marked != "" {
			return
		}
		routed, errs := responseViolations(t.Context(), v, req, body, rec)
		if len(errs) > 0 {
			t.Fatalf("%s %s %q: %d %s\nbreaks the spec: %v", method, target, body, rec.Code, rec.Body, errs)
		}
		if !routed && rec.Code != http.StatusNotFound && rec.Code != http.StatusMethodNotAllowed {
			t.Fatalf("%s %s names no operation of the spec, answered %d; want 404 or 405", method, target, rec.Code)
		}
		if rec.Code >= 400 {
			var failure struct {
				Errors []json.RawMessage `json:"errors"`
			}
			if json.Unmarshal(rec.Body.Bytes(), &failure) != nil || len(failure.Errors) == 0 {
				t.Fatalf("%s %s: %d without a Failure body: %s", method, target, rec.Code, rec.Body)
			}
		}
	})
}

// basic returns the credentials of HTTP Basic authentication.
func basic(user, password string) string {
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.SetBasicAuth(user, password)
	return strings.TrimPrefix(r.Header.Get("Authorization"), "Basic ")
}
