package byoktest

import (
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// limiter is a fixed-window request counter on the injected clock.
type limiter struct {
	mu     sync.Mutex
	limit  int
	window time.Duration
	start  time.Time
	count  int
}

// rate is what the X-RateLimit-* headers say.
type rate struct {
	limit, remaining int
	reset            time.Duration // until the window resets
}

// take counts one request at now when count is true, and reports whether it
// is within the limit.
func (l *limiter) take(now time.Time, count bool) (bool, rate) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.start.IsZero() || !now.Before(l.start.Add(l.window)) || now.Before(l.start) {
		l.start, l.count = now, 0
	}
	ok := l.count < l.limit
	if count && ok {
		l.count++
	}
	return ok, rate{limit: l.limit, remaining: l.limit - l.count, reset: l.start.Add(l.window).Sub(now)}
}

// set writes the rate-limit headers.
func (rt rate) set(h http.Header) {
	h.Set("X-RateLimit-Limit", strconv.Itoa(rt.limit))
	h.Set("X-RateLimit-Remaining", strconv.Itoa(max(rt.remaining, 0)))
	h.Set("X-RateLimit-Reset", seconds(rt.reset))
}

// seconds formats d as seconds with at most three decimals ("0.05", "60").
func seconds(d time.Duration) string {
	s := math.Ceil(max(d.Seconds(), 0)*1000) / 1000
	return strconv.FormatFloat(s, 'f', -1, 64)
}

// retryAfter is the whole number of seconds a client should wait for d.
func retryAfter(d time.Duration) string {
	return strconv.Itoa(int(math.Ceil(max(d.Seconds(), 0))))
}
