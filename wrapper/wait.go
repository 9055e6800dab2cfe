package wrapper

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"
)

// The default polling of WaitForValidation (see WithPollInterval).
const (
	defaultPollInterval    = 2 * time.Second
	defaultMaxPollInterval = 30 * time.Second
)

// WaitOption configures WaitForValidation.
type WaitOption func(*waitOptions)

type waitOptions struct {
	initial, max time.Duration
	progress     func(WaitProgress)
}

// WithPollInterval sets the wait before the second check (initial, default
// 2s) and the longest wait between checks (max, default 30s); the wait
// doubles after every check, with up to 25% of random jitter. Values of zero
// or less keep the defaults.
func WithPollInterval(initial, max time.Duration) WaitOption {
	return func(o *waitOptions) {
		if initial > 0 {
			o.initial = initial
		}
		if max > 0 {
			o.max = max
		}
	}
}

// WithProgress calls fn after every check of the key, so that a program can
// show how validation goes.
func WithProgress(fn func(WaitProgress)) WaitOption {
	return func(o *waitOptions) { o.progress = fn }
}

// WaitProgress reports one check of WaitForValidation.
type WaitProgress struct {
	// Check counts the checks, from 1.
	Check int
	// Key is the key as the check found it.
	Key Key
	// Elapsed is the time since the wait began.
	Elapsed time.Duration
	// Next is the wait before the next check; zero after the last check.
	Next time.Duration
}

// ValidationError is the error of WaitForValidation when the key's
// validation failed (phase INVALID). It matches ErrKeyInvalid with errors.Is.
type ValidationError struct {
	// KeyID is the id of the key.
	KeyID string
	// Message is the server's validation message, such as "Access to key
	// denied.".
	Message string
	// Since is when the key became INVALID.
	Since time.Time
	// Key is the key as last read.
	Key Key
}

// Error returns one line with the key's id and the server's message, made
// printable as in APIError.Error (Message keeps it as the server sent it).
func (e *ValidationError) Error() string {
	msg := printable(e.Message)
	if msg == "" {
		msg = "the server gave no message"
	}
	return fmt.Sprintf("byok: key %s failed validation: %s", printableID(e.KeyID), msg)
}

// Is reports whether target is ErrKeyInvalid.
func (e *ValidationError) Is(target error) bool { return target == ErrKeyInvalid }

// WaitForValidation polls the key with back-off until its validation phase
// is VALID, and returns it; or INVALID, and returns a *ValidationError with
// the server's message (errors.Is(err, ErrKeyInvalid)). Other phases,
// including ones this version of the library does not know, mean "not yet".
//
// It honours ctx: when ctx ends, or when the next check would come after
// ctx's deadline, it returns at once with an error that wraps ctx's error
// and says which phase the key was last in. Errors of a check (after the
// Client's retries) are returned as they are.
func (c *Client) WaitForValidation(ctx context.Context, id string, opts ...WaitOption) (*Key, error) {
	o := waitOptions{initial: defaultPollInterval, max: defaultMaxPollInterval}
	for _, opt := range opts {
		if opt != nil {
			opt(&o)
		}
	}
	o.max = max(o.max, o.initial)
	if err := c.ready(ctx); err != nil {
		return nil, err
	}
	start := c.clock.Now()
	delay := o.initial
	var last *Key // the key as the previous check found it
	for check := 1; ; check++ {
		key, _, err := c.GetKey(ctx, id)
		if err != nil && last != nil && ctx.Err() != nil {
			return nil, waitError(id, last, check-1, err)
		}
		if err != nil {
			return nil, err
		}
		last = key
		progress := WaitProgress{Check: check, Key: *key, Elapsed: c.clock.Now().Sub(start)}
		switch key.Validation.Phase {
		case PhaseValid:
			o.report(progress)
			return key, nil
		case PhaseInvalid:
			o.report(progress)
			return nil, &ValidationError{KeyID: key.ID, Message: key.Validation.Message, Since: key.Validation.Since, Key: *key}
		}
		wait := delay - rand.N(delay/4+1)
		delay = min(delay*2, o.max)
		progress.Next = wait
		o.report(progress)
		if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) <= wait {
			return nil, waitError(id, key, check, context.DeadlineExceeded)
		}
		if err := c.clock.Sleep(ctx, wait); err != nil {
			return nil, waitError(id, key, check, err)
		}
	}
}

func (o *waitOptions) report(p WaitProgress) {
	if o.progress != nil {
		o.progress(p)
	}
}

func waitError(id string, key *Key, checks int, err error) error {
	if !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
		err = fmt.Errorf("waiting: %w", err)
	}
	// The phase may be one this library does not know, as the server sent
	// it: it is made printable like the server's words in APIError.Error.
	return fmt.Errorf("byok: wait for validation of key %s: still %s after %d checks: %w", printableID(id), printable(string(key.Validation.Phase)), checks, err)
}
