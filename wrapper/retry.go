package wrapper

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Retries are done here, by a small loop around the generated client's
// calls (call.go), not by github.com/hashicorp/go-retryablehttp.
// retryablehttp was evaluated and does not meet this API's rules:
//
//   - it sleeps on real timers (time.NewTimer) with no way to inject a
//     clock, so tests of back-off would really sleep;
//   - it starts a wait longer than the context's remaining time and then
//     returns ctx.Err() when the deadline hits, where the rule is to return
//     the last error at once;
//   - its CheckRetry sees a response or an error but not whether the request
//     reached the server (httptrace), nor earlier attempts, so neither "POST
//     only when certainly not sent" nor "a DELETE whose earlier outcome is
//     unknown and which then gets 404 has succeeded" can be expressed;
//   - its Backoff knows Retry-After but not X-RateLimit-Reset, and by default
//     it drops the last response, losing the server's error details.
//
// Working around all of that would leave little of it in use. The rules are
// the table of retryRules below; call.go holds the loop (attempt, classify,
// wait).

// MaxResponseBytes caps the body read from any answer. A larger successful
// answer fails with ErrResponseTooLarge (for a create, with
// ErrOutcomeUnknown too); of a larger error answer only the start is kept.
const MaxResponseBytes = 8 << 20

// RetryPolicy says how often and how long to retry.
//
// Which requests are retried (the table retryRules in retry.go says the
// same, row by row):
//
//   - GET, PATCH and DELETE: on 429, 500, 502, 503 and 504 answers, on
//     connection errors, and on a 2xx answer whose body is not JSON (cut
//     short on the way).
//   - POST (create): only on 429, and when the request certainly did not
//     reach the server (dialing failed, or net/http's transport reported
//     that it got no connection: with a transport that reports nothing, a
//     create may have been sent). A create that may have been carried out
//     is never sent again: one that was sent and got no answer, a 2xx answer
//     that cannot be read (not JSON, not a key, too large), or a 502 Bad
//     Gateway or 504 Gateway Timeout (a gateway's answer: the request may
//     have reached the API behind it) fails with ErrOutcomeUnknown; for 502
//     and 504 the error also matches ErrServer and wraps the *APIError. A
//     create answered 500 or 503 fails with ErrServer alone.
//   - Never: other statuses, certificate errors, a refused redirect, an
//     error of the token source. A DELETE that gets 404 after an attempt
//     whose outcome is unknown (a 5xx or a connection lost after sending)
//     has succeeded.
//
// How long: a request is retried while the context's deadline allows, up to
// MaxAttempts attempts in all (10 by default; without a deadline, that cap
// alone bounds a call: at most 91.5s of back-off in all, plus the waits the
// server asks for). Between attempts: exponential back-off with full jitter
// (a random wait between zero and min(MaxDelay, BaseDelay*2^(retry-1)));
// after a 429, at least half of that step; and at most half the time left
// before the deadline, so that the call goes on trying until then. The
// server's wait instead, when longer, and never cut: Retry-After when the
// answer has one, else X-RateLimit-Reset when X-RateLimit-Remaining is 0.
// When both are sent, Retry-After wins, even when shorter: it is the
// server's answer about this request (RFC 9110, section 10.2.3), while the
// X-RateLimit-* headers describe a quota window, which a server may refill
// before it resets or which may be another limit than the one that refused;
// waiting for the reset would spend time the server did not ask for and,
// under a deadline, give up a call that would have passed. A wait the server
// asks for that is longer than MaxServerDelay, or that would end after the
// context's deadline, is not started.
//
// A call that stops retrying returns an error that says after how many
// attempts, what the last wait was for and why it stopped (the attempts used
// up, a wait longer than the time left or than MaxServerDelay, or the
// context's end), and that wraps the last attempt's error: errors.Is and
// errors.As find the *APIError, its sentinel and, when the context ended,
// the context's error.
type RetryPolicy struct {
	// MaxAttempts is the number of attempts, the first included (default
	// 10; 1 means no retries).
	MaxAttempts int
	// BaseDelay is the back-off of the first retry (default 500ms).
	BaseDelay time.Duration
	// MaxDelay caps the back-off (default 20s).
	MaxDelay time.Duration
	// MaxServerDelay is the longest wait honoured from Retry-After or
	// X-RateLimit-Reset (default 60s).
	MaxServerDelay time.Duration
}

