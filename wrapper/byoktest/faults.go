package byoktest

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"time"
)

// FaultHeader is set on every answer broken on purpose, with the FaultMode
// as its value, so that the contract validator (internal/contract) skips it.
// It is set before the connection is hijacked, so a validator in front of
// the fake sees it even when the client gets no answer.
const FaultHeader = "X-Byoktest-Fault"

// FaultMode is one way the fake breaks an exchange.
type FaultMode string

// The fault modes. Unless said otherwise the request is not applied.
const (
	// FaultServerError answers 500 with a Failure body.
	FaultServerError FaultMode = "server-error"
	// FaultBadGateway answers 502 with a plain-text body.
	FaultBadGateway FaultMode = "bad-gateway"
	// FaultUnavailable answers 503 with a plain-text body.
	FaultUnavailable FaultMode = "unavailable"
	// FaultHTML answers 502 with an HTML page (text/html), as a proxy in
	// front of the API would.
	FaultHTML FaultMode = "html"
	// FaultReset resets the connection (TCP RST) before any answer.
	FaultReset FaultMode = "reset"
	// FaultDropResponse applies the request, then closes the connection
	// without an answer: the client cannot tell whether it was applied.
	FaultDropResponse FaultMode = "drop-response"
	// FaultTruncated applies the request and answers with its status and
	// the first half of its body, with a Content-Length to match: the body
	// arrives whole but is not valid JSON. An answer without a body (204)
	// is dropped as with FaultDropResponse.
	FaultTruncated FaultMode = "truncated"
	// FaultSlow waits Faults.Delay (real time, ended early when the client
	// goes away) and then serves the request normally.
	FaultSlow FaultMode = "slow"
	// FaultRateLimitBurst answers 429 with Retry-After: 0 and a fractional
	// X-RateLimit-Reset (0.05), to this and the next Faults.Burst-1
	// eligible requests.
	FaultRateLimitBurst FaultMode = "rate-limit-burst"
)

// FaultModes lists every fault mode.
func FaultModes() []FaultMode {
	return []FaultMode{FaultServerError, FaultBadGateway, FaultUnavailable, FaultHTML, FaultReset,
		FaultDropResponse, FaultTruncated, FaultSlow, FaultRateLimitBurst}
}

// Faults configures random fault injection. The decision for the n-th
// eligible request depends only on Seed and n, so the same seed and the same
// sequence of requests give the same faults.
type Faults struct {
	// Seed selects the sequence of faults.
	Seed int64
	// Rate is the fraction (0 to 1) of eligible requests that fail.
	Rate float64
	// Modes are the modes to choose from, evenly; empty means all.
	Modes []FaultMode
	// Operations are the operations whose requests are eligible; empty
	// means all.
	Operations []Operation
	// Delay is how long FaultSlow waits; zero means 50ms. At most 10s.
	Delay time.Duration
	// Burst is the number of 429 answers in a FaultRateLimitBurst,
	// counting the first; zero means 3.
	Burst int
}

func (f Faults) check() error {
	if f.Rate < 0 || f.Rate > 1 {
		return fmt.Errorf("byoktest: Faults.Rate must be between 0 and 1, got %v", f.Rate)
	}
	for _, m := range f.Modes {
		if !slices.Contains(FaultModes(), m) {
			return fmt.Errorf("byoktest: unknown fault mode %q: want one of %v", m, FaultModes())
		}
	}
	for _, op := range f.Operations {
		if !op.valid() {
			return fmt.Errorf("byoktest: unknown operation %q: want one of %v", op, Operations())
		}
	}
	if f.Delay < 0 || f.Delay > 10*time.Second {
		return fmt.Errorf("byoktest: Faults.Delay must be between 0 and 10s, got %s", f.Delay)
	}
	if f.Burst < 0 {
		return fmt.Errorf("byoktest: Faults.Burst must not be negative, got %d", f.Burst)
	}
	return nil
}

func (f Faults) delay() time.Duration {
	if f.Delay == 0 {
		return 50 * time.Millisecond
	}
	return f.Delay
}

// forced is a FailNext entry.
type forced struct {
	mode FaultMode
	left int
	ops  []Operation
}

