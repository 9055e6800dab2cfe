package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/byokctl/byok/wrapper"
)

func newListCmd(rt *runtime) *cobra.Command {
	var (
		opts     wrapper.ListKeysOptions
		provider = providerFlag()
		state    = stateFlag()
		phase    = phaseFlag()
	)
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List keys, all pages, optionally filtered",
		Example: `  byokctl list
  byokctl list --provider aws --validation-phase invalid -o json
  byokctl list --display-name billing --validation-region us-west-2`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			client, err := rt.newClient()
			if err != nil {
				return err
			}
			noteUnknown(rt, map[string]*enumFlag{"provider": provider, "state": state, "validation-phase": phase})
			opts.Provider = wrapper.Provider(provider.value)
			opts.State = wrapper.State(state.value)
			opts.ValidationPhase = wrapper.Phase(phase.value)
			ctx, cancel, limit := rt.withTimeout(cmd.Context(), defaultTimeout)
			defer cancel()
			s, err := remote{client}.list(ctx, opts)
			if err != nil {
				return explainDeadline(err, limit)
			}
			// One bad key does not hide the others: list them, then
			// report it and fail.
			if err := printKeys(rt, s.keys); err != nil {
				return err
			}
			if len(s.unreadable) > 0 {
				for _, err := range s.unreadable {
					rt.errorf("%s", describe(err))
				}
				return &silentFailure{fmt.Sprintf("%s could not be decoded", countKeys(len(s.unreadable)))}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.DisplayName, "display-name", "", "keep keys whose display name contains this text")
	f.Var(provider, "provider", "keep keys of this cloud provider")
	f.Var(state, "state", "keep keys in this state")
	f.Var(phase, "validation-phase", "keep keys in this validation phase")
	f.StringVar(&opts.ValidationRegion, "validation-region", "", "keep keys validated in this cloud region, such as us-west-2")
	f.StringVar(&opts.Key, "key", "", "keep keys whose ARN or key id contains this text")
	f.IntVar(&opts.PageSize, "page-size", 0, "keys per request, 1 to 100 (default 100)")
	_ = cmd.RegisterFlagCompletionFunc("provider", fixedCompletion(provider.allowed...))
	_ = cmd.RegisterFlagCompletionFunc("state", fixedCompletion(state.allowed...))
	_ = cmd.RegisterFlagCompletionFunc("validation-phase", fixedCompletion(phase.allowed...))
	withFormats(cmd, formatTable, formatJSON, formatYAML)
	cmd.PreRunE = func(cmd *cobra.Command, _ []string) error {
		if cmd.Flags().Changed("page-size") && (opts.PageSize < 1 || opts.PageSize > wrapper.MaxPageSize) {
			return usagef("--page-size is %d; expected 1 to %d", opts.PageSize, wrapper.MaxPageSize)
		}
		return nil
	}
	return cmd
}

// providerFlag, stateFlag and phaseFlag take the values of the API's
// extensible enumerations: the documented ones in any case, and any other
// as it is (a newer server may know more).
func providerFlag() *enumFlag {
	return newOpenEnumFlag(string(wrapper.ProviderAWS), string(wrapper.ProviderAzure), string(wrapper.ProviderGCP))
}

func stateFlag() *enumFlag {
	return newOpenEnumFlag(string(wrapper.StateAvailable), string(wrapper.StateInUse))
}

func phaseFlag() *enumFlag {
	return newOpenEnumFlag(string(wrapper.PhaseInitializing), string(wrapper.PhaseValid), string(wrapper.PhaseInvalid))
}
