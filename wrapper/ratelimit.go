package wrapper

import (
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// maxHeaderWait bounds the waits read from headers, so that a nonsensical
// value cannot overflow a Duration.
const maxHeaderWait = 24 * time.Hour

// Response describes the HTTP answer a result came with.
type Response struct {
	// StatusCode is the HTTP status, such as 200.
	StatusCode int
	// RequestID is the X-Request-Id header; quote it to support.
	RequestID string
	// RateLimit holds the X-RateLimit-* headers.
	RateLimit RateLimit
	// Header is the whole header of the answer, a credential of the
	// request the server echoed redacted (as in APIError).
	Header http.Header
}

// RateLimit holds the rate-limit headers of an answer. A header that is
// missing or not a number leaves its field zero and its Has flag false; it
// never fails a good answer.
type RateLimit struct {
	// Limit is X-RateLimit-Limit: the requests allowed per window.
	Limit int
	// Remaining is X-RateLimit-Remaining: the requests left in the window.
	Remaining int
	// Reset is X-RateLimit-Reset: the time until the window resets. The
	// header counts seconds from now (not an epoch time), an integer or a
	// fraction.
	Reset time.Duration
	// HasLimit, HasRemaining and HasReset say which headers were present
	// and readable.
	HasLimit, HasRemaining, HasReset bool
}

// parseRateLimit reads the X-RateLimit-* headers of h leniently. A header
// sent more than once (by the API and a proxy, say) is read at its most
// restrictive: the lowest limit and remaining count, the latest reset. The
// names are written in http.Header's canonical form ("Ratelimit"), which
// indexing finds without canonicalising (and allocating) them on every
// answer.
func parseRateLimit(h http.Header) RateLimit {
	var rl RateLimit
	rl.Limit, rl.HasLimit = lowestCount(h["X-Ratelimit-Limit"])
	rl.Remaining, rl.HasRemaining = lowestCount(h["X-Ratelimit-Remaining"])
	rl.Reset, rl.HasReset = longestWait(h["X-Ratelimit-Reset"], parseSeconds)
	return rl
}

// lowestCount returns the lowest of the values that parseCount reads, and
// false when it reads none.
func lowestCount(values []string) (low int, ok bool) {
	for _, v := range values {
		if n, good := parseCount(v); good && (!ok || n < low) {
			low, ok = n, true
		}
	}
	return low, ok
}

// longestWait returns the longest of the waits parse reads from values, and
// false when it reads none.
func longestWait(values []string, parse func(string) (time.Duration, bool)) (longest time.Duration, ok bool) {
	for _, v := range values {
		if d, good := parse(v); good && (!ok || d > longest) {
			longest, ok = d, true
		}
	}
	return longest, ok
}

// parseCount reads a non-negative integer; a fractional value is rounded
// down.
func parseCount(s string) (int, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, false
	}
	if n, err := strconv.Atoi(s); err == nil {
		if n < 0 {
			return 0, false
		}
		return n, true
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || f < 0 || f > math.MaxInt32 {
		return 0, false
	}
	return int(f), true
}

// parseSeconds reads a non-negative, possibly fractional number of seconds.
func parseSeconds(s string) (time.Duration, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || f < 0 {
		return 0, false
	}
	d := time.Duration(f * float64(time.Second))
	if f*float64(time.Second) > float64(maxHeaderWait) {
		d = maxHeaderWait
	}
	return d, true
}

// parseRetryAfter reads Retry-After: seconds, or an HTTP date relative to
// now. Sent more than once, the longest wait counts.
func parseRetryAfter(h http.Header, now time.Time) (time.Duration, bool) {
	return longestWait(h["Retry-After"], func(v string) (time.Duration, bool) { return parseWait(v, now) })
}

// parseWait reads one Retry-After value.
func parseWait(s string, now time.Time) (time.Duration, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, false
	}
	if d, ok := parseSeconds(s); ok {
		return d, true
	}
	t, err := http.ParseTime(s)
	if err != nil {
		return 0, false
	}
	return min(max(t.Sub(now), 0), maxHeaderWait), true
}

func newResponse(status int, h http.Header) *Response {
	return &Response{
		StatusCode: status,
		RequestID:  h.Get("X-Request-Id"),
		RateLimit:  parseRateLimit(h),
		Header:     h,
	}
}
