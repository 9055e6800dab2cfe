package main

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/byokctl/byok/wrapper"
)

// getOptions are the flags and arguments of byokctl get.
type getOptions struct {
	id string
}

// newGetCmd builds byokctl get: it parses the arguments into getOptions and
// calls runF with them (runGet, or a test's fake).
func newGetCmd(rt *runtime, runF func(context.Context, *runtime, getOptions) error) *cobra.Command {
	return withFormats(&cobra.Command{
		Use:               "get ID",
		Short:             "Show one key",
		Example:           "  byokctl get cck-12345 -o yaml",
		Args:              oneID,
		ValidArgsFunction: keyIDCompletion(rt),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runF(cmd.Context(), rt, getOptions{id: args[0]})
		},
	}, formatHuman, formatJSON, formatYAML)
}

// runGet prints key o.id.
func runGet(ctx context.Context, rt *runtime, o getOptions) error {
	key, err := getKey(ctx, rt, o.id)
	if err != nil {
		return err
	}
	return printKey(rt, *key)
}

// getKey reads key id, within --timeout.
func getKey(ctx context.Context, rt *runtime, id string) (*wrapper.Key, error) {
	var key *wrapper.Key
	err := rt.call(ctx, defaultTimeout, func(ctx context.Context, client *wrapper.Client) (err error) {
		key, _, err = client.GetKey(ctx, id)
		return err
	})
	return key, err
}
