package main

import (
	"strings"

	"github.com/spf13/cobra"
)

// noArgs refuses positional arguments.
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usagef("%s takes no arguments, got %q", cmd.CommandPath(), strings.Join(args, " "))
	}
	return nil
}

// oneID accepts exactly one non-empty key ID.
func oneID(cmd *cobra.Command, args []string) error {
	switch {
	case len(args) == 0:
		return usagef("missing the key ID (for example: %s cck-12345)", cmd.CommandPath())
	case len(args) > 1:
		return usagef("%s takes one key ID, got %d arguments", cmd.CommandPath(), len(args))
	}
	return nonEmptyIDs(args)
}

// someIDs accepts one or more non-empty key IDs.
func someIDs(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return usagef("missing the key IDs (for example: %s cck-12345 cck-67890)", cmd.CommandPath())
	}
	return nonEmptyIDs(args)
}

func nonEmptyIDs(ids []string) error {
	for i, id := range ids {
		if strings.TrimSpace(id) == "" {
			return usagef("key ID number %d is empty; IDs look like cck-12345", i+1)
		}
	}
	return nil
}

// unique returns ids without repeats, in their first order.
func unique(ids []string) []string {
	seen := make(map[string]bool, len(ids))
	out := ids[:0:0]
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}
