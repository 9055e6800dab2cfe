package main

import (
	"context"
	"fmt"
	"time"

	"github.com/byokctl/byok/wrapper"
)

// runtime is what every command needs, and only that: the streams, a client
// factory, the clock, and a context bounded by --timeout. newRootCmd builds
// one per run; a test builds its own (see newTestRuntime) and calls a run
// function without cobra.
//
// How a command is written (update.go is the smallest example):
//
//  1. One file named after the command (update.go) holds all of it.
//  2. updateOptions holds the command's flags and arguments, nothing else.
//  3. newUpdateCmd(rt, runF) builds the cobra command. Its RunE only fills
//     an updateOptions from the flags and arguments and calls
//     runF(cmd.Context(), rt, opts); usage checks of the flags go there too.
//  4. runUpdate(ctx, rt, opts) does the work. rt.call(ctx, defaultTimeout,
//     func(ctx, client) error {...}) hands it a client and a context bounded
//     by --timeout, and explains a deadline; output goes through rt (stdout,
//     stderr, -o: printKey, rt.infof).
//  5. Flag test: parseFlags(t, newUpdateCmd, args...) runs the command with
//     a fake runF and returns the options (TestCommandFlags). Behaviour
//     test: call runUpdate with newTestRuntime and the fake server
//     (TestRunFunctionsWithoutCobra); transcripts go through run as before.
//  6. What two commands share lives in a file of its own (keytable.go,
//     grantshint.go, grantset.go, confirm.go, keylisting.go), never inside
//     another command's file.
//  7. Register it in newRootCmd: newUpdateCmd(rt, runUpdate).
type runtime struct {
	// sys holds the streams (stdin, stdout, stderr and whether each is a
	// terminal) and the seams of the process (listen, test hooks).
	sys *system
	// clock is real time (wrapper.RealClock) unless a test gives its own.
	clock wrapper.Clock
	// newClient is the client factory: the API client from the global
	// flags and the environment, with extra options.
	newClient func(extra ...wrapper.Option) (*wrapper.Client, error)
	// timeout is --timeout, zero when not given (withTimeout).
	timeout time.Duration
	// output is -o, the format of stdout.
	output *enumFlag
}

// Time limits of a command when --timeout is not given.
const (
	defaultTimeout     = time.Minute      // one request or one listing
	defaultWaitTimeout = 10 * time.Minute // wait, create --wait, delete --wait, apply
)

// call runs f with a client and a context bounded by --timeout (or def when
// it was not given), and explains a deadline or an interruption in the
// error f returns (explainDeadline). It is the one place where a command
// gets its client and its time limit.
func (rt *runtime) call(ctx context.Context, def time.Duration, f func(context.Context, *wrapper.Client) error) error {
	client, err := rt.newClient()
	if err != nil {
		return err
	}
	return rt.within(ctx, def, func(ctx context.Context) error { return f(ctx, client) })
}

// within runs f with a context bounded by --timeout (or def), and explains a
// deadline or an interruption in the error f returns: call without the
// client, for a command that has one already or needs none (the KMS).
func (rt *runtime) within(ctx context.Context, def time.Duration, f func(context.Context) error) error {
	ctx, cancel, limit := rt.withTimeout(ctx, def)
	defer cancel()
	return explainDeadline(f(ctx), limit)
}

// withTimeout bounds ctx by --timeout, or by def when it was not given. It
// returns the limit, for the messages of a command that waits (call uses it).
func (rt *runtime) withTimeout(ctx context.Context, def time.Duration) (context.Context, context.CancelFunc, time.Duration) {
	limit := rt.limit(def)
	ctx, cancel := context.WithTimeout(ctx, limit)
	return ctx, cancel, limit
}

// limit is the time limit of a command: --timeout, or def when it was not
// given.
func (rt *runtime) limit(def time.Duration) time.Duration {
	if rt.timeout > 0 {
		return rt.timeout
	}
	return def
}

// errorf prints one message line on stderr, prefixed with "byokctl: ".
func (rt *runtime) errorf(format string, args ...any) {
	_, _ = fmt.Fprintf(rt.sys.stderr, "byokctl: "+format+"\n", args...)
}

// infof prints one message line on stderr.
func (rt *runtime) infof(format string, args ...any) {
	_, _ = fmt.Fprintf(rt.sys.stderr, format+"\n", args...)
}

// canAsk reports whether there is a terminal to ask a question on.
func (rt *runtime) canAsk() bool {
	return rt.sys.isTerminal(rt.sys.stdin) && rt.sys.isTerminal(rt.sys.stderr)
}
