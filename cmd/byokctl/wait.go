package main

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/byokctl/byok/wrapper"
)

// waitOptions are the flags and arguments of byokctl wait.
type waitOptions struct {
	id string
}

// newWaitCmd builds byokctl wait: it parses the arguments into waitOptions
// and calls runF with them (runWait, or a test's fake).
func newWaitCmd(rt *runtime, runF func(context.Context, *runtime, waitOptions) error) *cobra.Command {
	return withFormats(&cobra.Command{
		Use:   "wait ID",
		Short: "Wait until a key's validation completes",
		Long: `Wait until the validation of a key completes, polling with back-off.

VALID: the key is printed on stdout and the exit status is 0.
INVALID: the server's message is printed on stderr and the exit status is 1.
The wait gives up after --timeout (default 10m) with exit status 1.
Progress is shown on stderr when it is a terminal.`,
		Example:           "  byokctl wait cck-12345 --timeout 15m",
		Args:              oneID,
		ValidArgsFunction: keyIDCompletion(rt),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runF(cmd.Context(), rt, waitOptions{id: args[0]})
		},
	}, formatHuman, formatJSON, formatYAML)
}

// runWait waits for the validation of key o.id and prints the valid key.
func runWait(ctx context.Context, rt *runtime, o waitOptions) error {
	var key *wrapper.Key
	err := rt.call(ctx, defaultWaitTimeout, func(ctx context.Context, client *wrapper.Client) (err error) {
		key, err = waitForValidation(ctx, rt, client, o.id)
		return err
	})
	if err != nil {
		return err
	}
	return printKey(rt, *key)
}

// waitForValidation waits for key id, showing progress on stderr when it is
// a terminal. A deadline is explained by the caller (rt.call).
func waitForValidation(ctx context.Context, rt *runtime, client *wrapper.Client, id string) (*wrapper.Key, error) {
	var opts []wrapper.WaitOption
	if p := rt.sys.pollInterval; p > 0 {
		opts = append(opts, wrapper.WithPollInterval(p, 4*p))
	}
	if rt.sys.isTerminal(rt.sys.stderr) {
		opts = append(opts, wrapper.WithProgress(func(p wrapper.WaitProgress) {
			rt.infof("%s", progressLine(p))
		}))
	}
	return client.WaitForValidation(ctx, id, opts...)
}

// progressLine describes one check of a wait, the server's words cleaned.
func progressLine(p wrapper.WaitProgress) string {
	line := clean(p.Key.ID) + ": " + clean(string(p.Key.Validation.Phase))
	if msg := clean(p.Key.Validation.Message); msg != "" {
		line += " (" + msg + ")"
	}
	line += fmt.Sprintf(", check %d after %s", p.Check, p.Elapsed.Round(100*time.Millisecond))
	if p.Next > 0 {
		line += fmt.Sprintf("; next check in %s", p.Next.Round(100*time.Millisecond))
	}
	return line
}
