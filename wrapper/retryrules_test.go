package wrapper

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"testing"
	"time"
)

// TestRetryRules checks the table retryRules against RetryPolicy's doc
// comment, without HTTP: for each method and outcome, whether it is
// retried.
func TestRetryRules(t *testing.T) {
	// The doc comment, row by row: GET, PATCH and DELETE on 429, 500, 502,
	// 503, 504, connection errors and a 2xx body that is not JSON; POST
	// only on 429 and when certainly not sent; never anything else.
	idempotent := map[outcome]bool{
		outcomeNotSent: true, outcomeLost: true, outcomeMangled: true,
		outcomeRateLimited: true, outcomeServerError: true, outcomeGatewayError: true,
	}
	create := map[outcome]bool{outcomeNotSent: true, outcomeRateLimited: true}
	for o := range outcomes {
		for _, method := range []string{http.MethodGet, http.MethodPatch, http.MethodDelete, http.MethodPost} {
			want := idempotent[o]
			if method == http.MethodPost {
				want = create[o]
			}
			r, retry := ruleOf(method, o)
			if retry != want {
				t.Errorf("%s, outcome %d (%s): retry %v, want %v", method, o, r.why, retry, want)
			}
			if r.why == "" {
				t.Errorf("outcome %d has no reason", o)
			}
		}
	}
	// A create is never repeated once it may have been carried out.
	for o := range outcomes {
		if r, retry := ruleOf(http.MethodPost, o); retry && r.carriedOut {
			t.Errorf("outcome %d (%s): a create that may have been carried out is retried", o, r.why)
		}
	}
}

// TestClassify checks the outcome of each kind of answer, without HTTP.
func TestClassify(t *testing.T) {
	c := &Client{}
	get := operation{name: "get key cck-1", method: http.MethodGet, path: "/byok/v1/keys/cck-1"}
	del := operation{name: "delete key cck-1", method: http.MethodDelete, path: "/byok/v1/keys/cck-1"}
	create := operation{name: "create key", method: http.MethodPost, path: "/byok/v1/keys"}
	status := func(code int) answer {
		return answer{status: code, resp: &Response{StatusCode: code}, apiErr: &APIError{StatusCode: code}}
	}
	ok := func(body string) answer {
		return answer{status: 200, resp: &Response{StatusCode: 200}, body: []byte(body)}
	}
	dial := &net.OpError{Op: "dial", Err: errors.New("refused")}
	for _, tc := range []struct {
		name       string
		op         operation
		a          answer
		carriedOut bool
		want       outcome
		unknown    bool // the error matches ErrOutcomeUnknown
	}{
		{"200", get, ok(`{}`), false, outcomeOK, false},
		{"200 cut short", get, ok(`{"id":`), false, outcomeMangled, false},
		{"201 cut short", create, ok(`{"id":`), false, outcomeMangled, true},
		{"200 too large", get, answer{status: 200, resp: &Response{StatusCode: 200}, tooLarge: true}, false, outcomeUnreadable, false},
		{"200 not what was asked", operation{method: http.MethodGet, decode: func([]byte) error { return errors.New("not a key") }}, ok(`{}`), false, outcomeUnreadable, false},
		{"not sent", get, answer{readErr: dial, notSent: true}, false, outcomeNotSent, false},
		{"create not sent", create, answer{readErr: dial, notSent: true}, false, outcomeNotSent, false},
		{"lost", get, answer{readErr: io.ErrUnexpectedEOF}, false, outcomeLost, false},
		{"create lost", create, answer{readErr: io.ErrUnexpectedEOF}, false, outcomeLost, true},
		{"body read failed", get, answer{status: 200, resp: &Response{StatusCode: 200}, readErr: io.ErrUnexpectedEOF}, false, outcomeLost, false},
		{"redirect refused", get, answer{readErr: &redirectError{reason: "no"}}, false, outcomeBroken, false},
		{"token source failed", get, answer{readErr: errors.New("no token"), edit: true}, false, outcomeBroken, false},
		{"429", get, status(429), false, outcomeRateLimited, false},
		{"500", get, status(500), false, outcomeServerError, false},
		{"503", create, status(503), false, outcomeServerError, false},
		{"502", get, status(502), false, outcomeGatewayError, false},
		{"create 504", create, status(504), false, outcomeGatewayError, true},
		{"404", get, status(404), true, outcomeRefused, false},
		{"DELETE 404", del, status(404), false, outcomeRefused, false},
		{"DELETE 404 after an unknown outcome", del, status(404), true, outcomeDeletedBefore, false},
		{"409", del, status(409), true, outcomeRefused, false},
		{"501", get, status(501), false, outcomeRefused, false},
	} {
		got, err := c.classify(tc.op, tc.a, tc.carriedOut)
		if got != tc.want {
			t.Errorf("%s: outcome %d, want %d", tc.name, got, tc.want)
		}
		if (err == nil) != (got == outcomeOK || got == outcomeDeletedBefore) {
			t.Errorf("%s: error %v", tc.name, err)
		}
		if errors.Is(err, ErrOutcomeUnknown) != tc.unknown {
			t.Errorf("%s: %v; want ErrOutcomeUnknown: %v", tc.name, err, tc.unknown)
		}
	}
}

