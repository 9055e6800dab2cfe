package wrapper

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/byokctl/byok/api"
	"github.com/byokctl/byok/internal/termtext"
)

// Sentinel errors. An *APIError matches the sentinel of its status with
// errors.Is, so callers need not compare status codes:
//
//	if errors.Is(err, wrapper.ErrNotFound) { ... }
var (
	ErrBadRequest    = errors.New("bad request (400)")
	ErrUnauthorized  = errors.New("unauthorized (401)")
	ErrQuotaExceeded = errors.New("quota exceeded (402)")
	ErrForbidden     = errors.New("forbidden (403)")
	ErrNotFound      = errors.New("not found (404)")
	ErrConflict      = errors.New("conflict (409)")
	ErrInvalid       = errors.New("invalid (422)")
	ErrRateLimited   = errors.New("rate limited (429)")
	ErrServer        = errors.New("server error (5xx)")

	// ErrOutcomeUnknown: a create request was sent but no answer came from the
	// API, so the key may or may not have been created. It is not retried; look
	// (ListKeys with a filter on the key) before creating again. It covers a
	// create whose connection was lost after sending, a create whose context
	// ended after sending (the error then matches the context's error too), a
	// success answer cut short, too large, not a key or a key without an id of
	// the API's form (the key was created, but which one cannot be told; the
	// last is a *KeyMismatchError), and a create answered 502 Bad Gateway or 504
	// Gateway Timeout: a gateway's answer, given when the API behind it failed or
	// was too slow, possibly after it created the key. Such an error also matches
	// ErrServer, and errors.As finds its *APIError with everything the gateway
	// said.
	ErrOutcomeUnknown = errors.New("outcome unknown: the request was sent and may have been carried out")

	// ErrKeyInvalid: WaitForValidation saw the INVALID phase. The error is a
	// *ValidationError carrying the server's message.
	ErrKeyInvalid = errors.New("key validation failed")

	// ErrNoTimeLeft: a call stopped retrying (or a listing stopped asking for
	// pages after empty ones) because the wait before the next attempt would
	// end after the context's deadline. The deadline has not passed, so the
	// error does not match context.DeadlineExceeded, but it is the deadline,
	// not the retry policy, that ended the call: a longer one lets it go on.
	ErrNoTimeLeft = errors.New("the wait before the next attempt is longer than the time left before the deadline")

	// ErrResponseTooLarge: a response body exceeded MaxResponseBytes.
	ErrResponseTooLarge = errors.New("response body too large")
)

// sentinelFor returns the sentinel of a status, or nil.
func sentinelFor(status int) error {
	switch {
	case status == http.StatusBadRequest:
		return ErrBadRequest
	case status == http.StatusUnauthorized:
		return ErrUnauthorized
	case status == http.StatusPaymentRequired:
		return ErrQuotaExceeded
	case status == http.StatusForbidden:
		return ErrForbidden
	case status == http.StatusNotFound:
		return ErrNotFound
	case status == http.StatusConflict:
		return ErrConflict
	case status == http.StatusUnprocessableEntity:
		return ErrInvalid
	case status == http.StatusTooManyRequests:
		return ErrRateLimited
	case status >= 500 && status <= 599:
		return ErrServer
	}
	return nil
}

// maxExcerpt bounds APIError.Body.
const maxExcerpt = 512

// APIError is a non-2xx answer from the API. It keeps everything the server
// said. errors.Is matches it against the sentinel of its status (ErrNotFound
// for 404, ErrServer for any 5xx, ...).
//
// One thing is taken out: the credential of the request, which a server or
// a proxy may echo back. Wherever the Authorization value sent, its token or
// base64 part, or (for an API key) "key:secret" or the secret appear in the
// body excerpt, an error detail or a header value, they read "[redacted]":
// also in base64, escaped, percent-encoded, or with a control, bidi or
// invisible character in their middle that would vanish once the text is
// cleaned for a terminal. A part shorter than 8 characters is not redacted
// on its own, so as not to mangle the server's words; the whole
// Authorization value always is.
type APIError struct {
	// StatusCode is the HTTP status, such as 404.
	StatusCode int
	// Method and Path are those of the request, such as "GET" and
	// "/byok/v1/keys/cck-12345".
	Method, Path string
	// RequestID is the X-Request-Id header; quote it to support.
	RequestID string
	// Errors are all the error details of the Failure body, in order.
	Errors []ErrorDetail
	// RateLimit holds the X-RateLimit-* headers of the answer.
	RateLimit RateLimit
	// RetryAfter is the Retry-After header (zero when absent).
	RetryAfter time.Duration
	// Body is a short excerpt of a body that is not a JSON Failure (a
	// proxy's HTML page, say), at most 512 bytes; empty otherwise.
	Body string
	// Header is the whole header of the answer.
	Header http.Header
}

// ErrorDetail is one error of a Failure body, the generated api.Error: ID
// (of this occurrence of the problem), Status (the HTTP status as a string),
// Code (an application-specific code), Title (a short summary), Detail (this
// occurrence explained), Source (the part of the request at fault),
// ErrorCode and Message (when the server sends them).
type ErrorDetail api.Error

// ErrorSource points to the part of the request that caused an error, the
// generated api.ErrorSource: Pointer, a JSON Pointer into the request body
// (such as "/display_name"), or Parameter, the query parameter at fault.
type ErrorSource = api.ErrorSource

