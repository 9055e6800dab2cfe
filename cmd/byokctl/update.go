package main

import (
	"context"
	"strings"

	"github.com/spf13/cobra"

	"github.com/byokctl/byok/wrapper"
)

// updateOptions are the flags and arguments of byokctl update.
type updateOptions struct {
	id   string
	name string // --display-name
}

// newUpdateCmd builds byokctl update: it parses the flags and arguments into
// updateOptions and calls runF with them (runUpdate, or a test's fake).
func newUpdateCmd(rt *runtime, runF func(context.Context, *runtime, updateOptions) error) *cobra.Command {
	var o updateOptions
	cmd := &cobra.Command{
		Use:               "update ID --display-name NAME",
		Short:             "Rename a key (the display name is the only field that can change)",
		Example:           `  byokctl update cck-12345 --display-name "Key for billing cluster"`,
		Args:              oneID,
		ValidArgsFunction: keyIDCompletion(rt),
		RunE: func(cmd *cobra.Command, args []string) error {
			if strings.TrimSpace(o.name) == "" {
				return usagef("--display-name is empty; give the new name of the key")
			}
			o.id = args[0]
			return runF(cmd.Context(), rt, o)
		},
	}
	cmd.Flags().StringVar(&o.name, "display-name", "", "the new display name (required)")
	_ = cmd.MarkFlagRequired("display-name")
	return withFormats(cmd, formatHuman, formatJSON, formatYAML)
}

// runUpdate renames key o.id and prints the key the server returned.
func runUpdate(ctx context.Context, rt *runtime, o updateOptions) error {
	var key *wrapper.Key
	err := rt.call(ctx, defaultTimeout, func(ctx context.Context, client *wrapper.Client) (err error) {
		key, _, err = client.UpdateKey(ctx, o.id, wrapper.UpdateKeyRequest{DisplayName: o.name})
		return err
	})
	if err != nil {
		return err
	}
	return printKey(rt, *key)
}
