package main

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/byokctl/byok/wrapper"
)

func newGetCmd(g *globals) *cobra.Command {
	return withFormats(&cobra.Command{
		Use:               "get ID",
		Short:             "Show one key",
		Example:           "  byokctl get cck-12345 -o yaml",
		Args:              oneID,
		ValidArgsFunction: g.completeKeyIDs,
		RunE: func(cmd *cobra.Command, args []string) error {
			key, err := g.getKey(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			return g.printKey(*key)
		},
	}, formatTable, formatJSON, formatYAML)
}

// getKey reads key id with a client from the flags, within --timeout.
func (g *globals) getKey(ctx context.Context, id string) (*wrapper.Key, error) {
	client, err := g.newClient()
	if err != nil {
		return nil, err
	}
	ctx, cancel, limit := g.withTimeout(ctx, defaultTimeout)
	defer cancel()
	key, _, err := client.GetKey(ctx, id)
	if err != nil {
		return nil, explainDeadline(err, limit)
	}
	return key, nil
}
