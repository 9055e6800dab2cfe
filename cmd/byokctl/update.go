package main

import (
	"strings"

	"github.com/spf13/cobra"

	"github.com/byokctl/byok/wrapper"
)

func newUpdateCmd(g *globals) *cobra.Command {
	var name string
	cmd := &cobra.Command{
		Use:               "update ID --display-name NAME",
		Short:             "Rename a key (the display name is the only field that can change)",
		Example:           `  byokctl update cck-12345 --display-name "Key for billing cluster"`,
		Args:              oneID,
		ValidArgsFunction: g.completeKeyIDs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if strings.TrimSpace(name) == "" {
				return usagef("--display-name is empty; give the new name of the key")
			}
			client, err := g.newClient()
			if err != nil {
				return err
			}
			ctx, cancel, limit := g.withTimeout(cmd.Context(), defaultTimeout)
			defer cancel()
			key, _, err := client.UpdateKey(ctx, args[0], wrapper.UpdateKeyRequest{DisplayName: name})
			if err != nil {
				return explainDeadline(err, limit)
			}
			return g.printKey(*key)
		},
	}
	cmd.Flags().StringVar(&name, "display-name", "", "the new display name (required)")
	_ = cmd.MarkFlagRequired("display-name")
	return withFormats(cmd, formatTable, formatJSON, formatYAML)
}