// faultState decides the fault of each request.
type faultState struct {
	mu        sync.Mutex
	f         Faults
	n         uint64 // eligible requests seen
	burstLeft int
	next      []forced
	respond   map[Operation][]int
}

func newFaultState(f Faults) *faultState {
	return &faultState{f: f, respond: map[Operation][]int{}}
}

// decision is what happens to one request: a fault, or a forced status.
type decision struct {
	mode   FaultMode
	status int
}

func (s *faultState) decide(op Operation) decision {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range s.next {
		e := &s.next[i]
		if len(e.ops) > 0 && !slices.Contains(e.ops, op) {
			continue
		}
		mode := e.mode
		if e.left--; e.left == 0 {
			s.next = slices.Delete(s.next, i, i+1)
		}
		return decision{mode: mode}
	}
	if q := s.respond[op]; len(q) > 0 {
		s.respond[op] = q[1:]
		return decision{status: q[0]}
	}
	f := s.f
	if f.Rate == 0 || (len(f.Operations) > 0 && !slices.Contains(f.Operations, op)) {
		return decision{}
	}
	i := s.n
	s.n++
	if s.burstLeft > 0 {
		s.burstLeft--
		return decision{mode: FaultRateLimitBurst}
	}
	h := splitmix(uint64(f.Seed) ^ splitmix(i))
	if float64(h>>11)/(1<<53) >= f.Rate {
		return decision{}
	}
	modes := f.Modes
	if len(modes) == 0 {
		modes = FaultModes()
	}
	mode := modes[splitmix(h)%uint64(len(modes))]
	if mode == FaultRateLimitBurst {
		burst := f.Burst
		if burst == 0 {
			burst = 3
		}
		s.burstLeft = burst - 1
	}
	return decision{mode: mode}
}

// splitmix is the SplitMix64 finaliser: a good 64-bit mix.
func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}

// SetFaults replaces the random fault configuration and restarts its
// sequence (the next eligible request is the first). Faults{} turns random
// faults off; FailNext and RespondNext entries are kept.
func (s *Server) SetFaults(f Faults) error {
	if err := f.check(); err != nil {
		return err
	}
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	s.faults.f, s.faults.n, s.faults.burstLeft = f, 0, 0
	return nil
}

// FailNext makes the next n requests for one of ops (any operation when ops
// is empty) fail with mode, before any random fault.
func (s *Server) FailNext(n int, mode FaultMode, ops ...Operation) error {
	if n < 1 {
		return fmt.Errorf("byoktest: FailNext: n must be at least 1, got %d", n)
	}
	if err := (Faults{Modes: []FaultMode{mode}, Operations: ops}).check(); err != nil {
		return fmt.Errorf("byoktest: FailNext: %w", err)
	}
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	s.faults.next = append(s.faults.next, forced{mode: mode, left: n, ops: slices.Clone(ops)})
	return nil
}

// RespondNext makes the next request for op answer status, one of the error
// statuses the API documents for op, with a spec-valid Failure body and
// headers (Retry-After on 429, WWW-Authenticate on 401) and without applying
// it. Unlike a fault it carries no FaultHeader: the contract validator
// checks it. Calls queue up, one answer each.
func (s *Server) RespondNext(op Operation, status int) error {
	if !slices.Contains(documentedErrors(op), status) {
		return fmt.Errorf("byoktest: RespondNext: %s does not document status %d (it documents %v)", op, status, documentedErrors(op))
	}
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	s.faults.respond[op] = append(s.faults.respond[op], status)
	return nil
}

// documentedErrors lists the error statuses op documents.
func documentedErrors(op Operation) []int {
	switch op {
	case OpList:
		return []int{400, 401, 403, 429, 500}
	case OpCreate:
		return []int{400, 401, 402, 403, 409, 422, 429, 500}
	case OpGet, OpDelete:
		return []int{400, 401, 403, 404, 429, 500}
	case OpUpdate:
		return []int{400, 401, 402, 403, 404, 409, 422, 429, 500}
	}
	return nil
}

// burstReset is the X-RateLimit-Reset of a FaultRateLimitBurst answer.
const burstReset = "0.05"

