package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/byokctl/byok/wrapper"
)

// grantsOptions are the flags and arguments of byokctl grants.
type grantsOptions struct {
	id     string
	policy string // --policy, the key-policy document to merge into
	// aws are the flags that read or write the live AWS key policy; live
	// says whether one of them was given.
	aws  *grantsAWSOptions
	live bool
}

// newGrantsCmd builds byokctl grants: it parses the flags and arguments into
// grantsOptions and calls runF with them (runGrants, or a test's fake).
func newGrantsCmd(rt *runtime, runF func(context.Context, *runtime, grantsOptions) error) *cobra.Command {
	var o grantsOptions
	cmd := &cobra.Command{
		Use:   "grants ID [--policy FILE | --check | --apply]",
		Short: "Print the grants Confluent Cloud needs in the key's KMS",
		Long: `Confluent Cloud can use a registered key only once its principals have access
to it in the cloud. grants prints what to grant, from the key as the server
returned it:

  AWS    the two statements to add to the KMS key's policy, with the key's IAM
         roles as principals; with --policy FILE, the whole policy with the
         statements merged in, ready for aws kms put-key-policy (FILE - is
         stdin; merging twice adds nothing)
  Azure  az commands that create the service principal of the key's
         application where it is missing and assign it the roles "Key Vault
         Crypto Service Encryption User" and "Key Vault Reader" on the vault
  GCP    gcloud commands that create a custom role with the permissions
         Confluent Cloud needs and grant it to the key's Google group

Every value printed in a command must have the strict form the API gives it
(an IAM role, a UUID, the resource id of the key's own vault, a Cloud KMS
resource name, an email address); a key with another is refused (exit 1),
and no command is printed for it.

-o json and -o yaml print the provider, the principals, the actions, roles or
permissions, and the scope, for scripts and terraform.

For AWS keys, byokctl also reads and writes the key's live policy with the AWS
SDK (credentials from the default chain: environment, shared config and
--profile, SSO; the key ARN's region; the endpoint from --kms-endpoint or
$AWS_ENDPOINT_URL_KMS):

  --check  says, for each statement, whether the key's roles have all its
           actions, some (naming those missing) or none; grants beyond them
           (to "*", to other principals, other actions) are warnings. Exit
           status 0 when all is granted, 4 when a grant is missing.
  --apply  merges the missing statements into the live policy (the merge of
           --policy), shows the change as a diff on stderr and asks; without
           a terminal it needs --force. It writes the old policy to a backup
           file (--backup, else KEY-ID-key-policy-TIME.json here) first, and
           reads the policy again just before writing it: when someone else
           changed it, nothing is written. It removes and weakens nothing,
           and changes nothing when all is granted. --wait then waits for
           the key's validation.`,
		Example: `  byokctl grants cck-12345
  byokctl grants cck-12345 -o json
  aws kms get-key-policy --key-id "$ARN" --policy-name default --output text > policy.json
  byokctl grants cck-12345 --policy policy.json > merged.json
  byokctl grants cck-12345 --check
  byokctl grants cck-12345 --apply --wait`,
		Args:              oneID,
		ValidArgsFunction: keyIDCompletion(rt),
		RunE: func(cmd *cobra.Command, args []string) error {
			used, err := o.aws.used(cmd)
			if err != nil {
				return err
			}
			o.id, o.live = args[0], used
			return runF(cmd.Context(), rt, o)
		},
	}
	cmd.Flags().StringVar(&o.policy, "policy", "", "merge the AWS statements into this key-policy document (- for stdin) and print it")
	o.aws = addGrantsAWSFlags(cmd)
	return withFormats(cmd, formatHuman, formatJSON, formatYAML)
}

// runGrants prints what to grant for key o.id, merges it into o.policy, or
// checks or applies the live AWS key policy.
func runGrants(ctx context.Context, rt *runtime, o grantsOptions) error {
	if o.live {
		return runGrantsAWS(ctx, rt, o.id, o.aws)
	}
	var doc []byte
	if o.policy != "" {
		if rt.output.value == formatYAML {
			return usagef("--policy prints the key policy, a JSON document: give -o json or no -o")
		}
		var err error
		if doc, err = readFile(ctx, rt, o.policy, maxPolicySize); err != nil {
			return usagef("--policy: %w", err)
		}
	}
	key, err := getKey(ctx, rt, o.id)
	if err != nil {
		return err
	}
	if o.policy != "" {
		return mergePolicy(rt, *key, o.policy, doc)
	}
	return printGrants(rt, *key)
}

// printGrants writes what to grant for key to stdout in the -o format.
func printGrants(rt *runtime, key wrapper.Key) error {
	if rt.output.value == formatHuman {
		text, err := grantsText(key)
		if err != nil {
			return err
		}
		_, err = io.WriteString(rt.sys.stdout, text)
		return err
	}
	set, err := grantsFor(key)
	if err != nil {
		return err
	}
	return printStructured(rt, set)
}

// mergePolicy merges the AWS statements for key into the key policy doc
// (read from the file named name) and writes the policy to stdout.
func mergePolicy(rt *runtime, key wrapper.Key, name string, doc []byte) error {
	set, err := grantsFor(key)
	if err != nil {
		return err
	}
	if set.Statements == nil {
		return usagef("--policy is for AWS keys; key %s is of provider %s: run byokctl grants %s without it", set.ID, set.Provider, shellQuote(set.ID))
	}
	merged, changes, err := mergeKeyPolicy(doc, set.Statements)
	if err != nil {
		return usagef("--policy %s: %w", name, err)
	}
	if !bytes.HasSuffix(merged, []byte("\n")) {
		merged = append(merged, '\n')
	}
	if _, err := rt.sys.stdout.Write(merged); err != nil {
		return err
	}
	if len(changes.added)+len(changes.replaced) == 0 {
		rt.infof("the policy already grants what key %s needs; nothing was added", set.ID)
		return nil
	}
	reportChanges(rt, changes, set.ID)
	rt.infof("apply the policy with:")
	rt.infof("  aws kms put-key-policy --key-id %s --policy-name default --policy file://POLICY.json", shellQuoteAlways(set.Scope))
	return nil
}

// reportChanges says on stderr which statements a merge for key id added
// and which it replaced.
func reportChanges(rt *runtime, changes policyChanges, id string) {
	if len(changes.added) > 0 {
		rt.infof("added %s for key %s: %s", statements(len(changes.added)), id, quoteList(changes.added))
	}
	if len(changes.replaced) > 0 {
		rt.infof("replaced %s of the same Sid that granted other principals or actions: %s",
			statements(len(changes.replaced)), quoteList(changes.replaced))
	}
}

// statements returns "1 statement" or "n statements".
func statements(n int) string {
	if n == 1 {
		return "1 statement"
	}
	return fmt.Sprintf("%d statements", n)
}

// quoteList returns the strings of list quoted, separated by commas.
func quoteList(list []string) string {
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = strconv.Quote(s)
	}
	return strings.Join(out, ", ")
}
