package main

import (
	"errors"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// refuseGlobalFlags makes cmd take only its own flags: every flag of global
// that cmd does not define itself is shadowed, for cmd only, by a hidden
// flag that refuses any value. The help and the completion of cmd then show
// only its own flags, and a global flag given to it is a usage error rather
// than a flag accepted and ignored.
func refuseGlobalFlags(cmd *cobra.Command, global *pflag.FlagSet) {
	global.VisitAll(func(g *pflag.Flag) {
		if cmd.Flags().Lookup(g.Name) != nil {
			return // cmd's own flag of that name
		}
		cmd.Flags().AddFlag(&pflag.Flag{
			Name:        g.Name,
			Shorthand:   g.Shorthand,
			Usage:       g.Usage,
			Value:       refusedFlag{command: cmd},
			NoOptDefVal: g.NoOptDefVal, // a bool flag given alone is refused too
			Hidden:      true,
		})
	})
}

// refusedFlag is the value of a flag that a command does not take.
type refusedFlag struct{ command *cobra.Command }

func (refusedFlag) String() string { return "" }
func (refusedFlag) Type() string   { return "" }
func (refusedFlag) Set(string) error {
	return errors.New("not a flag of this command")
}

// refusedFlagError is the usage error of a flag of refuseGlobalFlags.
func refusedFlagError(name string, r refusedFlag) error {
	return usagef("%s has no --%s flag", r.command.CommandPath(), name)
}
