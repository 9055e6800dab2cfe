package main

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/byokctl/byok/cmd/byokctl/internal/health"
)

// checkOptions are the flags of byokctl check.
type checkOptions struct {
	// file is the keys file (-f), "" for none.
	file string
	// initializingFor is how long a key may stay INITIALIZING.
	initializingFor time.Duration
	// cloud also checks the policy of every AWS key in AWS KMS, reached
	// as kms says.
	cloud bool
	kms   kmsOptions
}

// newCheckCmd builds byokctl check: it parses the flags into checkOptions
// and calls runF with them (runCheck, or a test's fake).
func newCheckCmd(rt *runtime, runF func(context.Context, *runtime, checkOptions) error) *cobra.Command {
	var o checkOptions
	cmd := &cobra.Command{
		Use:   "check [-f FILE] [--cloud]",
		Short: "Check that every key is healthy, for cron and CI",
		Long: `Check the health of every key, in one pass. A key is unhealthy when:

  invalid                its validation is INVALID: Confluent Cloud lost access
                         to it (the server's message follows), and the clusters
                         it protects become unavailable
  initializing-too-long  it has been INITIALIZING for --initializing-for or
                         longer (since its creation, or its phase's since)
  unreadable             it could not be decoded, so its health is unknown

With --cloud, byokctl also reads the key policy of every AWS key with the AWS
SDK, one GetKeyPolicy per key (as grants --check does: credentials from the
default chain and --profile, the region of each key's ARN, the endpoint from
--kms-endpoint or $AWS_ENDPOINT_URL_KMS), a few at a time, within --timeout:

  policy-missing-grants  its policy does not grant the key's roles every
                         action Confluent Cloud needs (the missing ones are
                         named): the key turns INVALID for that, later

A policy that grants more than needed (to "*", other principals, other
actions) is a warning on stderr, not a problem. A policy that cannot be read
(the credentials lack kms:GetKeyPolicy, the key is in another account, KMS
throttled or did not answer) makes the key's status "unknown": the check of
that key could not be made. Azure and GCP keys are not checked in their cloud,
and a note says so.

With -f, a keys file (as diff and apply read it) also says:

  missing                an entry of the file matches no key on the server
  duplicate              several keys on the server share an entry's key ARN
                         or key id

-o text (the default) prints one line per problem (and per key of unknown
health), with the command to look further, and nothing when every key is
healthy; the summary goes to stderr. -o json and -o yaml print every key,
each with "status" (healthy, unhealthy, or with --cloud unknown), "problems"
(the words above) and "reason", field names stable; with --cloud, each key
also has "policy": its "status" (granted, policy-missing-grants, unreadable
or not-checked), and for a policy read the "statements" and "warnings" of
grants --check -o json, for one that could not be read the "error".

Exit status:
  0  every key is healthy
  4  a key is unhealthy
  1  the check could not be made: the API refused (credentials, permissions)
     or could not be reached; with --cloud, also when the policy of a key
     could not be read and no key is unhealthy
  2  a usage error, a keys file that cannot be read or has a mistake`,
		Example: `  byokctl check
  byokctl check -f keys.yaml --initializing-for 30m -o json
  byokctl check --cloud --profile security-audit`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runF(cmd.Context(), rt, o)
		},
	}
	withFormats(cmd, formatHuman, formatJSON, formatYAML)
	f := cmd.Flags()
	f.StringVarP(&o.file, "file", "f", "", "also check the keys of this keys file, YAML or JSON")
	f.DurationVar(&o.initializingFor, "initializing-for", time.Hour, "a key INITIALIZING for this long is unhealthy")
	f.BoolVar(&o.cloud, "cloud", false, "also read the key policy of every AWS key in AWS KMS and check what it grants")
	o.kms.register(cmd)
	cmd.PreRunE = func(cmd *cobra.Command, _ []string) error {
		if o.initializingFor <= 0 {
			return usagef("--initializing-for is %s; expected a positive duration such as 30m or 2h", o.initializingFor)
		}
		for _, name := range []string{"profile", "region", "kms-endpoint"} {
			if !o.cloud && cmd.Flags().Changed(name) {
				return usagef("--%s is for --cloud", name)
			}
		}
		return nil
	}
	return cmd
}