// String returns the detail in one line: the title and the detail (or the
// message or code when those are missing), and what it points to.
func (d ErrorDetail) String() string {
	var parts []string
	for _, s := range []string{d.Title, d.Detail} {
		if s != "" && !slices.Contains(parts, s) {
			parts = append(parts, s)
		}
	}
	if len(parts) == 0 && d.Message != "" {
		parts = append(parts, d.Message)
	}
	if len(parts) == 0 && d.Code != "" {
		parts = append(parts, "code "+d.Code)
	}
	s := strings.Join(parts, ": ")
	switch {
	case d.Source.Pointer != "":
		s += " (at " + d.Source.Pointer + ")"
	case d.Source.Parameter != "":
		s += " (parameter " + d.Source.Parameter + ")"
	}
	return s
}

// Error returns one line that keeps everything the server said: method,
// path, status, every error detail (a title that only repeats the status
// text is left out), or the body when there is no detail and it says more
// than the status (its first 120 bytes); the Retry-After wait and the request id. The server's
// words are made printable: its line breaks and control characters (a
// terminal's escape sequences) must not reach a log or a terminal as such.
// It is the one rendering of an API error: byokctl prints it too.
func (e *APIError) Error() string {
	var b strings.Builder
	b.WriteString("byok: ")
	b.WriteString(e.Method)
	b.WriteByte(' ')
	b.WriteString(e.Path)
	b.WriteString(": ")
	b.WriteString(strconv.Itoa(e.StatusCode))
	text := http.StatusText(e.StatusCode)
	if text != "" {
		b.WriteByte(' ')
		b.WriteString(text)
	}
	details := make([]string, 0, len(e.Errors))
	for _, d := range e.Errors {
		if strings.EqualFold(d.Title, text) && d.Detail != "" {
			d.Title = "" // "404 Not Found: Not Found: ..." says it twice
		}
		if s := printable(d.String()); s != "" && !repeatsStatus(s, e.StatusCode) {
			details = append(details, s)
		}
	}
	if body := printable(e.Body); len(details) == 0 && body != "" && !repeatsStatus(body, e.StatusCode) {
		details = append(details, shorten(body, 120)) // an HTML page of a proxy, say
	}
	if len(details) > 0 {
		b.WriteString(": ")
		b.WriteString(strings.Join(details, "; "))
	}
	if e.RetryAfter > 0 {
		b.WriteString(" (retry after " + e.RetryAfter.String() + ")")
	}
	if id := printable(e.RequestID); id != "" {
		b.WriteString(" (request id ")
		b.WriteString(id)
		b.WriteByte(')')
	}
	return b.String()
}

// repeatsStatus reports whether s is only the status line of code, with or
// without the number: "503 Service Unavailable" or "Service Unavailable".
func repeatsStatus(s string, code int) bool {
	text := http.StatusText(code)
	return text != "" && (strings.EqualFold(s, text) || strings.EqualFold(s, strconv.Itoa(code)+" "+text))
}

// printable returns the server's text s safe for a terminal and one line
// long (termtext.Clean, which the CLI uses as well).
func printable(s string) string { return termtext.Clean(s) }

// Is reports whether target is the sentinel of e's status.
func (e *APIError) Is(target error) bool {
	s := sentinelFor(e.StatusCode)
	return s != nil && s == target
}

// shorten cuts s to at most n bytes, at a character boundary, marking the
// cut with "…".
func shorten(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// excerpt returns at most maxExcerpt bytes of body, cut at a character
// boundary.
func excerpt(body []byte) string {
	if len(body) <= maxExcerpt {
		return strings.ToValidUTF8(string(body), "?")
	}
	return strings.ToValidUTF8(string(body[:maxExcerpt]), "") + "…"
}

// unprefixed is an error of this package quoted inside another, whose
// message starts with "byok: " already: its message is err's without that
// prefix, and it unwraps to err, so errors.Is and errors.As see through it.
type unprefixed struct{ err error }

func (e unprefixed) Error() string { return strings.TrimPrefix(e.err.Error(), "byok: ") }
func (e unprefixed) Unwrap() error { return e.err }

// KeyDecodeError is a key of a list page that could not be decoded (it has
// no "key" object, its "key" has no kind, or a field has the wrong JSON
// type). It concerns that key alone: ListKeys returns it in
// KeyPage.DecodeErrors beside the other keys, and Keys yields it in the
// key's place.
type KeyDecodeError struct {
	// Index is the key's position in the page.
	Index int
	// ID is the key's id, when it could be read.
	ID string
	// Err says what is wrong.
	Err error
}

// Error says in one line which key of the page could not be decoded, and
// why. The id (the server's) is quoted when it is not a plain id, and the
// reason, which may quote the server's text, is made printable as in
// APIError.Error; the fields keep what the server sent.
func (e *KeyDecodeError) Error() string {
	id := "without an id"
	if e.ID != "" {
		id = printableID(e.ID)
	}
	reason := "no reason given"
	if e.Err != nil {
		reason = printable(e.Err.Error())
	}
	return fmt.Sprintf("byok: key %d of the page (%s) cannot be decoded: %s", e.Index, id, reason)
}

// Unwrap returns the cause.
func (e *KeyDecodeError) Unwrap() error { return e.Err }

// apiError builds the *APIError of a non-2xx answer. h and body are already
// redacted (attempt redacts what it reads), so nothing is redacted here.
func (c *Client) apiError(op operation, status int, h http.Header, body []byte) *APIError {
	e := &APIError{
		StatusCode: status,
		Method:     op.method,
		Path:       op.path,
		RequestID:  h.Get("X-Request-Id"),
		RateLimit:  parseRateLimit(h),
		Header:     h,
	}
	e.RetryAfter, _ = parseRetryAfter(h, c.clock.Now())
	e.Errors = decodeFailure(body)
	if len(e.Errors) == 0 {
		e.Body = excerpt(body)
	}
	return e
}
