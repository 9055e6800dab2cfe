package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
)

// run executes byokctl with the arguments args (without the program name)
// and returns the exit status. It prints errors itself: one line for a
// failure, the error and a hint to the help for a usage error. When ctx was
// cancelled by a signal (its cause is an *interruption) and the command
// failed for it, the status is that of the signal and one line says the
// command was interrupted. A command whose normal end the signal is (serve
// and exporter, which shut down cleanly on it) returns nil and exits 0.
func run(ctx context.Context, args []string, sys *system) int {
	root := newRootCmd(sys)
	if args == nil {
		args = []string{} // cobra reads os.Args for nil: never let it
	}
	root.SetArgs(providerInAnyCase(root, args))
	cmd, err := root.ExecuteContextC(ctx)
	var intr *interruption
	if errors.As(context.Cause(ctx), &intr) && err != nil {
		reportInterruption(sys, err, intr)
		return intr.exitStatus()
	}
	code := exitCode(err)
	if err != nil {
		report(sys, cmd, err, code)
	}
	return code
}

// interruption is the cause of the cancellation of a command's context by a
// signal. It is a context.Canceled, so that what looks for one finds it.
type interruption struct{ sig syscall.Signal }

func (e *interruption) Error() string   { return signalName(e.sig) + " received" }
func (e *interruption) Unwrap() error   { return context.Canceled }
func (e *interruption) exitStatus() int { return 128 + int(e.sig) } // as shells report a signal

// signalName is the usual name of sig: SIGINT, SIGTERM.
func signalName(sig syscall.Signal) string {
	switch sig {
	case syscall.SIGINT:
		return "SIGINT"
	case syscall.SIGTERM:
		return "SIGTERM"
	}
	return sig.String()
}

// reportInterruption prints the one line of a command stopped by intr. The
// command's error, when it says more than that it was stopped (what apply
// did and did not do, a create whose outcome is unknown), follows on the
// same line. A silent failure has said it all (delete's line per key, the
// line of a command the demo ran).
func reportInterruption(sys *system, err error, intr *interruption) {
	var silent *silentFailure
	if errors.As(err, &silent) {
		return
	}
	msg := "byokctl: interrupted by " + signalName(intr.sig)
	if err != nil {
		// explainDeadline's "interrupted" hint is said already; the signal's
		// own text adds nothing.
		detail := strings.TrimPrefix(describe(err), "interrupted: ")
		detail = strings.TrimPrefix(detail, "interrupted, ")
		detail = strings.TrimPrefix(detail, context.Canceled.Error()+", ")
		detail = strings.TrimSuffix(detail, ": "+intr.Error())
		detail = strings.TrimSuffix(detail, ": "+context.Canceled.Error())
		if detail != "" && detail != intr.Error() && detail != context.Canceled.Error() {
			msg += ": " + detail
		}
	}
	_, _ = fmt.Fprintln(sys.stderr, msg)
}

// report prints err on stderr.
func report(sys *system, cmd *cobra.Command, err error, code int) {
	var silent *silentFailure
	if errors.As(err, &silent) {
		return
	}
	for _, line := range describeLines(err) {
		_, _ = fmt.Fprintf(sys.stderr, "byokctl: %s\n", line)
	}
	if code == exitUsage {
		path := "byokctl"
		if cmd != nil {
			path = cmd.CommandPath()
			if s := suggestion(cmd, err); s != "" {
				_, _ = fmt.Fprintln(sys.stderr, s)
			}
		}
		_, _ = fmt.Fprintf(sys.stderr, "Run '%s --help' for usage.\n", path)
	}
}

// suggestion returns, for cobra's error about an unknown command under cmd,
// the line naming the commands the user may have meant; else "".
func suggestion(cmd *cobra.Command, err error) string {
	var typed string
	if _, scanErr := fmt.Sscanf(err.Error(), "unknown command %q for", &typed); scanErr != nil {
		return ""
	}
	names := cmd.SuggestionsFor(typed)
	if len(names) == 0 {
		return ""
	}
	for i, name := range names {
		names[i] = cmd.CommandPath() + " " + name
	}
	return "Did you mean " + strings.Join(names, " or ") + "?"
}
