package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/byokctl/byok/wrapper"
)

// describe returns err as one line for stderr, cleaned (see clean). An API
// error keeps everything the server said: the status, every error detail and
// the request id.
func describe(err error) string {
	var h *hinted
	if errors.As(err, &h) {
		return h.hint + ": " + describe(h.err)
	}
	var unknown *createOutcomeUnknown
	if errors.As(err, &unknown) {
		return unknown.describe()
	}
	// An API error renders itself (wrapper.APIError.Error): what the
	// library says in front of it (a call that gave up retrying: after how
	// many attempts, and why) is kept.
	return clean(strings.TrimPrefix(err.Error(), "byok: "))
}

// describeLines returns err as the lines for stderr: one per mistake of a
// keys file (fileErrors), else the one line of describe.
func describeLines(err error) []string {
	var mistakes fileErrors
	if !errors.As(err, &mistakes) {
		return []string{describe(err)}
	}
	lines := mistakes.lines()
	for i := range lines {
		lines[i] = clean(lines[i])
	}
	return lines
}

// explainDeadline turns a context error into a message that says what to
// do: a command that ran out of time, or whose retries stopped because the
// next wait would end after its time limit (wrapper.ErrNoTimeLeft), names
// its time limit and the flag that sets it; an interrupted command says so.
// An error explained already is returned as it is: the hint is said once.
func explainDeadline(err error, limit time.Duration) error {
	switch {
	case explained(err):
		return err
	case errors.Is(err, context.DeadlineExceeded):
		return &hinted{fmt.Sprintf("gave up after %s (set a longer --timeout)", limit), err, true}
	case errors.Is(err, wrapper.ErrNoTimeLeft):
		return &hinted{fmt.Sprintf("stopped retrying: the %s time limit left no time for the next attempt (set a longer --timeout)", limit), err, true}
	case errors.Is(err, context.Canceled):
		return &hinted{"interrupted", err, true}
	}
	return err
}

// explained reports whether err holds a hint of explainDeadline (or one
// like it) already.
func explained(err error) bool {
	for {
		var h *hinted
		if !errors.As(err, &h) {
			return false
		}
		if h.limit {
			return true
		}
		err = h.err
	}
}

// hinted is an error with a hint in front of its message.
type hinted struct {
	hint string
	err  error
	// limit: the hint is about the time limit or an interruption
	// (explainDeadline's), said once.
	limit bool
}

func (h *hinted) Error() string { return h.hint + ": " + strings.TrimPrefix(h.err.Error(), "byok: ") }
func (h *hinted) Unwrap() error { return h.err }
