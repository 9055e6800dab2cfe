package testkit

import (
	"fmt"
	"sync"
)

// Reporter collects the messages a validator reports (it satisfies
// contract.Reporter), so that a test can look at them instead of failing. It
// is safe for concurrent use.
type Reporter struct {
	mu   sync.Mutex
	msgs []string
}

// Helper does nothing; it is there to satisfy the interface.
func (r *Reporter) Helper() {}

// Errorf records one message.
func (r *Reporter) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.msgs = append(r.msgs, fmt.Sprintf(format, args...))
}

// Messages returns the messages recorded so far.
func (r *Reporter) Messages() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.msgs...)
}

// Reset forgets the messages recorded so far.
func (r *Reporter) Reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.msgs = nil
}
