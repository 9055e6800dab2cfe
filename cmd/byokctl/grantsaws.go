package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/byokctl/byok/cmd/byokctl/internal/kmspolicy"
	"github.com/byokctl/byok/wrapper"
)

// kmsOptions are the flags that say how to reach AWS KMS.
type kmsOptions struct {
	profile, region, endpoint string
}

// register adds the flags of o to cmd.
func (o *kmsOptions) register(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&o.profile, "profile", "", "AWS profile of the credentials (default $AWS_PROFILE, else the default chain's)")
	f.StringVar(&o.region, "region", "", "AWS region of the key (default: the key ARN's; another is refused)")
	f.StringVar(&o.endpoint, "kms-endpoint", "", "AWS KMS endpoint URL (default $AWS_ENDPOINT_URL_KMS, else AWS's)")
}

// kmsConfig returns the kmspolicy configuration of o.
func kmsConfig(rt *runtime, o kmsOptions) kmspolicy.Config {
	return kmspolicy.Config{Profile: o.profile, Region: o.region, Endpoint: o.endpoint, Backoff: rt.sys.kmsBackoff}
}

// applyOptions are the flags of grants --apply and create aws
// --apply-grants.
type applyOptions struct {
	kms kmsOptions
	// force applies without asking.
	force bool
	// backup is the file of the old policy, "" for a new file in the
	// current directory named after the key and the time.
	backup string
	// wait waits for the key's validation after the apply.
	wait bool
}

// register adds the flags of o, but --wait, to cmd.
func (o *applyOptions) register(cmd *cobra.Command) {
	o.kms.register(cmd)
	f := cmd.Flags()
	f.BoolVar(&o.force, "force", false, "change the key policy without asking (needed without a terminal)")
	f.StringVar(&o.backup, "backup", "", "file to write the old key policy to (default: KEY-ID-key-policy-TIME.json, in the current directory)")
}

// awsGrantSet returns what to grant for key, which must be an AWS key:
// else a usage error naming flag.
func awsGrantSet(key wrapper.Key, flag string) (grantSet, error) {
	set, err := grantsFor(key)
	if err != nil {
		return set, err
	}
	if set.Statements == nil {
		return set, usagef("%s is for AWS keys; key %s is of provider %s: run byokctl grants %s without it", flag, set.ID, set.Provider, shellQuote(set.ID))
	}
	return set, nil
}

// checkKeyPolicy reads the live policy of the AWS key of set and checks
// what it grants. It is the policy check of grants --check, for every
// command that needs it.
func checkKeyPolicy(ctx context.Context, set grantSet, kc kmspolicy.Config) (policyCheck, error) {
	client, err := newKMSClient(ctx, set.Scope, kc)
	if err != nil {
		return policyCheck{}, err
	}
	doc, err := client.Policy(ctx)
	if err != nil {
		return policyCheck{}, err
	}
	c, err := evaluatePolicy(set, []byte(doc))
	if err != nil {
		return c, fmt.Errorf("the policy of %s: %w", set.Scope, err)
	}
	return c, nil
}

// newKMSClient returns the client of the policy of the key of arn, an AWS
// KMS key ARN (checkAWSKeyARN). A region other than the ARN's is a usage
// error.
func newKMSClient(ctx context.Context, arn string, kc kmspolicy.Config) (*kmspolicy.Client, error) {
	if err := checkAWSKeyARN(arn); err != nil {
		return nil, err
	}
	m := awsKeyARN.FindStringSubmatch(arn)
	client, err := kmspolicy.New(ctx, kmspolicy.Key{ARN: arn, Partition: m[1], Region: m[2], Account: m[3], ID: m[4]}, kc)
	var region *kmspolicy.RegionError
	if errors.As(err, &region) {
		return nil, &usageError{err}
	}
	return client, err
}