const htmlPage = `<!DOCTYPE html>
<html>
<head><title>502 Bad Gateway</title></head>
<body>
<center><h1>502 Bad Gateway</h1></center>
<hr><center>byoktest proxy</center>
</body>
</html>
`

// before breaks the exchange for the modes that act before the request is
// handled. It reports whether the exchange is over.
func (s *Server) before(w http.ResponseWriter, r *http.Request, mode FaultMode, rt rate, onAbort func()) bool {
	if mode == "" || mode == FaultDropResponse || mode == FaultTruncated {
		return false
	}
	w.Header().Set(FaultHeader, string(mode))
	switch mode {
	case FaultSlow:
		// Read the body first: the server notices a client that goes away
		// (and cancels the context) only once the body has been read.
		if r.Body != nil {
			b, err := io.ReadAll(io.LimitReader(r.Body, s.cfg.bodyLimit+1))
			r.Body = readCloser{io.MultiReader(bytes.NewReader(b), errReader{err}), r.Body}
		}
		t := time.NewTimer(s.faults.delayOf())
		defer t.Stop()
		select {
		case <-t.C:
			return false
		case <-r.Context().Done():
			return true
		}
	case FaultReset:
		onAbort()
		abort(w, true)
	case FaultServerError:
		rt.set(w.Header())
		fail(w, http.StatusInternalServerError, serverErrorProblem())
	case FaultBadGateway:
		plain(w, http.StatusBadGateway, "text/plain; charset=utf-8", "502 Bad Gateway\n")
	case FaultUnavailable:
		plain(w, http.StatusServiceUnavailable, "text/plain; charset=utf-8", "503 Service Unavailable\n")
	case FaultHTML:
		plain(w, http.StatusBadGateway, "text/html; charset=utf-8", htmlPage)
	case FaultRateLimitBurst:
		// The one answer with a fractional reset: clients must cope
		// with one, and the FaultHeader exempts it from the spec.
		rt.remaining = 0
		rt.set(w.Header())
		w.Header().Set("X-RateLimit-Reset", burstReset)
		w.Header().Set("Retry-After", "0")
		fail(w, http.StatusTooManyRequests, tooManyProblem())
	}
	return true
}

func (s *faultState) delayOf() time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.f.delay()
}

// readCloser reads from one reader and closes another.
type readCloser struct {
	io.Reader
	io.Closer
}

// errReader fails every read with err, or reports EOF when err is nil.
type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	return 0, io.EOF
}

func plain(w http.ResponseWriter, status int, contentType, body string) {
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Length", fmt.Sprint(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write([]byte(body))
}

// abort closes the connection without an answer: with a TCP reset when
// reset is true, else with an orderly close. When the connection cannot be
// hijacked (HTTP/2), the handler panics with http.ErrAbortHandler, which
// makes the server reset the stream.
func abort(w http.ResponseWriter, reset bool) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	if tc, ok := conn.(interface{ SetLinger(int) error }); ok && reset {
		_ = tc.SetLinger(0)
	}
	_ = conn.Close()
}

// buffer holds a handler's answer so that a fault can break it afterwards.
// The headers go straight to the real writer.
type buffer struct {
	w      http.ResponseWriter
	status int
	body   []byte
}

func (b *buffer) Header() http.Header { return b.w.Header() }

func (b *buffer) WriteHeader(status int) {
	if b.status == 0 {
		b.status = status
	}
}

func (b *buffer) Write(p []byte) (int, error) {
	if b.status == 0 {
		b.status = http.StatusOK
	}
	b.body = append(b.body, p...)
	return len(p), nil
}

// after breaks an answer the handler wrote into b, for FaultDropResponse and
// FaultTruncated. It returns the status the client saw (0 for none).
func after(w http.ResponseWriter, b *buffer, mode FaultMode, onAbort func()) int {
	w.Header().Set(FaultHeader, string(mode))
	if mode == FaultTruncated && len(b.body) >= 2 {
		cut := b.body[:len(b.body)/2]
		w.Header().Set("Content-Length", fmt.Sprint(len(cut)))
		w.WriteHeader(b.status)
		_, _ = w.Write(cut)
		return b.status
	}
	onAbort()
	abort(w, false)
	return 0
}
