package testkit

import (
	"context"
	"sync"
	"time"
)

// Epoch is where every Clock starts: 2024-03-20T15:30:00Z.
func Epoch() time.Time { return time.Date(2024, 3, 20, 15, 30, 0, 0, time.UTC) }

// Clock is a clock for tests: Sleep returns at once, advancing the time by
// the wait and recording it, so that no test really sleeps. It satisfies
// wrapper.Clock, and its Now method serves as byoktest.WithClock's clock. It
// is safe for concurrent use.
type Clock struct {
	mu     sync.Mutex
	now    time.Time
	sleeps []time.Duration
}

// NewClock returns a Clock at Epoch.
func NewClock() *Clock { return NewClockAt(Epoch()) }

// NewClockAt returns a Clock at t.
func NewClockAt(t time.Time) *Clock { return &Clock{now: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Sleep records d and advances the clock by it, unless ctx is already done.
func (c *Clock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sleeps = append(c.sleeps, d)
	c.now = c.now.Add(d)
	return nil
}

// Advance moves the clock forward by d without recording a wait.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// Sleeps returns the waits asked of the clock, in order.
func (c *Clock) Sleeps() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.sleeps...)
}
