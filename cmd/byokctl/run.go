package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"
)

// run executes byokctl with the arguments args (without the program name)
// and returns the exit status. It prints errors itself: one line for a
// failure, the error and a hint to the help for a usage error.
func run(ctx context.Context, args []string, sys *system) int {
	root := newRootCmd(sys)
	if args == nil {
		args = []string{} // cobra reads os.Args for nil: never let it
	}
	root.SetArgs(providerInAnyCase(root, args))
	cmd, err := root.ExecuteContextC(ctx)
	code := exitCode(err)
	if err != nil {
		report(sys, cmd, err, code)
	}
	return code
}

// report prints err on stderr.
func report(sys *system, cmd *cobra.Command, err error, code int) {
	var silent *silentFailure
	if errors.As(err, &silent) {
		return
	}
	_, _ = fmt.Fprintf(sys.stderr, "byokctl: %s\n", describe(err))
	if code == exitUsage {
		path := "byokctl"
		if cmd != nil {
			path = cmd.CommandPath()
		}
		_, _ = fmt.Fprintf(sys.stderr, "Run '%s --help' for usage.\n", path)
	}
}