// DefaultRetryPolicy returns the policy a Client uses unless told otherwise:
// up to 10 attempts within the context's deadline, back-off from 500ms up to
// 20s, server-requested waits up to 60s.
func DefaultRetryPolicy() RetryPolicy {
	return RetryPolicy{MaxAttempts: 10, BaseDelay: 500 * time.Millisecond, MaxDelay: 20 * time.Second, MaxServerDelay: time.Minute}
}

func (p RetryPolicy) withDefaults() RetryPolicy {
	d := DefaultRetryPolicy()
	if p.MaxAttempts == 0 {
		p.MaxAttempts = d.MaxAttempts
	}
	if p.BaseDelay == 0 {
		p.BaseDelay = d.BaseDelay
	}
	if p.MaxDelay == 0 {
		p.MaxDelay = d.MaxDelay
	}
	if p.MaxServerDelay == 0 {
		p.MaxServerDelay = d.MaxServerDelay
	}
	return p
}

// step returns the exponential back-off step of retry number n (1 for the
// first retry): min(MaxDelay, BaseDelay*2^(n-1)).
func (p RetryPolicy) step(n int) time.Duration {
	d := p.BaseDelay
	for i := 1; i < n && d < p.MaxDelay; i++ {
		d *= 2
	}
	return max(min(d, p.MaxDelay), 0)
}

// backoff returns the jittered wait before retry number n: a random wait
// between zero and step(n) (full jitter).
func (p RetryPolicy) backoff(n int) time.Duration {
	d := p.step(n)
	if d <= 0 {
		return 0
	}
	return rand.N(d + 1)
}

// outcome is what one attempt came to, as far as retrying goes.
type outcome int

const (
	outcomeNotSent       outcome = iota // the request certainly did not reach the server
	outcomeLost                         // sent; the connection failed before a whole answer came
	outcomeBroken                       // a connection error no retry mends: certificate, refused redirect
	outcomeMangled                      // a 2xx answer whose body is not JSON
	outcomeUnreadable                   // a 2xx answer too large, or JSON that is not what was asked
	outcomeRateLimited                  // 429
	outcomeServerError                  // 500, 503
	outcomeGatewayError                 // 502, 504
	outcomeDeletedBefore                // 404 to a DELETE after an attempt of unknown outcome
	outcomeRefused                      // any other status outside 2xx
	outcomeOK                           // a 2xx answer, read and decoded
	outcomes                            // the number of outcomes
)

// retryRule is one row of the retry rules: whether an outcome is retried,
// for a create (POST) and for any other request (GET, PATCH, DELETE, which
// may be repeated), whether the request may have been carried out, and why.
type retryRule struct {
	retry, retryCreate bool
	// carriedOut: the request may have been carried out (so a DELETE
	// answered 404 later has succeeded).
	carriedOut bool
	why        string
}

// retryRules is the table of the rules RetryPolicy describes, one row per
// outcome.
func retryRules() [outcomes]retryRule {
	return [outcomes]retryRule{
		//                     retry  create carried out
		outcomeNotSent:       {true, true, false, "the request did not reach the server"},
		outcomeLost:          {true, false, true, "the connection failed after the request was sent: it may have been carried out"},
		outcomeBroken:        {false, false, false, "a retry would meet the same refusal (certificate or redirect)"},
		outcomeMangled:       {true, false, true, "the answer was cut short or mangled on the way; the request was carried out"},
		outcomeUnreadable:    {false, false, true, "the answer was whole but not what was asked for: a retry would get it again"},
		outcomeRateLimited:   {true, true, false, "rate limited: the request was refused before being carried out"},
		outcomeServerError:   {true, false, true, "the API failed, possibly after carrying the request out"},
		outcomeGatewayError:  {true, false, true, "a gateway failed; the API behind it may have carried the request out"},
		outcomeDeletedBefore: {false, false, false, "an earlier attempt deleted the key"},
		outcomeRefused:       {false, false, false, "the API refused the request: a retry would get the same answer"},
		outcomeOK:            {false, false, false, "done"},
	}
}

// ruleOf returns the rule of outcome o, and whether it is retried for
// method.
func ruleOf(method string, o outcome) (retryRule, bool) {
	r := retryRules()[o]
	if method == http.MethodPost {
		return r, r.retryCreate
	}
	return r, r.retry
}

// wait is one wait between attempts: how long, and what for.
type wait struct {
	d time.Duration
	// server names the header the wait comes from ("Retry-After", or
	// "X-RateLimit-Reset"); empty for the back-off.
	server string
}

// String says how long the wait is and what for: "2s (back-off)",
// "1m0s (Retry-After)".
func (w wait) String() string {
	return w.d.String() + " (" + w.what() + ")"
}

// what says what the wait is for: "back-off", or the server's header.
func (w wait) what() string {
	if w.server == "" {
		return "back-off"
	}
	return w.server
}

