package main

import (
	"context"

	"github.com/spf13/cobra"
)

// describeOptions are the flags and arguments of byokctl describe.
type describeOptions struct {
	id string
}

// newDescribeCmd builds byokctl describe: it parses the arguments into
// describeOptions and calls runF with them (runDescribe, or a test's fake).
// (errtext.go holds the renderer of errors, describe.)
func newDescribeCmd(rt *runtime, runF func(context.Context, *runtime, describeOptions) error) *cobra.Command {
	return withFormats(&cobra.Command{
		Use:   "describe ID",
		Short: "Show one key and what to grant Confluent Cloud for it",
		Long: `Show one key as confluent byok describe does: the key's table on stdout
(with its principals, and its validation's since and message), then on
stderr what to grant Confluent Cloud in the key's cloud (see byokctl grants).

-o json and -o yaml print the key alone, as byokctl get does: get is the one
for scripts.`,
		Example:           "  byokctl describe cck-12345",
		Args:              oneID,
		ValidArgsFunction: keyIDCompletion(rt),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runF(cmd.Context(), rt, describeOptions{id: args[0]})
		},
	}, formatHuman, formatJSON, formatYAML)
}

// runDescribe prints key o.id and, in the table format, what to grant for
// it.
func runDescribe(ctx context.Context, rt *runtime, o describeOptions) error {
	key, err := getKey(ctx, rt, o.id)
	if err != nil {
		return err
	}
	if err := printKey(rt, *key); err != nil {
		return err
	}
	if !structured(rt) {
		printGrantsHint(rt, *key)
	}
	return nil
}
