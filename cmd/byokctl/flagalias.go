package main

import (
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// aliasFlags gives flags of cmd a second name: aliases maps each alias to
// the flag's own name (the API's field name: provider, validation_region,
// key_vault_id). The alias is the name the Confluent CLI's confluent byok
// uses (--cloud, --region, --key-vault), so that its users need not
// relearn. Both names set the same flag, the last given wins (as when a
// flag is repeated), and the flag's help names its alias. Call it once the
// flags are defined.
func aliasFlags(cmd *cobra.Command, aliases map[string]string) {
	f := cmd.Flags()
	for alias, name := range aliases {
		if fl := f.Lookup(name); fl != nil {
			if own, ok := strings.CutSuffix(fl.Usage, ")"); ok {
				fl.Usage = own + "; also --" + alias + ")"
			} else {
				fl.Usage += " (also --" + alias + ")"
			}
		}
	}
	f.SetNormalizeFunc(func(_ *pflag.FlagSet, name string) pflag.NormalizedName {
		if own, ok := aliases[name]; ok {
			return pflag.NormalizedName(own)
		}
		return pflag.NormalizedName(name)
	})
}
