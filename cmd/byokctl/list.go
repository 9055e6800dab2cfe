package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/byokctl/byok/wrapper"
)

// listOptions are the flags of byokctl list.
type listOptions struct {
	filter wrapper.ListKeysOptions
	// unknown are the enumeration flags, to warn about a value byokctl
	// does not know (it is sent as given).
	unknown map[string]*enumFlag
}

// newListCmd builds byokctl list: it parses the flags into listOptions and
// calls runF with them (runList, or a test's fake).
func newListCmd(rt *runtime, runF func(context.Context, *runtime, listOptions) error) *cobra.Command {
	var (
		o        listOptions
		provider = providerFlag()
		state    = stateFlag()
		phase    = phaseFlag()
	)
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List keys, all pages, optionally filtered",
		Long: `List the keys, all pages, keeping those that match every filter given.

The filters also take the names of confluent byok list: --cloud is
--provider, --region is --validation-region, --phase is --validation-phase.`,
		Example: `  byokctl list
  byokctl list --provider aws --validation-phase invalid -o json
  byokctl list --display-name billing --validation-region us-west-2
  byokctl list --cloud gcp --region us-central1 --phase valid --key testkeyring`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.filter.Provider = wrapper.Provider(provider.value)
			o.filter.State = wrapper.State(state.value)
			o.filter.ValidationPhase = wrapper.Phase(phase.value)
			o.unknown = map[string]*enumFlag{"provider": provider, "state": state, "validation-phase": phase}
			return runF(cmd.Context(), rt, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.filter.DisplayName, "display-name", "", "keep keys whose display name contains this text")
	f.Var(provider, "provider", "keep keys of this cloud provider")
	f.Var(state, "state", "keep keys in this state")
	f.Var(phase, "validation-phase", "keep keys in this validation phase")
	f.StringVar(&o.filter.ValidationRegion, "validation-region", "", "keep keys validated in this cloud region, such as us-west-2")
	f.StringVar(&o.filter.Key, "key", "", "keep keys whose ARN or key id contains this text")
	f.IntVar(&o.filter.PageSize, "page-size", 0, "keys per request, 1 to 100 (default 100)")
	_ = cmd.RegisterFlagCompletionFunc("provider", fixedCompletion(provider.allowed...))
	_ = cmd.RegisterFlagCompletionFunc("state", fixedCompletion(state.allowed...))
	_ = cmd.RegisterFlagCompletionFunc("validation-phase", fixedCompletion(phase.allowed...))
	aliasFlags(cmd, map[string]string{"cloud": "provider", "region": "validation-region", "phase": "validation-phase"})
	withFormats(cmd, formatHuman, formatJSON, formatYAML)
	cmd.PreRunE = func(cmd *cobra.Command, _ []string) error {
		if cmd.Flags().Changed("page-size") && (o.filter.PageSize < 1 || o.filter.PageSize > wrapper.MaxPageSize) {
			return usagef("--page-size is %d; expected 1 to %d", o.filter.PageSize, wrapper.MaxPageSize)
		}
		return nil
	}
	return cmd
}

// runList prints every key the filter keeps, all pages. One key that cannot
// be decoded does not hide the others: they are printed, then it is
// reported and the command fails.
func runList(ctx context.Context, rt *runtime, o listOptions) error {
	var s serverKeys
	err := rt.call(ctx, defaultTimeout, func(ctx context.Context, client *wrapper.Client) (err error) {
		noteUnknown(rt, o.unknown)
		s, err = remote{client}.list(ctx, o.filter)
		return err
	})
	if err != nil {
		return err
	}
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
