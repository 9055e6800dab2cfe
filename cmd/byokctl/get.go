package main

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/byokctl/byok/wrapper"
)

func newGetCmd(rt *runtime) *cobra.Command {
	return withFormats(&cobra.Command{
		Use:               "get ID",
		Short:             "Show one key",
		Example:           "  byokctl get cck-12345 -o yaml",
		Args:              oneID,
		ValidArgsFunction: keyIDCompletion(rt),
		RunE: func(cmd *cobra.Command, args []string) error {
			key, err := getKey(cmd.Context(), rt, args[0])
			if err != nil {
				return err
			}
			return printKey(rt, *key)
		},
	}, formatTable, formatJSON, formatYAML)
}

// getKey reads key id with a client from the flags, within --timeout.
func getKey(ctx context.Context, rt *runtime, id string) (*wrapper.Key, error) {
	client, err := rt.newClient()
	if err != nil {
		return nil, err
	}
	ctx, cancel, limit := rt.withTimeout(ctx, defaultTimeout)
	defer cancel()
	key, _, err := client.GetKey(ctx, id)
	if err != nil {
		return nil, explainDeadline(err, limit)
	}
	return key, nil
}
