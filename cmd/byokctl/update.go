package main

import (
	"strings"

	"github.com/spf13/cobra"

	"github.com/byokctl/byok/wrapper"
)

func newUpdateCmd(rt *runtime) *cobra.Command {
	var name string
	cmd := &cobra.Command{
		Use:               "update ID --display-name NAME",
		Short:             "Rename a key (the display name is the only field that can change)",
		Example:           `  byokctl update cck-12345 --display-name "Key for billing cluster"`,
		Args:              oneID,
		ValidArgsFunction: keyIDCompletion(rt),
		RunE: func(cmd *cobra.Command, args []string) error {
			if strings.TrimSpace(name) == "" {
				return usagef("--display-name is empty; give the new name of the key")
			}
			client, err := rt.newClient()
			if err != nil {
				return err
			}
			ctx, cancel, limit := rt.withTimeout(cmd.Context(), defaultTimeout)
			defer cancel()
			key, _, err := client.UpdateKey(ctx, args[0], wrapper.UpdateKeyRequest{DisplayName: name})
			if err != nil {
				return explainDeadline(err, limit)
			}
			return printKey(rt, *key)
		},
	}
	cmd.Flags().StringVar(&name, "display-name", "", "the new display name (required)")
	_ = cmd.MarkFlagRequired("display-name")
	return withFormats(cmd, formatTable, formatJSON, formatYAML)
}
