package wrapper

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"slices"
	"strconv"
	"sync/atomic"
	"time"
)

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
//
// Each round is attempt (send, read and redact the answer), classify (the
// outcome and its error), then the rule of the outcome (retryRules) and the
// wait.
func (c *Client) call(ctx context.Context, op operation, send func(context.Context) (*http.Response, error)) (*Response, error) {
	if err := c.ready(ctx); err != nil {
		return nil, err
	}
	r := retries{op: op.name}
	for n := 1; ; n++ {
		if err := ctx.Err(); err != nil {
			// Nothing of attempt n was sent.
			if n == 1 {
				return nil, fmt.Errorf("byok: %s: %w", op.name, err)
			}
			return r.last, r.gaveUp(n-1, contextEnd(err)+" before attempt "+strconv.Itoa(n), err, nil)
		}
		a := c.attempt(ctx, op, send)
		if a.resp != nil {
			r.last = a.resp
		}
		o, err := c.classify(op, a, r.carriedOut)
		switch {
		case a.edit:
			return r.last, err
		case o == outcomeOK:
			return r.last, nil
		case o == outcomeDeletedBefore:
			c.debug(ctx, "byok: DELETE answered 404 after an attempt of unknown outcome: the key is deleted", "op", op.name)
			return r.last, nil
		case a.readErr != nil && ctx.Err() != nil:
			// A create the context gave up on after it was sent may have
			// been carried out all the same: err says so.
			return r.last, r.gaveUp(n, fmt.Sprintf("%s during attempt %d", contextEnd(ctx.Err()), n), ctx.Err(), err)
		}
		rl, retry := ruleOf(op.method, o)
		r.carriedOut = r.carriedOut || rl.carriedOut
		r.lastErr = err
		if !retry || c.retry.MaxAttempts == 1 {
			return r.last, err // not retried, or without retries: as it came
		}
		if stop, err := c.wait(ctx, &r, n, o, a.header, rl.why); stop != "" {
			return r.last, r.gaveUp(n, stop, err, nil)
		}
	}
}

// retries is the state of call's loop.
type retries struct {
	op         string
	last       *Response // the last answer received
	lastErr    error     // the error of the last attempt
	carriedOut bool      // an earlier attempt may have been carried out
	waited     time.Duration
	waitedOn   []string // what the waits were for
}

// gaveUp returns the error of a call that stops after n attempts, for the
// reason stop. ctxErr is the context's error when it ended the call, during
// the error of the attempt it ended.
func (r *retries) gaveUp(n int, stop string, ctxErr, during error) error {
	return &gaveUpError{op: r.op, attempts: n, waited: r.waited, waitedOn: r.waitedOn, stop: stop, ctxErr: ctxErr, during: during, last: r.lastErr}
}

// wait waits before the attempt after attempt n, whose outcome was o, with
// the header h of its answer (nil without one), and why the outcome is
// retried. It returns why it did not wait, or not to the end (no attempt
// left, a wait too long, the context's end), and the context's error when
// the context ended (ErrNoTimeLeft when its deadline is too close).
func (c *Client) wait(ctx context.Context, r *retries, n int, o outcome, h http.Header, why string) (stop string, err error) {
	if n >= c.retry.MaxAttempts {
		return fmt.Sprintf("no attempt left (the retry policy allows %d)", c.retry.MaxAttempts), nil
	}
	w := c.retryWait(ctx, n, o, h)
	if w.server != "" && w.d > c.retry.MaxServerDelay {
		return fmt.Sprintf("the server asks for a wait of %s, longer than RetryPolicy.MaxServerDelay (%s)", w, c.retry.MaxServerDelay), nil
	}
	c.debug(ctx, "byok: retrying", "op", r.op, "attempt", n, "wait", w.d, "for", w.what(), "why", why, "reason", r.lastErr.Error())
	if stop, err := c.sleep(ctx, w, "before attempt "+strconv.Itoa(n+1)); stop != "" {
		return stop, err
	}
	r.waited += w.d
	if !slices.Contains(r.waitedOn, w.what()) {
		r.waitedOn = append(r.waitedOn, w.what())
	}
	return "", nil
}