// runGrantsCheck is grants ID --check.
func runGrantsCheck(ctx context.Context, rt *runtime, key wrapper.Key, o kmsOptions) error {
	set, err := awsGrantSet(key, "--check")
	if err != nil {
		return err
	}
	var c policyCheck
	err = rt.within(ctx, defaultTimeout, func(ctx context.Context) (err error) {
		c, err = checkKeyPolicy(ctx, set, kmsConfig(rt, o))
		return err
	})
	if err != nil {
		return err
	}
	if structured(rt) {
		err = printStructured(rt, c)
	} else {
		err = writePolicyCheck(rt.sys.stdout, c)
	}
	if err != nil {
		return err
	}
	for _, w := range c.Warnings {
		rt.infof("warning: %s", clean(w))
	}
	if !c.Granted {
		return &statusError{fmt.Sprintf("the key policy of %s misses grants key %s needs; byokctl grants %s --apply adds them",
			c.KeyARN, c.ID, shellQuote(c.ID)), exitUnhealthy}
	}
	return nil
}

// writePolicyCheck writes the text form of c.
func writePolicyCheck(w io.Writer, c policyCheck) error {
	var b strings.Builder
	fmt.Fprintf(&b, "Key %s (AWS): the policy of %s, for %s:\n", c.ID, c.KeyARN, strings.Join(c.Roles, ", "))
	for _, s := range c.Statements {
		fmt.Fprintf(&b, "  %-4s%s%s", s.Status, strings.Repeat(" ", tableGap), s.Sid) // a column of the tables' gap
		if s.Missing != nil {
			fmt.Fprintf(&b, ": missing %s", strings.Join(s.Missing, ", "))
		}
		b.WriteString("\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// changingPolicy is the confirmation of a key policy write.
func changingPolicy() confirmation {
	return confirmation{what: "changing the key policy", force: "change it without asking",
		question: "Write this policy to the key?", declined: "the policy was not changed"}
}

// applyGrants merges the statements key needs into its live policy and
// writes it, after showing the change and asking (see applyOptions). A
// policy that grants them already is left as it is.
func applyGrants(ctx context.Context, rt *runtime, key wrapper.Key, o applyOptions, flag string) error {
	set, err := awsGrantSet(key, flag)
	if err != nil {
		return err
	}
	client, err := newKMSClient(ctx, set.Scope, kmsConfig(rt, o.kms))
	if err != nil {
		return err
	}
	old, err := client.Policy(ctx)
	if err != nil {
		return err
	}
	merged, changes, err := mergeKeyPolicy([]byte(old), set.Statements)
	if err != nil {
		return fmt.Errorf("the policy of %s: %w; nothing was changed", set.Scope, err)
	}
	if len(changes.added)+len(changes.replaced) == 0 {
		rt.infof("the policy of %s already grants what key %s needs; nothing was changed", set.Scope, set.ID)
		return nil
	}
	if err := checkNotWeakened([]byte(old), merged, set); err != nil {
		return err
	}
	if err := kmspolicy.CheckSize(string(merged)); err != nil {
		return err
	}
	// The diff goes with the question, on stderr: stdout keeps the data
	// (the key of create --apply-grants).
	if _, err := io.WriteString(rt.sys.stderr, cleanDiff(unifiedDiff("policy of "+set.Scope, "merged policy", old, string(merged)))); err != nil {
		return err
	}
	if err := confirm(ctx, rt, changingPolicy(), o.force); err != nil {
		return err
	}
	backup, err := writeBackup(rt, o.backup, set.ID, old)
	if err != nil {
		return fmt.Errorf("backing up the policy of %s: %w; the policy was not changed", set.Scope, err)
	}
	rt.infof("backed up the policy of %s to %s", set.Scope, backup)
	if err := client.PutPolicy(ctx, old, string(merged)); err != nil {
		return fmt.Errorf("%w (the backup %s is the policy as it was)", err, backup)
	}
	rt.infof("updated the policy of %s:", set.Scope)
	reportChanges(rt, changes, set.ID)
	return nil
}

// cleanDiff cleans each line of a diff of a policy (server text) for a
// terminal, as clean does, keeping the line's mark and indentation.
func cleanDiff(d string) string {
	var b strings.Builder
	for _, line := range strings.SplitAfter(d, "\n") {
		line = strings.TrimSuffix(line, "\n")
		if line == "" {
			continue
		}
		mark, rest := line[:1], line[1:]
		lead := leadingSpace([]byte(rest))
		b.WriteString(mark + lead + clean(rest[len(lead):]) + "\n")
	}
	return b.String()
}

// checkNotWeakened refuses a merge that replaced a statement of old by one
// that grants less: --apply never takes a grant away.
func checkNotWeakened(old, merged []byte, set grantSet) error {
	before, err := policyStatements(old)
	if err != nil {
		return err
	}
	after, err := policyStatements(merged)
	if err != nil {
		return err
	}
	for _, s := range before {
		if !slices.ContainsFunc(set.Statements, func(w awsStatement) bool { return w.Sid == s.Sid }) {
			continue
		}
		if s.Effect != "Allow" || !s.plain() || !grantsAll(after, s.principals(), stringOrList(s.Action)) {
			return fmt.Errorf("the policy of %s has a statement %q that differs from what key %s needs, and replacing it would take grants away; "+
				"nothing was changed: edit or remove it by hand (byokctl grants %s prints the statements), then run the command again",
				set.Scope, s.Sid, set.ID, shellQuote(set.ID))
		}
	}
	return nil
}

// writeBackup writes policy to a new file, name or one named after key
// id and the time, and returns its name. It never overwrites a file.
func writeBackup(rt *runtime, name, id, policy string) (string, error) {
	if name == "" {
		name = fmt.Sprintf("%s-key-policy-%s.json", id, rt.clock.Now().UTC().Format("20060102T150405Z"))
	}
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", err
	}
	if _, err := io.WriteString(f, policy); err != nil {
		_ = f.Close()
		return "", err
	}
	if err := f.Close(); err != nil {
		return "", err
	}
	if abs, err := filepath.Abs(name); err == nil {
		name = abs
	}
	return name, nil
}

// runGrantsApply is grants ID --apply: the apply, then with wait the wait
// for the key's validation.
func runGrantsApply(ctx context.Context, rt *runtime, id string, o applyOptions) error {
	def := defaultTimeout
	if o.wait {
		def = defaultWaitTimeout
	}
	return rt.call(ctx, def, func(ctx context.Context, client *wrapper.Client) error {
		key, _, err := client.GetKey(ctx, id)
		if err != nil {
			return err
		}
		if err := applyGrants(ctx, rt, *key, o, "--apply"); err != nil {
			return err
		}
		if !o.wait {
			return nil
		}
		waited, err := waitForValidation(ctx, rt, client, key.ID)
		if err != nil {
			return err
		}
		rt.infof("key %s: %s", clean(waited.ID), clean(string(waited.Validation.Phase)))
		return nil
	})
}

// grantsAWSOptions are the flags of grants --check and --apply.
type grantsAWSOptions struct {
	check, apply bool
	applyOptions
}

// addGrantsAWSFlags adds the flags of --check and --apply to grants.
func addGrantsAWSFlags(cmd *cobra.Command) *grantsAWSOptions {
	o := &grantsAWSOptions{}
	f := cmd.Flags()
	f.BoolVar(&o.check, "check", false, "AWS: read the key's live policy and say what it grants (exit 4 when a grant is missing)")
	f.BoolVar(&o.apply, "apply", false, "AWS: merge the missing statements into the key's live policy, after a backup")
	f.BoolVar(&o.wait, "wait", false, "with --apply: then wait for the key's validation (see byokctl wait)")
	o.register(cmd)
	cmd.MarkFlagsMutuallyExclusive("check", "apply")
	cmd.MarkFlagsMutuallyExclusive("check", "policy")
	cmd.MarkFlagsMutuallyExclusive("apply", "policy")
	return o
}

// used reports whether grants was asked to --check or --apply, and
// refuses their flags without them.
func (o *grantsAWSOptions) used(cmd *cobra.Command) (bool, error) {
	if o.apply {
		return true, nil
	}
	if o.check {
		for _, name := range []string{"force", "backup", "wait"} {
			if cmd.Flags().Changed(name) {
				return false, usagef("--%s is for --apply, not --check", name)
			}
		}
		return true, nil
	}
	for _, name := range []string{"profile", "region", "kms-endpoint", "force", "backup", "wait"} {
		if cmd.Flags().Changed(name) {
			return false, usagef("--%s is for --check and --apply", name)
		}
	}
	return false, nil
}

// runGrantsAWS is grants ID --check or --apply.
func runGrantsAWS(ctx context.Context, rt *runtime, id string, o *grantsAWSOptions) error {
	if o.check {
		key, err := getKey(ctx, rt, id)
		if err != nil {
			return err
		}
		return runGrantsCheck(ctx, rt, *key, o.kms)
	}
	if rt.output.value != formatHuman {
		return usagef("--apply prints the change as a diff: give no -o")
	}
	if err := confirmable(rt, changingPolicy(), o.force); err != nil {
		return err
	}
	return runGrantsApply(ctx, rt, id, o.applyOptions)
}

// createGrantsOptions are the flags of create aws --apply-grants.
type createGrantsOptions struct {
	apply bool
	applyOptions
}

// addCreateGrantsFlags adds --apply-grants and its flags to create aws.
func addCreateGrantsFlags(cmd *cobra.Command) *createGrantsOptions {
	o := &createGrantsOptions{}
	cmd.Flags().BoolVar(&o.apply, "apply-grants", false, "then merge the key's statements into its AWS key policy, as byokctl grants --apply does")
	o.register(cmd)
	return o
}

// options returns the options of the apply, nil without --apply-grants,
// whose flags it then refuses.
func (o *createGrantsOptions) options(cmd *cobra.Command) (*applyOptions, error) {
	if o.apply {
		return &o.applyOptions, nil
	}
	for _, name := range []string{"profile", "region", "kms-endpoint", "force", "backup"} {
		if cmd.Flags().Changed(name) {
			return nil, usagef("--%s is for --apply-grants", name)
		}
	}
	return nil, nil
}

// preflightGrants reads the policy of the AWS key material before create
// --apply-grants registers it: a key whose policy cannot be read (no such
// key, no permission, an alias ARN, another region) is not registered.
func preflightGrants(ctx context.Context, rt *runtime, material wrapper.KeyMaterial, o applyOptions) error {
	aws, ok := material.(wrapper.AWSKey)
	if !ok {
		return usagef("--apply-grants is for AWS keys")
	}
	client, err := newKMSClient(ctx, aws.KeyARN, kmsConfig(rt, o.kms))
	if err != nil {
		return err
	}
	if _, err := client.Policy(ctx); err != nil {
		return fmt.Errorf("%w; the key was not registered", err)
	}
	return nil
}

// applyCreatedGrants is the apply of create aws --apply-grants, for the
// key just registered. When it fails, the key is printed all the same:
// it is registered.
func applyCreatedGrants(ctx context.Context, rt *runtime, key wrapper.Key, o applyOptions) error {
	err := applyGrants(ctx, rt, key, o, "--apply-grants")
	if err == nil {
		return nil
	}
	if perr := printKey(rt, key); perr != nil {
		return perr
	}
	id := clean(key.ID)
	var declined *silentFailure
	if errors.As(err, &declined) {
		rt.infof("key %s is registered; byokctl grants %s --apply applies its policy later", id, shellQuote(id))
		return err
	}
	return fmt.Errorf("key %s is registered, but %w; then run byokctl grants %s --apply", id, err, shellQuote(id))
}