// TestServerWaitRule: Retry-After wins over X-RateLimit-Reset, shorter or
// longer; the reset counts only when none remain and Retry-After is absent.
func TestServerWaitRule(t *testing.T) {
	now := time.Date(2024, 3, 20, 15, 30, 0, 0, time.UTC)
	for _, tc := range []struct {
		header []string
		want   time.Duration
		from   string
		ok     bool
	}{
		{[]string{"Retry-After", "1", "X-RateLimit-Remaining", "0", "X-RateLimit-Reset", "60"}, time.Second, "Retry-After", true},
		{[]string{"Retry-After", "30", "X-RateLimit-Remaining", "0", "X-RateLimit-Reset", "2"}, 30 * time.Second, "Retry-After", true},
		{[]string{"X-RateLimit-Remaining", "0", "X-RateLimit-Reset", "60"}, time.Minute, "X-RateLimit-Reset", true},
		{[]string{"X-RateLimit-Remaining", "3", "X-RateLimit-Reset", "60"}, 0, "", false},
		{nil, 0, "", false},
	} {
		h := http.Header{}
		for i := 0; i+1 < len(tc.header); i += 2 {
			h.Add(tc.header[i], tc.header[i+1])
		}
		w, ok := serverWait(h, now)
		if ok != tc.ok || w.d != tc.want || len(w.server) < len(tc.from) || w.server[:len(tc.from)] != tc.from {
			t.Errorf("%v: wait %v from %q (%v), want %v from %s", tc.header, w.d, w.server, ok, tc.want, tc.from)
		}
	}
}

// TestGaveUpErrorUnwraps: the error of a call that gave up matches the
// context's error, the error of the attempt the context ended, and the last
// answer.
func TestGaveUpErrorUnwraps(t *testing.T) {
	last := &APIError{StatusCode: 503, Method: "GET", Path: "/byok/v1/keys", RequestID: "r-1"}
	during := fmt.Errorf("byok: create key: %w: lost", ErrOutcomeUnknown)
	err := error(&gaveUpError{op: "create key", attempts: 3, waited: 1500 * time.Millisecond, waitedOn: []string{"back-off"},
		stop: "the deadline passed during attempt 3", ctxErr: context.DeadlineExceeded, during: during, last: last})
	var apiErr *APIError
	if !errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, ErrServer) || !errors.Is(err, ErrOutcomeUnknown) || !errors.As(err, &apiErr) || apiErr.RequestID != "r-1" {
		t.Errorf("%v does not unwrap to what it holds", err)
	}
	want := "byok: create key: gave up after 3 attempts and 1.5s of waiting between them, for back-off: the deadline passed during attempt 3 (create key: outcome unknown: the request was sent and may have been carried out: lost); the last error: GET /byok/v1/keys: 503 Service Unavailable (request id r-1)"
	if err.Error() != want {
		t.Errorf("message\n%s\nwant\n%s", err, want)
	}
}
