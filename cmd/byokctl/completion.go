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

// keyIDCompletion completes key ids from the first page of the key list,
// each with its display name as the description. A command that takes one
// id gets none after the first; a command that takes several gets none of
// those already given. On any error nothing is offered.
func keyIDCompletion(rt *runtime) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
		return completeKeyIDs(cmd.Context(), rt, cmd.Name() == "delete", args)
	}
}

// completeKeyIDs returns the completions of keyIDCompletion; several says
// whether the command takes several ids.
func completeKeyIDs(ctx context.Context, rt *runtime, several bool, args []string) ([]cobra.Completion, cobra.ShellCompDirective) {
	const none = cobra.ShellCompDirectiveNoFileComp
	if len(args) > 0 && !several {
		return nil, none
	}
	client, err := rt.newClient()
	if err != nil {
		return nil, none
	}
	ctx, cancel := context.WithTimeout(ctx, completionTimeout)
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
