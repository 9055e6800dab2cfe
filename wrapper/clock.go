package wrapper

import (
	"context"
	"time"
)

// Clock is the time source of retry back-off and WaitForValidation polling.
// The default uses real time; tests pass their own with WithClock so that
// nothing really sleeps.
//
// Context deadlines are always compared with real time (time.Until): a
// Clock decides how long a wait lasts, not when a context expires.
type Clock interface {
	// Now returns the current time.
	Now() time.Time
	// Sleep waits for d, or until ctx is done, in which case it returns
	// ctx.Err().
	Sleep(ctx context.Context, d time.Duration) error
}

// RealClock is the Clock of real time, the default. A Clock that adds to
// real time (one that logs or counts its waits) calls it.
type RealClock struct{}

// Now returns time.Now().
func (RealClock) Now() time.Time { return time.Now() }

// Sleep waits for d on a timer, or until ctx is done.
func (RealClock) Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