// serverWait returns the wait the server asks for in h, if any: Retry-After
// when present (it wins over X-RateLimit-Reset, see RetryPolicy), else
// X-RateLimit-Reset when X-RateLimit-Remaining is 0.
func serverWait(h http.Header, now time.Time) (wait, bool) {
	if d, ok := parseRetryAfter(h, now); ok {
		return wait{d, "Retry-After"}, true
	}
	if rl := parseRateLimit(h); rl.HasRemaining && rl.Remaining == 0 && rl.HasReset {
		return wait{rl.Reset, "X-RateLimit-Reset, with X-RateLimit-Remaining 0"}, true
	}
	return wait{}, false
}

// retryWait returns the wait before the retry following attempt: the
// back-off, or the server's wait (see serverWait) when longer. After a 429
// the back-off is at least half its step, so that a burst of 429s asking
// for no wait cannot use up every attempt at once. The back-off, the
// client's own choice, is cut to half the time left before ctx's deadline,
// so that the call goes on trying while the deadline allows (the other half
// is for the attempt); the server's wait is never cut.
func (c *Client) retryWait(ctx context.Context, attempt int, o outcome, h http.Header) wait {
	backoff := c.retry.backoff(attempt)
	if o == outcomeRateLimited {
		half := c.retry.step(attempt) / 2
		backoff = half + backoff/2
	}
	if deadline, ok := ctx.Deadline(); ok {
		backoff = max(min(backoff, time.Until(deadline)/2), 0)
	}
	if server, ok := serverWait(h, c.clock.Now()); ok && server.d >= backoff {
		return server
	}
	return wait{d: backoff}
}

// sleep waits w, unless it would end after ctx's deadline. before says
// what the wait comes before ("before attempt 3"). It returns why it did not
// wait, or not to the end: stop says so in words, and err is ctx's error
// when the context ended during the wait, ErrNoTimeLeft when the wait was
// not started.
func (c *Client) sleep(ctx context.Context, w wait, before string) (stop string, err error) {
	if deadline, ok := ctx.Deadline(); ok {
		if left := time.Until(deadline); left <= w.d {
			return fmt.Sprintf("the wait of %s %s is longer than the %s left before the deadline", w, before, max(left, 0).Round(time.Millisecond)), ErrNoTimeLeft
		}
	}
	if err := c.clock.Sleep(ctx, w.d); err != nil {
		return fmt.Sprintf("%s during the wait of %s %s", contextEnd(err), w, before), err
	}
	return "", nil
}

// contextEnd says how a context ended: "the deadline passed" or "the call
// was canceled".
func contextEnd(err error) string {
	if errors.Is(err, context.DeadlineExceeded) {
		return "the deadline passed"
	}
	return "the call was canceled"
}

// gaveUpError is the error of a call that stopped retrying. It says after
// how many attempts, how long was waited between them and why it stopped,
// and wraps the error of the last attempt and, when the context ended, the
// context's error.
type gaveUpError struct {
	op       string
	attempts int
	waited   time.Duration
	waitedOn []string // what the waits were for: "back-off", "Retry-After", ...
	stop     string
	ctxErr   error // nil unless the context ended, or ErrNoTimeLeft
	during   error // of the attempt the context ended, if it did
	last     error // of the last attempt that came to an end
}

func (e *gaveUpError) Error() string {
	var b strings.Builder
	b.WriteString("byok: ")
	b.WriteString(e.op)
	b.WriteString(": gave up after ")
	b.WriteString(attempts(e.attempts))
	if e.waited > 0 {
		b.WriteString(" and " + e.waited.Round(time.Millisecond).String() + " of waiting between them, for " + strings.Join(e.waitedOn, " and "))
	}
	b.WriteString(": ")
	b.WriteString(e.stop)
	if e.during != nil {
		b.WriteString(" (" + unprefixed{e.during}.Error() + ")")
	}
	if e.last != nil {
		b.WriteString("; the last error: ")
		b.WriteString(unprefixed{e.last}.Error())
	}
	return b.String()
}

// Unwrap returns the context's error (or ErrNoTimeLeft) and the error of
// the attempt it ended, when the context ended, and the last attempt's
// error.
func (e *gaveUpError) Unwrap() []error {
	var errs []error
	for _, err := range []error{e.ctxErr, e.during, e.last} {
		if err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}

// attempts returns "1 attempt" or "n attempts".
func attempts(n int) string {
	if n == 1 {
		return "1 attempt"
	}
	return strconv.Itoa(n) + " attempts"
}
