package byoktest

import (
	"cmp"
	"slices"
	"sync"
	"time"
)

// Request is one request the fake received, as its log keeps it.
type Request struct {
	// ID is the X-Request-Id the answer carried.
	ID string
	// Time is when the request arrived, on the injected clock.
	Time time.Time
	// Method, Path (unescaped) and Query (raw, as sent) of the request.
	Method, Path, Query string
	// Operation is the API operation the request was routed to, or "" when
	// it named none.
	Operation Operation
	// Status is the status of the answer, or 0 when no answer was sent (a
	// connection reset or dropped on purpose, or a client that went away).
	Status int
	// Fault is the fault injected into the exchange, or "" for none.
	Fault FaultMode

	seq uint64 // arrival order
}

// requestLog keeps the last size requests in a ring.
type requestLog struct {
	mu   sync.Mutex
	size int
	buf  []Request
	next int // where the oldest entry is once buf is full
}

func newRequestLog(size int) *requestLog { return &requestLog{size: size} }

func (l *requestLog) add(r Request) {
	if l.size == 0 {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.buf) < l.size {
		l.buf = append(l.buf, r)
		return
	}
	l.buf[l.next] = r
	l.next = (l.next + 1) % l.size
}

func (l *requestLog) snapshot() []Request {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]Request, 0, len(l.buf))
	out = append(out, l.buf[l.next:]...)
	out = append(out, l.buf[:l.next]...)
	// Entries are added when their answer is done; list them by arrival.
	slices.SortStableFunc(out, func(a, b Request) int { return cmp.Compare(a.seq, b.seq) })
	return out
}

func (l *requestLog) clear() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf, l.next = l.buf[:0], 0
}

// Requests returns the requests received, in the order they arrived: at most the last
// DefaultRequestLogSize, or as many as WithRequestLog says.
func (s *Server) Requests() []Request { return s.log.snapshot() }

// ClearRequests empties the request log.
func (s *Server) ClearRequests() { s.log.clear() }
