package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/byokctl/byok/wrapper"
)

func newDeleteCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "delete ID...",
		Short: "Delete keys",
		Long: `Delete one or more keys, one request per key, in the order given.

Each key gets one line: "deleted ID" on stdout, or the reason on stderr ("not
found" for a key that does not exist). The exit status is 1 when any delete
failed; the others are still attempted.`,
		Example: "  byokctl delete cck-12345 cck-67890",
		Args:    someIDs,
		RunE: func(cmd *cobra.Command, ids []string) error {
			client, err := g.newClient()
			if err != nil {
				return err
			}
			ctx, cancel, limit := g.withTimeout(cmd.Context(), defaultTimeout)
			defer cancel()
			failed := 0
			for _, id := range ids {
				_, err := client.DeleteKey(ctx, id)
				switch {
				case err == nil:
					_, _ = fmt.Fprintf(g.sys.stdout, "deleted %s\n", id)
					continue
				case errors.Is(err, wrapper.ErrNotFound):
					g.errorf("%s: not found", id)
				default:
					g.errorf("%s: %s", id, describe(explainDeadline(err, limit)))
				}
				failed++
			}
			if failed > 0 {
				return &silentFailure{fmt.Sprintf("%d of %d deletes failed", failed, len(ids))}
			}
			return nil
		},
	}
}
