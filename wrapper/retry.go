package wrapper

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptrace"
	"sync/atomic"
	"time"
)

// Retries are done here, by a small loop around the generated client's
// calls, not by github.com/hashicorp/go-retryablehttp. retryablehttp was
// evaluated and does not meet this API's rules:
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
// Working around all of that would leave little of it in use, so the loop
// below (about a hundred lines) is the simpler and clearer choice.

// MaxResponseBytes caps the body read from any answer. A larger successful
// answer fails with ErrResponseTooLarge (for a create, with
// ErrOutcomeUnknown too); of a larger error answer only the start is kept.
const MaxResponseBytes = 8 << 20

// RetryPolicy says how often and how long to retry.
//
// Which requests are retried: GET, PATCH and DELETE on 429, 500, 502, 503 and
// 504 answers, on connection errors and on a 2xx answer whose body is not JSON
// (cut short on the way); POST (create) only on 429 and when the request
// certainly did not reach the server (dialing failed, or net/http's transport
// reported that it got no connection: with a transport that reports nothing, a
// create may have been sent). A create that was sent and got no answer, a 2xx
// answer that cannot be read (not JSON, not a key, too large), or a 502 Bad
// Gateway or 504 Gateway Timeout (a gateway's answer: the request may have
// reached the API behind it) fails with ErrOutcomeUnknown and is not retried;
// for 502 and 504 the error also matches ErrServer and wraps the *APIError. A
// create answered 500 or 503 fails with ErrServer alone. A DELETE that gets 404
// after an attempt whose outcome is unknown (a 5xx or a connection lost after
// sending) has succeeded.
//
// How long to wait: exponential back-off with full jitter (a random wait
// between zero and min(MaxDelay, BaseDelay*2^(retry-1))); after a 429, at
// least half of that step. The server's wait instead, when longer:
// Retry-After, or X-RateLimit-Reset when X-RateLimit-Remaining is 0,
// whichever is longer. A wait the server asks for that is longer than
// MaxServerDelay, or a wait that would end after the context's deadline, is
// not started: the last error is returned at once.
type RetryPolicy struct {
	// MaxAttempts is the number of attempts, the first included (default 4;
	// 1 means no retries).
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
// 4 attempts, back-off from 500ms up to 20s, server-requested waits up to 60s.
func DefaultRetryPolicy() RetryPolicy {
	return RetryPolicy{MaxAttempts: 4, BaseDelay: 500 * time.Millisecond, MaxDelay: 20 * time.Second, MaxServerDelay: time.Minute}
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

// operation describes one API call.
type operation struct {
	name   string // for messages: "get key cck-12345"
	method string
	path   string // the API path, for APIError
	// decode, when set, decodes the body of a 2xx answer. call runs it, so
	// that one pass over the body both decodes it and finds a body that is
	// not JSON (cut short or mangled on the way, see isSyntaxError), which
	// is retried. Without decode, call checks the body with json.Valid.
	decode func(body []byte) error
}

// ready checks what a call needs: a Client made by New or NewFromEnv, and a
// context.
func (c *Client) ready(ctx context.Context) error {
	switch {
	case c == nil || c.api == nil:
		return errors.New("byok: the Client was not created by New or NewFromEnv")
	case ctx == nil:
		return errors.New("byok: the context is nil; pass context.Background() or another context")
	}
	return nil
}

// call sends a request with send, retrying by the client's policy, and
// returns the answer's Response: of the 2xx answer, or with the error of the
// call, of the last answer received (nil when none came). send is called
// once per attempt and must build a fresh request (the generated client
// does), so bodies are sent intact every time.
func (c *Client) call(ctx context.Context, op operation, send func(context.Context) (*http.Response, error)) (*Response, error) {
	if err := c.ready(ctx); err != nil {
		return nil, err
	}
	var (
		lastErr        error
		lastResp       *Response
		outcomeUnknown bool // an earlier attempt may have been carried out
	)
	for attempt := 1; ; attempt++ {
		if ctx.Err() != nil {
			// Nothing of this attempt was sent.
			return lastResp, c.canceled(ctx, op, ctx.Err(), lastErr)
		}
		var trace attemptTrace
		actx := context.WithValue(httptrace.WithClientTrace(ctx, trace.clientTrace()), attemptKey{}, &trace)
		resp, err := send(actx)
		var header http.Header
		status := 0
		retry := false
		if err != nil {
			var edit *editError
			if errors.As(err, &edit) {
				return lastResp, fmt.Errorf("byok: %s: %w", op.name, edit.err)
			}
			notSent := trace.notSent() || isDialError(err)
			if ctx.Err() != nil {
				// A create the context gave up on after it was sent may
				// have been carried out all the same.
				return lastResp, c.canceled(ctx, op, c.transportError(op, err, notSent), lastErr)
			}
			retry = retryableTransportError(err) && (op.method != http.MethodPost || notSent)
			if !notSent {
				outcomeUnknown = true
			}
			// A malformed answer's error quotes the server's bytes.
			lastErr = c.auth.redactor(trace.authorization, "").error(c.transportError(op, err, notSent))
		} else {
			// What the server sent is kept without the credential of this
			// attempt, which a server or proxy may echo back.
			red := c.auth.redactor(trace.authorization, requestAuthorization(resp))
			header = red.header(resp.Header)
			body, tooLarge, readErr := readBody(resp.Body)
			_ = resp.Body.Close()
			status = resp.StatusCode
			lastResp = newResponse(status, header)
			switch {
			case readErr != nil && ctx.Err() != nil:
				return lastResp, c.canceled(ctx, op, red.error(c.transportError(op, readErr, false)), lastErr)
			case readErr != nil:
				outcomeUnknown = true
				retry = op.method != http.MethodPost
				lastErr = red.error(c.transportError(op, fmt.Errorf("reading the %d answer: %w", status, readErr), false))
			case status >= 200 && status <= 299 && tooLarge:
				// A create answered so has been carried out, but the key
				// cannot be read: its error is an ErrOutcomeUnknown.
				return lastResp, c.transportError(op, fmt.Errorf("%w: the %d answer is larger than %d bytes", ErrResponseTooLarge, status, MaxResponseBytes), false)
			case status >= 200 && status <= 299:
				err := decodeBody(op, red.body(body))
				if err == nil {
					return lastResp, nil
				}
				lastErr = c.transportError(op, fmt.Errorf("decoding the %d answer (request id %s): %w", status, printable(lastResp.RequestID), err), false)
				if !isSyntaxError(err) {
					return lastResp, lastErr
				}
				// An answer cut short, or mangled on the way: retried like
				// a lost connection; a create that got it may have been
				// carried out.
				outcomeUnknown = true
				retry = op.method != http.MethodPost
			case op.method == http.MethodDelete && status == http.StatusNotFound && outcomeUnknown:
				c.debug(ctx, "byok: DELETE answered 404 after an attempt of unknown outcome: the key is deleted", "op", op.name)
				return lastResp, nil
			default:
				apiErr := c.apiError(op, status, header, body, red)
				lastErr = apiErr
				switch status {
				case http.StatusTooManyRequests:
					retry = true
				case http.StatusInternalServerError, http.StatusServiceUnavailable:
					retry = op.method != http.MethodPost
					outcomeUnknown = true
				case http.StatusBadGateway, http.StatusGatewayTimeout:
					retry = op.method != http.MethodPost
					outcomeUnknown = true
					if op.method == http.MethodPost {
						lastErr = gatewayError(op, apiErr)
					}
				}
			}
		}
		if !retry || attempt >= c.retry.MaxAttempts {
			return lastResp, lastErr
		}
		wait, fromServer := c.retryWait(attempt, status, header)
		if fromServer && wait > c.retry.MaxServerDelay {
			return lastResp, lastErr
		}
		if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) <= wait {
			return lastResp, lastErr
		}
		c.debug(ctx, "byok: retrying", "op", op.name, "attempt", attempt, "wait", wait, "reason", lastErr.Error())
		if err := c.clock.Sleep(ctx, wait); err != nil {
			return lastResp, c.canceled(ctx, op, err, lastErr)
		}
	}
}

// decodeBody decodes the body of a 2xx answer with op.decode, or checks it
// with json.Valid when op has no decode. The body of a DELETE is not looked
// at.
func decodeBody(op operation, body []byte) error {
	switch {
	case op.method == http.MethodDelete:
		return nil
	case op.decode == nil:
		if json.Valid(body) {
			return nil
		}
		return json.Unmarshal(body, new(struct{}))
	}
	return op.decode(body)
}

// retryWait returns the wait before the retry following attempt, and whether
// the server asked for it (Retry-After, or X-RateLimit-Reset when
// X-RateLimit-Remaining is 0: the longer of the two). After a 429 the wait is
// at least half the back-off step of the attempt, so that a burst of 429s
// asking for no wait cannot use up every attempt at once.
func (c *Client) retryWait(attempt, status int, h http.Header) (time.Duration, bool) {
	var server time.Duration
	asked := false
	if h != nil {
		if d, ok := parseRetryAfter(h, c.clock.Now()); ok {
			server, asked = d, true
		}
		if rl := parseRateLimit(h); rl.HasRemaining && rl.Remaining == 0 && rl.HasReset {
			server, asked = max(server, rl.Reset), true
		}
	}
	backoff := c.retry.backoff(attempt)
	if status == http.StatusTooManyRequests {
		half := c.retry.step(attempt) / 2
		backoff = half + backoff/2
	}
	if asked && server >= backoff {
		return server, true
	}
	return backoff, false
}

// canceled is the error of a call whose context ended. It matches the
// context's error and, when err says so (a create sent before the context
// ended), ErrOutcomeUnknown.
func (c *Client) canceled(ctx context.Context, op operation, err, lastErr error) error {
	cause := ctx.Err()
	if cause == nil {
		cause = err
	}
	if errors.Is(err, ErrOutcomeUnknown) && !errors.Is(cause, ErrOutcomeUnknown) {
		cause = fmt.Errorf("%w: %w", cause, ErrOutcomeUnknown)
	}
	if lastErr != nil {
		return fmt.Errorf("byok: %s: %w (after: %w)", op.name, cause, lastErr)
	}
	return fmt.Errorf("byok: %s: %w", op.name, cause)
}

// transportError wraps an error of the connection, or of a 2xx answer that
// cannot be read, with the operation's name. A create that may have reached
// the server is an ErrOutcomeUnknown.
func (c *Client) transportError(op operation, err error, notSent bool) error {
	if op.method == http.MethodPost && !notSent {
		return fmt.Errorf("byok: %s: %w: %w; the key may have been created, list the keys before creating it again", op.name, ErrOutcomeUnknown, err)
	}
	return fmt.Errorf("byok: %s: %w", op.name, err)
}

// gatewayError is the error of a create answered 502 or 504. That answer
// comes from a gateway or proxy in front of the API, which may have passed
// the request on before failing or giving up waiting: the key may have been
// created. The error matches ErrOutcomeUnknown, and through the *APIError it
// wraps, ErrServer.
func gatewayError(op operation, apiErr *APIError) error {
	return fmt.Errorf("byok: %s: %w: a gateway answered %d, so the request may have reached the API (%w); the key may have been created, list the keys before creating it again",
		op.name, ErrOutcomeUnknown, apiErr.StatusCode, apiErr)
}

// attemptTrace records whether an attempt asked for and got a connection,
// and the Authorization value editRequest set on it.
type attemptTrace struct {
	getConn, gotConn atomic.Bool
	authorization    string // set and read on call's goroutine
}

// notSent reports whether the attempt certainly did not reach the server:
// the transport asked for a connection and got none. A transport that
// reports no connection events (not net/http's, or one that drops the
// request's context) cannot say so: its request may have been sent.
func (t *attemptTrace) notSent() bool {
	return t.getConn.Load() && !t.gotConn.Load()
}

// attemptKey is the context key of an attempt's *attemptTrace.
type attemptKey struct{}

// requestAuthorization returns the Authorization header of the request
// resp answers, when known.
func requestAuthorization(resp *http.Response) string {
	if resp.Request == nil {
		return ""
	}
	return resp.Request.Header.Get("Authorization")
}

func (t *attemptTrace) clientTrace() *httptrace.ClientTrace {
	return &httptrace.ClientTrace{
		GetConn: func(string) { t.getConn.Store(true) },
		GotConn: func(httptrace.GotConnInfo) { t.gotConn.Store(true) },
	}
}

// isDialError reports whether err happened while connecting, before anything
// was sent.
func isDialError(err error) bool {
	var opErr *net.OpError
	if errors.As(err, &opErr) && opErr.Op == "dial" {
		return true
	}
	var dnsErr *net.DNSError
	return errors.As(err, &dnsErr)
}

// retryableTransportError reports whether a connection error may pass on a
// retry. Certificate problems, a refused redirect and the like do not.
func retryableTransportError(err error) bool {
	var (
		verifyErr *tls.CertificateVerificationError
		unknownCA x509.UnknownAuthorityError
		hostErr   x509.HostnameError
		invalid   x509.CertificateInvalidError
		record    tls.RecordHeaderError
		redirect  *redirectError
	)
	switch {
	case errors.As(err, &verifyErr), errors.As(err, &unknownCA), errors.As(err, &hostErr),
		errors.As(err, &invalid), errors.As(err, &record), errors.As(err, &redirect):
		return false
	}
	return true
}

// readBody reads at most MaxResponseBytes of r. tooLarge reports a body that
// was cut.
func readBody(r io.Reader) (body []byte, tooLarge bool, err error) {
	body, err = io.ReadAll(io.LimitReader(r, MaxResponseBytes+1))
	if len(body) > MaxResponseBytes {
		return body[:MaxResponseBytes], true, nil
	}
	return body, false, err
}

// debug logs at debug level when a logger is set.
func (c *Client) debug(ctx context.Context, msg string, args ...any) {
	if c.logger != nil {
		c.logger.DebugContext(ctx, msg, args...)
	}
}
