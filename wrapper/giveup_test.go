package wrapper_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/byokctl/byok/internal/testkit"
	"github.com/byokctl/byok/wrapper"
)

// Tests of issue 18 item 8 (rate-limit messages tell the truth) and issue
// 19 item 4 (retries that survive a bad minute). Each failed before.

// contains fails t unless msg holds every one of want.
func contains(t *testing.T, msg string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(msg, w) {
			t.Errorf("message %q lacks %q", msg, w)
		}
	}
}

// TestRetryAfterWinsOverRateLimitReset: a 429 with Retry-After: 1,
// X-RateLimit-Reset: 60 and X-RateLimit-Remaining: 0 under a one-minute
// deadline gave up after one attempt (the reset, the longer, won and was
// longer than the time left) with a message that said "retry after 1s".
// Retry-After wins now: the call waits 1s and passes.
func TestRetryAfterWinsOverRateLimitReset(t *testing.T) {
	s := &script{t: t, steps: []func(http.ResponseWriter){
		status(429, "Retry-After", "1", "X-RateLimit-Reset", "60", "X-RateLimit-Remaining", "0"), ok(t, "aws.json"),
	}}
	clock := testkit.NewClock()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, _, err := newClient(t, serve(t, s), clock).GetKey(ctx, "cck-1"); err != nil {
		t.Fatal(err)
	}
	if got := clock.Sleeps(); len(got) != 1 || got[0] != time.Second || s.requests() != 2 {
		t.Errorf("waits %v, %d requests; want [1s] and 2", got, s.requests())
	}
}

// TestGiveUpWaitLongerThanTimeLeft: a wait longer than the time left is not
// started, and the error says so: after how many attempts, what the wait was
// for and how much time was left. It is not the deadline's error: the
// deadline has not passed.
func TestGiveUpWaitLongerThanTimeLeft(t *testing.T) {
	s := &script{t: t, steps: []func(http.ResponseWriter){
		status(429, "X-RateLimit-Reset", "60", "X-RateLimit-Remaining", "0", "X-Request-Id", "req-429"), ok(t, "aws.json"),
	}}
	clock := testkit.NewClock()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, _, err := newClient(t, serve(t, s), clock).GetKey(ctx, "cck-1")
	var apiErr *wrapper.APIError
	if !errors.Is(err, wrapper.ErrRateLimited) || !errors.As(err, &apiErr) || apiErr.RequestID != "req-429" {
		t.Fatalf("got %v, want the 429", err)
	}
	if errors.Is(err, context.DeadlineExceeded) || len(clock.Sleeps()) != 0 || s.requests() != 1 {
		t.Errorf("%v after %d waits and %d requests; want no deadline error, no wait and 1 request", err, len(clock.Sleeps()), s.requests())
	}
	if !errors.Is(err, wrapper.ErrNoTimeLeft) {
		t.Errorf("%v does not match ErrNoTimeLeft", err)
	}
	contains(t, err.Error(), "get key cck-1: gave up after 1 attempt: ",
		"the wait of 1m0s (X-RateLimit-Reset, with X-RateLimit-Remaining 0) before attempt 2 is longer than the ", "s left before the deadline",
		"the last error: GET /byok/v1/keys/cck-1: 429 Too Many Requests", "(request id req-429)")
}

// TestGiveUpServerDelayOverMax: a server wait over MaxServerDelay is named
// as the reason.
func TestGiveUpServerDelayOverMax(t *testing.T) {
	s := &script{t: t, steps: []func(http.ResponseWriter){status(503), status(429, "Retry-After", "120"), ok(t, "aws.json")}}
	clock := testkit.NewClock()
	_, _, err := newClient(t, serve(t, s), clock).GetKey(context.Background(), "cck-1")
	if !errors.Is(err, wrapper.ErrRateLimited) || len(clock.Sleeps()) != 1 || s.requests() != 2 {
		t.Fatalf("got %v after %d waits and %d requests", err, len(clock.Sleeps()), s.requests())
	}
	contains(t, err.Error(), "gave up after 2 attempts and ", " of waiting between them, for back-off: ",
		"the server asks for a wait of 2m0s (Retry-After), longer than RetryPolicy.MaxServerDelay (1m0s)", "429 Too Many Requests")
}

// deadlineClock's Sleep waits until the context ends.
type deadlineClock struct{ *testkit.Clock }

func (deadlineClock) Sleep(ctx context.Context, _ time.Duration) error {
	<-ctx.Done()
	return ctx.Err()
}

// TestGiveUpDeadlineDuringWait: a deadline that passes during a wait ends
// the call with the deadline's error and the last answer, and says so.
func TestGiveUpDeadlineDuringWait(t *testing.T) {
	s := &script{t: t, steps: []func(http.ResponseWriter){status(500, "X-Request-Id", "req-500"), ok(t, "aws.json")}}
	c, err := wrapper.New(wrapper.WithAPIKey(testKey, testSecret), wrapper.WithEndpoint(serve(t, s).URL),
		wrapper.WithClock(deadlineClock{testkit.NewClock()}), wrapper.WithRetryPolicy(wrapper.RetryPolicy{BaseDelay: time.Millisecond, MaxDelay: time.Millisecond}))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_, _, err = c.GetKey(ctx, "cck-1")
	var apiErr *wrapper.APIError
	if !errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, wrapper.ErrServer) || !errors.As(err, &apiErr) || apiErr.RequestID != "req-500" {
		t.Fatalf("got %v, want the deadline's error and the 500", err)
	}
	contains(t, err.Error(), "gave up after 1 attempt: the deadline passed during the wait of ", "(back-off) before attempt 2",
		"the last error: GET /byok/v1/keys/cck-1: 500 Internal Server Error", "(request id req-500)")
	if s.requests() != 1 {
		t.Errorf("%d requests", s.requests())
	}
}

