package main

import (
	"strings"

	"github.com/spf13/cobra"

	"github.com/byokctl/byok/wrapper"
)

// globalFlags holds the flags every command accepts that say how to reach
// the API; client.go turns them into a client.
type globalFlags struct {
	sys *system

	apiKey    string
	apiSecret string
	token     string
	endpoint  string
	debug     bool
	// insecureHTTP allows a plain http:// endpoint that is not loopback.
	insecureHTTP bool
}

// Output formats of -o. A command honours the formats withFormats gave it.
// formatHuman is the format for people, a table or text as the command
// prints it; -o accepts it under each of humanNames.
const (
	formatHuman = "human"
	formatJSON  = "json"
	formatYAML  = "yaml"
)

// humanNames are the names of formatHuman for -o, the usual first; human
// is the name confluent byok gives it.
func humanNames() []string { return []string{"table", "text", "human"} }

const rootLong = `byokctl manages the customer managed keys (Bring Your Own Key) that protect
the data at rest of dedicated Confluent Cloud clusters on AWS, Azure and GCP.

Credentials come from --api-key and --api-secret or from a bearer token
(--token); when a flag is not given its environment variable is used:

  CONFLUENT_CLOUD_API_KEY, CONFLUENT_CLOUD_API_SECRET   Cloud API key and secret
  CONFLUENT_CLOUD_ACCESS_TOKEN                          bearer token
  CONFLUENT_CLOUD_ENDPOINT                              API base URL

A credential flag hides the variables of the other kind. When both an API key
and a token are set in the environment, the API key is used; --debug shows
which kind of credential was used (never its value).

Prefer the environment for secrets: a flag ends up in the shell history.

Only data goes to stdout; messages and progress go to stderr. Exit status:
0 success, 1 the API refused, an operation failed or a question (delete,
apply --prune, grants --apply) was answered other than yes, 2 a usage error,
3 changes pending (diff only), 4 a key unhealthy (check) or a grant missing
(grants --check), 130 and 143 stopped by SIGINT (Ctrl-C) or SIGTERM (serve
and exporter exit 0 once shut down cleanly: a signal is their normal stop).`

// newRootCmd builds the whole command tree. It keeps no state outside the
// tree, so every call (every test) gets fresh flags.
func newRootCmd(sys *system) *cobra.Command {
	flags := &globalFlags{sys: sys}
	rt := &runtime{sys: sys, clock: sys.clock, newClient: flags.newClient,
		output: outputFlag()}
	if rt.clock == nil {
		rt.clock = wrapper.RealClock{}
	}
	root := &cobra.Command{
		Use:           "byokctl",
		Short:         "Manage Confluent Cloud BYOK keys",
		Long:          rootLong,
		SilenceErrors: true,
		SilenceUsage:  true,
		// report suggests a command on its own line (suggestion).
		DisableSuggestions:         true,
		SuggestionsMinimumDistance: 2,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			if cmd.Flags().Changed("timeout") && rt.timeout <= 0 {
				return usagef("--timeout is %s; expected a positive duration such as 30s or 10m", rt.timeout)
			}
			return checkFormat(rt, cmd)
		},
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return flagValueError(err) })
	// Before the completion command is added: it keeps the writer it finds.
	root.SetIn(sys.stdin)
	root.SetOut(sys.stdout)
	root.SetErr(sys.stderr)

	pf := root.PersistentFlags()
	pf.StringVar(&flags.apiKey, "api-key", "", "Cloud API key (default $"+envAPIKey+")")
	pf.StringVar(&flags.apiSecret, "api-secret", "", "Cloud API secret (default $"+envAPISecret+")")
	pf.StringVar(&flags.token, "token", "", "bearer access token instead of an API key (default $"+envAccessToken+")")
	pf.StringVar(&flags.endpoint, "endpoint", "", "API base URL (default $"+envEndpoint+", else https://api.confluent.cloud)")
	pf.DurationVar(&rt.timeout, "timeout", 0, "give up after this long (default 1m; 10m for wait, create --wait, delete --wait and apply)")
	pf.BoolVar(&flags.insecureHTTP, "insecure-http", false, "allow a plain http:// --endpoint that is not loopback (credentials travel unencrypted)")
	pf.BoolVar(&flags.debug, "debug", false, "log every request and response to stderr (credentials redacted)")
	pf.VarP(rt.output, "output", "o", "output format: "+strings.Join(humanNames()[:len(humanNames())-1], ", ")+" or "+humanNames()[len(humanNames())-1]+" (one format for people, the default), json or yaml")
	pf.Lookup("output").DefValue = "" // the usage says it
	_ = root.RegisterFlagCompletionFunc("output", formatCompletion)

	serve := newServeCmd(rt, runServe)
	demo := newDemoCmd(rt, runDemo)
	root.AddCommand(
		newListCmd(rt, runList),
		newGetCmd(rt, runGet),
		newDescribeCmd(rt, runDescribe),
		newCreateCmd(rt, runCreate),
		newUpdateCmd(rt, runUpdate),
		newDeleteCmd(rt, runDelete),
		newWaitCmd(rt, runWait),
		newGrantsCmd(rt, runGrants),
		newDiffCmd(rt, runDiff),
		newCheckCmd(rt, runCheck),
		newExporterCmd(rt, runExporter),
		newApplyCmd(rt, runApply),
		serve,
		demo,
		newVersionCmd(rt),
		newByokCmd(),
	)
	refuseGlobalFlags(serve, pf) // it has its own credential flags, and needs no other
	refuseGlobalFlags(demo, pf)  // it talks to its own fake: only its --debug
	completionCmd(root)
	markFailures(root)
	wrapHelp(root)
	return root
}

// completionCmd adds cobra's completion command now (cobra would add it
// when executing) and makes a missing or unknown shell a usage error.
func completionCmd(root *cobra.Command) {
	root.InitDefaultCompletionCmd()
	for _, c := range root.Commands() {
		if c.Name() != "completion" {
			continue
		}
		c.Args = func(_ *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usagef("unknown shell %q: expected bash, zsh, fish or powershell", args[0])
			}
			return nil
		}
		c.RunE = func(*cobra.Command, []string) error {
			return usagef("missing the shell: byokctl completion bash|zsh|fish|powershell")
		}
	}
}

// markFailures wraps the action of every command so that an error it returns
// is a failure (exit status 1) unless it is already a usage error. Errors
// cobra finds before an action runs stay usage errors.
func markFailures(cmd *cobra.Command) {
	if action := cmd.RunE; action != nil {
		cmd.RunE = func(c *cobra.Command, args []string) error {
			err := action(c, args)
			if err == nil || isUsage(err) {
				return err
			}
			return &failure{err}
		}
	}
	for _, sub := range cmd.Commands() {
		markFailures(sub)
	}
}

// fixedCompletion completes a flag value from a fixed list.
func fixedCompletion(values ...string) cobra.CompletionFunc {
	return func(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
		return values, cobra.ShellCompDirectiveNoFileComp
	}
}
