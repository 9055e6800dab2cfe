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

// set writes the rate-limit headers. X-RateLimit-Reset is a whole number of
// seconds, rounded up, as the API publishes it.
func (rt rate) set(h http.Header) {
	h.Set("X-RateLimit-Limit", strconv.Itoa(rt.limit))
	h.Set("X-RateLimit-Remaining", strconv.Itoa(max(rt.remaining, 0)))
	h.Set("X-RateLimit-Reset", wholeSeconds(rt.reset))
}

// wholeSeconds is d in whole seconds, rounded up ("0" for none).
func wholeSeconds(d time.Duration) string {
	return strconv.Itoa(int(math.Ceil(max(d.Seconds(), 0))))
}
