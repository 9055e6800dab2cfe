package main

import (
	"context"
	"slices"
	"time"

	"github.com/spf13/cobra"

	"github.com/byokctl/byok/wrapper"
)

// Completion of key ids lists the keys with one request: short enough that a
// slow server never hangs the shell.
const (
	completionTimeout = 3 * time.Second
	completionMax     = wrapper.MaxPageSize
)

// completeKeyIDs completes key ids from the first page of the key list,
// each with its display name as the description. A command that takes one
// id gets none after the first; a command that takes several gets none of
// those already given. On any error nothing is offered.
func (g *globals) completeKeyIDs(cmd *cobra.Command, args []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
	const none = cobra.ShellCompDirectiveNoFileComp
	if len(args) > 0 && cmd.Name() != "delete" {
		return nil, none
	}
	client, err := g.newClient()
	if err != nil {
		return nil, none
	}
	ctx, cancel := context.WithTimeout(cmd.Context(), completionTimeout)
	defer cancel()
	page, _, err := client.ListKeys(ctx, wrapper.ListKeysOptions{PageSize: completionMax})
	if err != nil {
		return nil, none
	}
	var out []cobra.Completion
	for _, k := range page.Keys {
		id := clean(k.ID)
		if id == "" || slices.Contains(args, id) {
			continue
		}
		out = append(out, cobra.CompletionWithDesc(id, clean(k.DisplayName)))
	}
	return out, none
}
