package main

import (
	"github.com/spf13/cobra"
)

func newGetCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:     "get ID",
		Short:   "Show one key",
		Example: "  byokctl get cck-12345 -o yaml",
		Args:    oneID,
		RunE: func(cmd *cobra.Command, args []string) error {
			client, err := g.newClient()
			if err != nil {
				return err
			}
			ctx, cancel, limit := g.withTimeout(cmd.Context(), defaultTimeout)
			defer cancel()
			key, _, err := client.GetKey(ctx, args[0])
			if err != nil {
				return explainDeadline(err, limit)
			}
			return g.printKey(*key)
		},
	}
}
