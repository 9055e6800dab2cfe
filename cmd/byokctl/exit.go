package main

import (
	"errors"
	"fmt"
)

// Exit statuses of byokctl.
const (
	exitOK      = 0 // the command did what was asked
	exitFailure = 1 // the API refused, an operation failed or timed out
	exitUsage   = 2 // the command line was wrong; nothing was sent
	// exitUnhealthy: check found an unhealthy key, or grants --check a key
	// policy that misses a grant Confluent Cloud needs (which makes the key
	// unhealthy). 3 is diff's exitDrift.
	exitUnhealthy = 4
)

// usageError is a mistake on the command line: an unknown flag, a missing
// argument, a value outside a flag's accepted values. byokctl prints it with
// a hint to the command's help and exits with exitUsage.
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

// usagef returns a usageError with a formatted message.
func usagef(format string, args ...any) error {
	return &usageError{fmt.Errorf(format, args...)}
}

// failure is an error met while a command ran (the API answered with an
// error, the network failed, a key went INVALID). byokctl exits with
// exitFailure for it.
type failure struct{ err error }

func (e *failure) Error() string { return e.err.Error() }
func (e *failure) Unwrap() error { return e.err }

// silentFailure is a failure whose details the command already printed (one
// line per id in delete); run prints nothing more for it.
type silentFailure struct{ msg string }

func (e *silentFailure) Error() string { return e.msg }

// statusError is a command's answer that is neither success nor failure,
// with an exit status of its own: diff's changes pending (exitDrift),
// check's unhealthy keys and grants --check's missing grant (exitUnhealthy).
// Its message is printed as a failure's.
type statusError struct {
	msg    string
	status int
}

func (e *statusError) Error() string   { return e.msg }
func (e *statusError) exitStatus() int { return e.status }

// exitCode maps an error returned by the command tree to an exit status.
// Errors a command returned while running are failures; everything else
// cobra reports (unknown commands, flag and argument errors) is a usage error.
func exitCode(err error) int {
	var u *usageError
	var f *failure
	var s interface{ exitStatus() int } // an error with an exit status of its own
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &s):
		return s.exitStatus()
	case errors.As(err, &u):
		return exitUsage
	case errors.As(err, &f):
		return exitFailure
	default:
		return exitUsage
	}
}

// isUsage reports whether err is (or wraps) a usageError.
func isUsage(err error) bool {
	var u *usageError
	return errors.As(err, &u)
}