// runCheck lists the keys, judges their health and prints it.
func runCheck(ctx context.Context, rt *runtime, o checkOptions) error {
	var kf *keysFile
	var r remote
	var err error
	if o.file != "" {
		kf, r, err = keysFileAndRemote(ctx, rt, o.file)
	} else {
		r.client, err = rt.newClient()
	}
	if err != nil {
		return err
	}
	server, err := listAll(ctx, rt, r)
	if err != nil {
		return err
	}
	in := health.Input{Keys: server.keys, Undecodable: server.unreadable, Now: rt.clock.Now(), InitializingFor: o.initializingFor}
	if kf != nil {
		in.File, in.Entries = kf.name, healthEntries(makePlan(kf, server))
	}
	var cloud *cloudCheck
	if o.cloud {
		c, err := checkCloud(ctx, rt, server.keys, o.kms)
		if err != nil {
			return err
		}
		cloud, in.Policies = &c, c.health
	}
	results := health.Evaluate(in)
	if err := printHealth(rt, results, in.File, cloud); err != nil {
		return err
	}
	if cloud != nil {
		cloud.report(rt, results)
	}
	// An unhealthy key is what a check is for: it is said (exit 4) also
	// when another key could not be checked.
	unknown := health.Count(results, health.Unknown)
	if bad := health.Count(results, health.Unhealthy); bad > 0 {
		msg := fmt.Sprintf("%d of %s unhealthy", bad, countKeys(len(results)))
		if unknown > 0 {
			msg += fmt.Sprintf("; the policy of %d more could not be read", unknown)
		}
		return &statusError{msg, exitUnhealthy}
	}
	if unknown > 0 {
		return unknownError(unknown, len(results))
	}
	summary := countKeys(len(results)) + ", all healthy"
	if cloud != nil {
		summary += fmt.Sprintf(" (the policies of %s checked in AWS KMS)", countKeys(cloud.checked))
	}
	rt.infof("%s", summary)
	return nil
}

// healthEntries returns the entries of the keys file of plan p, each with
// the ids of the keys on the server it matches (by makePlan's matching).
func healthEntries(p plan) []health.Entry {
	var entries []health.Entry
	index := map[*keyEntry]int{}
	for _, item := range p.Items {
		if item.entry == nil {
			continue
		}
		i, seen := index[item.entry]
		if !seen {
			ref := item.entry.ref()
			i = len(entries)
			index[item.entry] = i
			entries = append(entries, health.Entry{Line: item.entry.line, Provider: string(ref.provider), Key: ref.id,
				DisplayName: item.entry.displayName})
		}
		if item.ID != "" {
			entries[i].IDs = append(entries[i].IDs, item.ID)
		}
	}
	return entries
}

// printHealth writes the results to stdout in the -o format: every key for
// JSON and YAML, the problems and the keys of unknown health for text; file
// is the keys file, "" for none; cloud is what check --cloud found, nil
// without it.
func printHealth(rt *runtime, results []health.Result, file string, cloud *cloudCheck) error {
	if structured(rt) {
		return printStructured(rt, struct {
			Healthy bool        `json:"healthy"`
			Keys    []keyHealth `json:"keys"`
		}{health.Count(results, health.Healthy) == len(results), withPolicies(results, cloud)})
	}
	var b strings.Builder
	for _, r := range results {
		if r.Status == health.Healthy {
			continue
		}
		b.WriteString(clean(healthSubject(r)) + ": " + clean(r.Reason))
		switch id := shellQuote(clean(r.ID)); {
		case slices.Contains(r.Problems, health.PolicyMissingGrants):
			b.WriteString(" (look further: byokctl grants " + id + " --check; byokctl grants " + id + " --apply adds them)")
		case r.ID != "":
			b.WriteString(" (look further: byokctl describe " + id + ")")
		case file != "":
			b.WriteString(" (look further: byokctl diff -f " + shellQuote(clean(file)) + ")")
		}
		b.WriteString("\n")
	}
	_, err := fmt.Fprint(rt.sys.stdout, b.String())
	return err
}

// healthSubject names the key of r in a line of text: its id and display
// name, or for an entry missing on the server its provider and identifier.
func healthSubject(r health.Result) string {
	switch {
	case r.ID == "":
		return r.Provider + " key " + r.Key
	case r.DisplayName != "":
		return fmt.Sprintf("%s (%s)", r.ID, r.DisplayName)
	}
	return r.ID
}
