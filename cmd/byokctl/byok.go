package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

// newByokCmd builds byokctl byok, a hidden command for those who type the
// Confluent CLI's command group after byokctl (byokctl byok list): byokctl
// is that group itself. It runs nothing: it says so in one line that names
// the byokctl form of what was typed, and exits with the usage error's
// status (without the hint to its own help, which would say the same).
func newByokCmd() *cobra.Command {
	return &cobra.Command{
		Use:                "byok",
		Short:              "The commands of confluent byok are byokctl's own",
		Hidden:             true,
		DisableFlagParsing: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			form := "byokctl --help"
			if len(args) > 0 {
				form = "byokctl " + shellJoin(args)
			}
			_, _ = fmt.Fprintf(cmd.ErrOrStderr(), "byokctl: byokctl is confluent byok itself: drop the byok, %s\n", clean(form))
			return &saidUsage{silentFailure{"byok is no byokctl command"}}
		},
	}
}

// saidUsage is a usage error the command printed itself.
type saidUsage struct{ said silentFailure }

func (e *saidUsage) Error() string   { return e.said.msg }
func (e *saidUsage) Unwrap() error   { return &e.said }
func (e *saidUsage) exitStatus() int { return exitUsage }