// answer is what one attempt got, with the credential of the attempt
// redacted from all of it: what the server sent is read in one place,
// attempt, and redacted there, so that nothing after it (a key, an error, a
// Response, a log line) can carry a credential a server or proxy echoed.
type answer struct {
	resp     *Response // nil without an answer
	status   int
	header   http.Header
	body     []byte // of a 2xx answer
	tooLarge bool
	apiErr   *APIError // of an answer outside 2xx
	// readErr is a failure of the connection or of reading the body;
	// notSent says the request certainly did not reach the server.
	readErr error
	notSent bool
	// edit is a failure while preparing the request (a token source that
	// failed), in readErr: never retried.
	edit bool
}

// attempt sends one request with send and reads its answer.
func (c *Client) attempt(ctx context.Context, op operation, send func(context.Context) (*http.Response, error)) answer {
	var trace attemptTrace
	resp, err := send(context.WithValue(httptrace.WithClientTrace(ctx, trace.clientTrace()), attemptKey{}, &trace))
	if err != nil {
		var edit *editError
		if errors.As(err, &edit) {
			return answer{readErr: edit.err, edit: true}
		}
		// A malformed answer's error quotes the server's bytes.
		return answer{readErr: c.auth.redactor(trace.authorization, "").error(err), notSent: trace.notSent() || isDialError(err)}
	}
	red := c.auth.redactor(trace.authorization, requestAuthorization(resp))
	a := answer{status: resp.StatusCode, header: red.header(resp.Header)}
	body, tooLarge, err := readBody(resp.Body)
	_ = resp.Body.Close()
	a.resp = newResponse(a.status, a.header)
	if err != nil {
		a.readErr = red.error(fmt.Errorf("reading the %d answer: %w", a.status, err))
		return a
	}
	body = red.body(body) // the one place a body is redacted, whatever its status
	if a.status >= 200 && a.status <= 299 {
		a.body, a.tooLarge = body, tooLarge
	} else {
		a.apiErr = c.apiError(op, a.status, a.header, body)
	}
	return a
}

// classify returns the outcome of attempt a of op, and its error (nil for a
// success). carriedOut says an earlier attempt may have been carried out. A
// 2xx answer is decoded here (op.decode).
func (c *Client) classify(op operation, a answer, carriedOut bool) (outcome, error) {
	switch {
	case a.edit:
		return outcomeBroken, fmt.Errorf("byok: %s: %w", op.name, a.readErr)
	case a.readErr != nil && a.resp == nil && !retryableTransportError(a.readErr):
		return outcomeBroken, c.transportError(op, a.readErr, a.notSent)
	case a.readErr != nil && a.notSent:
		return outcomeNotSent, c.transportError(op, a.readErr, true)
	case a.readErr != nil:
		return outcomeLost, c.transportError(op, a.readErr, false)
	case a.apiErr != nil:
		return classifyStatus(op, a.apiErr, carriedOut)
	case a.tooLarge:
		// A create answered so has been carried out, but the key cannot be
		// read: its error is an ErrOutcomeUnknown.
		return outcomeUnreadable, c.transportError(op, fmt.Errorf("%w: the %d answer is larger than %d bytes", ErrResponseTooLarge, a.status, MaxResponseBytes), false)
	}
	err := decodeBody(op, a.body)
	if err == nil {
		return outcomeOK, nil
	}
	o := outcomeUnreadable
	if isSyntaxError(err) {
		o = outcomeMangled // cut short, or mangled on the way
	}
	return o, c.transportError(op, fmt.Errorf("decoding the %d answer (request id %s): %w", a.status, printable(a.resp.RequestID), err), false)
}

// classifyStatus returns the outcome of an answer outside 2xx, and its
// error.
func classifyStatus(op operation, apiErr *APIError, carriedOut bool) (outcome, error) {
	switch apiErr.StatusCode {
	case http.StatusNotFound:
		if op.method == http.MethodDelete && carriedOut {
			return outcomeDeletedBefore, nil
		}
	case http.StatusTooManyRequests:
		return outcomeRateLimited, apiErr
	case http.StatusInternalServerError, http.StatusServiceUnavailable:
		return outcomeServerError, apiErr
	case http.StatusBadGateway, http.StatusGatewayTimeout:
		if op.method == http.MethodPost {
			return outcomeGatewayError, gatewayError(op, apiErr)
		}
		return outcomeGatewayError, apiErr
	}
	return outcomeRefused, apiErr
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
		op.name, ErrOutcomeUnknown, apiErr.StatusCode, unprefixed{apiErr})
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
