package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
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
	var apiErr *wrapper.APIError
	if errors.As(err, &apiErr) {
		// What the library says in front of the answer (a call that gave
		// up retrying: after how many attempts, and why) is kept.
		before, found := strings.CutSuffix(err.Error(), strings.TrimPrefix(apiErr.Error(), "byok: "))
		if before = strings.TrimPrefix(before, "byok: "); found && before != "" {
			return clean(before) + " " + describeAPIError(apiErr)
		}
		return describeAPIError(apiErr)
	}
	return clean(strings.TrimPrefix(err.Error(), "byok: "))
}

func describeAPIError(e *wrapper.APIError) string {
	var b strings.Builder
	b.WriteString(e.Method + " " + e.Path + ": " + strconv.Itoa(e.StatusCode))
	if text := http.StatusText(e.StatusCode); text != "" {
		b.WriteString(" " + text)
	}
	details := make([]string, 0, len(e.Errors))
	for _, d := range e.Errors {
		if strings.EqualFold(d.Title, http.StatusText(e.StatusCode)) && d.Detail != "" {
			d.Title = "" // "404 Not Found: Not Found: ..." says it twice
		}
		if s := d.String(); s != "" {
			details = append(details, s)
		}
	}
	// A body that only repeats the status ("503 Service Unavailable") says
	// nothing new.
	if body := strings.TrimSpace(e.Body); len(details) == 0 && body != "" && !repeatsStatus(body, e.StatusCode) {
		details = append(details, e.Body)
	}
	if len(details) > 0 {
		b.WriteString(": " + strings.Join(details, "; "))
	}
	if e.RetryAfter > 0 {
		b.WriteString(" (retry after " + e.RetryAfter.String() + ")")
	}
	if e.RequestID != "" {
		b.WriteString(" (request id " + e.RequestID + ")")
	}
	return clean(b.String())
}

// repeatsStatus reports whether s is only the status line of code, with or
// without the number: "503 Service Unavailable" or "Service Unavailable".
func repeatsStatus(s string, code int) bool {
	text := http.StatusText(code)
	return text != "" && (strings.EqualFold(s, text) || strings.EqualFold(s, strconv.Itoa(code)+" "+text))
}

// explainDeadline turns a context error into a message that says what to
// do: a command that ran out of time names its time limit and the flag that
// sets it; an interrupted command says so.
func explainDeadline(err error, limit time.Duration) error {
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return &hinted{fmt.Sprintf("gave up after %s (set a longer --timeout)", limit), err}
	case errors.Is(err, context.Canceled):
		return &hinted{"interrupted", err}
	}
	return err
}

// hinted is an error with a hint in front of its message.
type hinted struct {
	hint string
	err  error
}

func (h *hinted) Error() string { return h.hint + ": " + strings.TrimPrefix(h.err.Error(), "byok: ") }
func (h *hinted) Unwrap() error { return h.err }