// TestReadsAndDeletesRetriedPastFourAttempts: reads and deletes went out at
// most 4 times; under a bad minute (here 7 failures in a row) they keep
// trying within the cap of 10 attempts.
func TestReadsAndDeletesRetriedPastFourAttempts(t *testing.T) {
	fail7 := func(last func(http.ResponseWriter)) []func(http.ResponseWriter) {
		return []func(http.ResponseWriter){status(503), nil, status(500), status(429), nil, status(502), status(500), last}
	}
	for name, call := range map[string]struct {
		steps []func(http.ResponseWriter)
		do    func(*wrapper.Client) error
	}{
		"get": {fail7(ok(t, "aws.json")), func(c *wrapper.Client) error {
			_, _, err := c.GetKey(context.Background(), "cck-1")
			return err
		}},
		"list": {fail7(ok(t, "page-100.json")), func(c *wrapper.Client) error {
			_, _, err := c.ListKeys(context.Background(), wrapper.ListKeysOptions{})
			return err
		}},
		"delete": {fail7(noContent), func(c *wrapper.Client) error {
			_, err := c.DeleteKey(context.Background(), "cck-1")
			return err
		}},
	} {
		t.Run(name, func(t *testing.T) {
			s := &script{t: t, steps: call.steps}
			if err := call.do(newRawClient(t, serve(t, s), testkit.NewClock())); err != nil {
				t.Fatal(err)
			}
			if s.requests() != 8 {
				t.Errorf("%d requests, want 8", s.requests())
			}
		})
	}
}

// emptyPages serves pages with no key but a next page token, and counts
// them.
func emptyPages(t *testing.T, requests *atomic.Int32) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		n := requests.Add(1)
		if n > 20 {
			t.Error("the listing was not bounded")
			return
		}
		writeJSON(w, http.StatusOK, fmt.Appendf(nil, `{"api_version":"byok/v1","kind":"KeyList","metadata":{"next":"https://api.confluent.cloud/byok/v1/keys?page_token=t%d"},"data":[]}`, n))
	})
}

// TestEmptyPagesWaitLongerThanTimeLeft: the listing loop said "context
// deadline exceeded" (and byokctl "gave up after 30s") when it stopped at
// 15.6s because its next wait was longer than the time left. It now says
// what it waited for, after how many pages, and why it stopped.
func TestEmptyPagesWaitLongerThanTimeLeft(t *testing.T) {
	var requests atomic.Int32
	clock := testkit.NewClock()
	ctx, cancel := context.WithTimeout(context.Background(), 12*time.Second)
	defer cancel()
	var errs []error
	for _, err := range newClient(t, serve(t, emptyPages(t, &requests)), clock).Keys(ctx, wrapper.ListKeysOptions{}) {
		errs = append(errs, err)
	}
	if len(errs) != 1 {
		t.Fatalf("yielded %v, want one error", errs)
	}
	err := errs[0]
	// Waits of 0.5s, 1s, 2s, 4s and 8s (15.5s, of the test's clock) after
	// pages 2 to 6; the wait after page 7, 16s, is longer than the 12s of the
	// deadline.
	if errors.Is(err, context.DeadlineExceeded) || ctx.Err() != nil || requests.Load() != 7 || len(clock.Sleeps()) != 5 {
		t.Errorf("%v after %d requests and waits %v; want no deadline error, 7 requests and 5 waits", err, requests.Load(), clock.Sleeps())
	}
	if !errors.Is(err, wrapper.ErrNoTimeLeft) {
		t.Errorf("%v does not match ErrNoTimeLeft", err)
	}
	contains(t, err.Error(), "list keys: gave up waiting for a page with keys after 7 pages in a row without a key but with a next page token, and 15.5s of waiting: ",
		"the wait of 16s (back-off) before the next page is longer than the ", "s left before the deadline")
}

// TestEmptyPagesLimit: the limit of empty pages says how long was waited.
func TestEmptyPagesLimit(t *testing.T) {
	var requests atomic.Int32
	var errs []error
	for _, err := range newClient(t, serve(t, emptyPages(t, &requests)), testkit.NewClock()).Keys(context.Background(), wrapper.ListKeysOptions{}) {
		errs = append(errs, err)
	}
	if len(errs) != 1 || requests.Load() != 10 {
		t.Fatalf("yielded %v after %d requests", errs, requests.Load())
	}
	// 0.5+1+2+4+8+16+20+20: the waits after pages 2 to 9.
	contains(t, errs[0].Error(), "gave up waiting for a page with keys after 10 pages in a row without a key but with a next page token, and 1m11.5s of waiting: ",
		"no more such pages are asked for (the limit is 10)")
}
