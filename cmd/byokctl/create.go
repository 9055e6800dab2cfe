package main

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/byokctl/byok/api"
	"github.com/byokctl/byok/wrapper"
)

// createOptions are the flags of a create subcommand: the key material its
// provider's flags filled, and the flags every create subcommand has.
type createOptions struct {
	material    wrapper.KeyMaterial
	displayName string
	wait        bool
	// grants, for create aws --apply-grants, says how to apply the key
	// policy; nil without it.
	grants *applyOptions
}

// newCreateCmd builds byokctl create KEY and the provider subcommands: each
// parses its flags into createOptions and calls runF with them (runCreate,
// or a test's fake). create KEY tells the provider by the form of KEY, as
// confluent byok create does; the subcommands name it.
func newCreateCmd(rt *runtime, runF func(context.Context, *runtime, createOptions) error) *cobra.Command {
	var (
		cf    createOptions
		azure wrapper.AzureKey // --key-vault-id and --tenant-id of an Azure KEY
	)
	cmd := &cobra.Command{
		Use:   "create KEY",
		Short: "Register a key of AWS KMS, Azure Key Vault or Google Cloud KMS",
		Long: `Register a customer managed key. The server answers with the key in the
INITIALIZING validation phase and, on stderr, byokctl says what to grant the
key to (AWS IAM roles, an Azure application, a Google group).

byokctl create KEY tells the provider by the form of KEY, as confluent byok
create does:

  AWS    a KMS key ARN, ` + keyARNForm + `
  Azure  a Key Vault key URL, ` + azureKeyIDForm + `, with
         --key-vault-id (or --key-vault) and --tenant-id (or --tenant)
  GCP    a Cloud KMS key id, projects/<project>/locations/<location>/
         keyRings/<ring>/cryptoKeys/<key>[/cryptoKeyVersions/<version>]

byokctl create aws|azure|gcp names the provider, with its flags (see their
--help).

With --wait, byokctl then waits for the validation (see byokctl wait); the key
is printed on stdout in the state last read, even when the validation failed.

create aws --apply-grants also writes the AWS key policy (see create aws
--help).`,
		Example: `  byokctl create arn:aws:kms:us-west-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab
  byokctl create https://vault-name.vault.azure.net/keys/key-name \
    --tenant 00000000-0000-0000-0000-000000000000 \
    --key-vault /subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/vault-name
  byokctl create projects/p/locations/us-central1/keyRings/r/cryptoKeys/k/cryptoKeyVersions/3 --display-name "GCP key"`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 1 {
				return usagef("byokctl create takes one key, got %d arguments: %s", len(args), shellJoin(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usagef("missing the key or the provider: byokctl create KEY, or byokctl create aws|azure|gcp")
			}
			m, err := keyOfForm(args[0], azure)
			if err != nil {
				return keyUsage(err)
			}
			if err := checkAzureFlags(cmd, m); err != nil {
				return err
			}
			cf.material = m
			return runF(cmd.Context(), rt, cf)
		},
	}
	cf.register(cmd)
	addAzureVaultFlags(cmd, &azure, " of an Azure KEY")
	cmd.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		if c == cmd {
			return createFlagError(cmd, err)
		}
		return flagValueError(err)
	})
	cmd.AddCommand(newCreateAWSCmd(rt, runF), newCreateAzureCmd(rt, runF), newCreateGCPCmd(rt, runF))
	return cmd
}

// addAzureVaultFlags adds to cmd --key-vault-id and --tenant-id, into key,
// under the names confluent byok create gives them too (--key-vault,
// --tenant); what ends their help.
func addAzureVaultFlags(cmd *cobra.Command, key *wrapper.AzureKey, what string) {
	f := cmd.Flags()
	f.StringVar(&key.KeyVaultID, "key-vault-id", "", "resource id of the Key Vault"+what)
	f.StringVar(&key.TenantID, "tenant-id", "", "tenant id (a UUID) of the Key Vault"+what)
	aliasFlags(cmd, map[string]string{"key-vault": "key-vault-id", "tenant": "tenant-id"})
}

// checkAzureFlags checks that --key-vault-id and --tenant-id of create KEY
// are both given for an Azure key, and neither for another.
func checkAzureFlags(cmd *cobra.Command, m wrapper.KeyMaterial) error {
	var given, missing []string
	for _, name := range []string{"key-vault-id", "tenant-id"} {
		if cmd.Flags().Changed(name) {
			given = append(given, "--"+name)
		} else {
			missing = append(missing, "--"+name)
		}
	}
	_, azure := m.(wrapper.AzureKey)
	switch {
	case azure && len(missing) > 0:
		return usagef("an Azure key needs --key-vault-id (or --key-vault), the resource id of its Key Vault, and --tenant-id (or --tenant), its tenant; missing %s",
			strings.Join(missing, " and "))
	case !azure && len(given) > 0:
		form := "an AWS KMS key ARN"
		if _, gcp := m.(wrapper.GCPKey); gcp {
			form = "a Cloud KMS key id"
		}
		verb := "is"
		if len(given) > 1 {
			verb = "are"
		}
		return usagef("%s %s for an Azure key; KEY is %s", strings.Join(given, " and "), verb, form)
	}
	return nil
}

// keyUsage is the usage error of a KEY of create that keyOfForm refused:
// its message, without the field's name (KEY is no field).
func keyUsage(err error) error {
	var bad *inputError
	if errors.As(err, &bad) {
		return usagef("%s", bad.Msg)
	}
	return &usageError{err}
}

// createFlagError is a flag error of create itself. When its argument is
// neither a provider nor a key, that is the error (create oci --key-id x);
// a flag of a provider subcommand given without the provider says where it
// belongs.
func createFlagError(cmd *cobra.Command, err error) error {
	var unknown *pflag.NotExistError
	if !errors.As(err, &unknown) {
		return flagValueError(err)
	}
	if args := cmd.Flags().Args(); len(args) > 0 {
		if _, err := keyOfForm(args[0], wrapper.AzureKey{}); err != nil {
			return keyUsage(err)
		}
	}
	name := unknown.GetSpecifiedName()
	var providers []string
	for _, sub := range cmd.Commands() {
		if sub.Flags().Lookup(name) != nil && unknown.GetSpecifiedShortnames() == "" {
			providers = append(providers, sub.Name())
		}
	}
	if len(providers) == 0 {
		return flagValueError(err)
	}
	return usagef("--%s is a flag of byokctl create %s: name the provider first (byokctl create %s --%s ...), or give the key alone (byokctl create KEY)",
		name, strings.Join(providers, "|"), providers[0], name)
}

func newCreateAWSCmd(rt *runtime, runF func(context.Context, *runtime, createOptions) error) *cobra.Command {
	var (
		cf     createOptions
		key    wrapper.AWSKey
		grants *createGrantsOptions
	)
	cmd := &cobra.Command{
		Use:   "aws --key-arn ARN",
		Short: "Register an AWS KMS key",
		Long: `Register an AWS KMS key by its ARN (an alias ARN is refused).

--apply-grants makes it the whole onboarding of the key: byokctl reads the
key's policy with the AWS SDK (and registers nothing when it cannot), registers
the key, merges the two statements its roles need into the policy as byokctl
grants --apply does (a diff on stderr, a question on a terminal or --force, a
backup of the old policy), and with --wait waits for the key to turn VALID.`,
		Example: "  byokctl create aws --key-arn arn:aws:kms:us-west-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab --wait\n" +
			"  byokctl create aws --key-arn arn:aws:kms:us-west-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab --apply-grants --wait",
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var err error
			if cf.grants, err = grants.options(cmd); err != nil {
				return err
			}
			cf.material = key
			return runF(cmd.Context(), rt, cf)
		},
	}
	cf.register(cmd)
	grants = addCreateGrantsFlags(cmd)
	cmd.Flags().StringVar(&key.KeyARN, "key-arn", "", "ARN of the AWS KMS key (required)")
	_ = cmd.MarkFlagRequired("key-arn")
	return cmd
}

func newCreateAzureCmd(rt *runtime, runF func(context.Context, *runtime, createOptions) error) *cobra.Command {
	var (
		cf  createOptions
		key wrapper.AzureKey
	)
	cmd := &cobra.Command{
		Use:   "azure --key-id URL --key-vault-id ID --tenant-id ID",
		Short: "Register an Azure Key Vault key",
		Example: `  byokctl create azure \
    --key-id https://vault-name.vault.azure.net/keys/key-name \
    --key-vault-id /subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/vault-name \
    --tenant-id 00000000-0000-0000-0000-000000000000`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cf.material = key
			return runF(cmd.Context(), rt, cf)
		},
	}
	cf.register(cmd)
	cmd.Flags().StringVar(&key.KeyID, "key-id", "", "key identifier URL without version (required)")
	addAzureVaultFlags(cmd, &key, " (required)")
	for _, name := range []string{"key-id", "key-vault-id", "tenant-id"} {
		_ = cmd.MarkFlagRequired(name)
	}
	return cmd
}

func newCreateGCPCmd(rt *runtime, runF func(context.Context, *runtime, createOptions) error) *cobra.Command {
	var (
		cf  createOptions
		key wrapper.GCPKey
	)
	cmd := &cobra.Command{
		Use:     "gcp --key-id ID",
		Short:   "Register a Google Cloud KMS key",
		Example: "  byokctl create gcp --key-id projects/p/locations/us-central1/keyRings/r/cryptoKeys/k",
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cf.material = key
			return runF(cmd.Context(), rt, cf)
		},
	}
	cf.register(cmd)
	cmd.Flags().StringVar(&key.KeyID, "key-id", "", "Cloud KMS key id, of the key or of one of its versions (required)")
	_ = cmd.MarkFlagRequired("key-id")
	return cmd
}

func (cf *createOptions) register(cmd *cobra.Command) {
	withFormats(cmd, formatHuman, formatJSON, formatYAML)
	cmd.Flags().StringVar(&cf.displayName, "display-name", "", "human-readable name of the key")
	cmd.Flags().BoolVar(&cf.wait, "wait", false, "wait for the validation to complete (see byokctl wait)")
}

// runCreate registers cf.material (the AWSKey, AzureKey or GCPKey the flags
// filled), tells on stderr what to grant, and with --wait waits for the
// validation.
func runCreate(ctx context.Context, rt *runtime, cf createOptions) error {
	material, notes, err := checkMaterial(cf.material)
	var bad *inputError
	if errors.As(err, &bad) {
		return usagef("%s %s", bad.flag(), bad.Msg)
	}
	if err != nil {
		return &usageError{err}
	}
	for _, note := range notes {
		rt.infof("note: %s", note)
	}
	if cf.grants != nil {
		if err := confirmable(rt, changingPolicy(), cf.grants.force); err != nil {
			return err
		}
	}
	def := defaultTimeout
	if cf.wait {
		def = defaultWaitTimeout
	}
	return rt.call(ctx, def, func(ctx context.Context, client *wrapper.Client) error {
		return createKey(ctx, rt, client, cf, material)
	})
}

// createKey is runCreate once the input is checked: the create, the grants
// and the wait, with a client and within the time limit.
func createKey(ctx context.Context, rt *runtime, client *wrapper.Client, cf createOptions, material wrapper.KeyMaterial) error {
	if cf.grants != nil {
		if err := preflightGrants(ctx, rt, material, *cf.grants); err != nil {
			return err
		}
	}
	key, resp, err := client.CreateKey(ctx, wrapper.CreateKeyRequest{Key: api.Key{DisplayName: cf.displayName}, Material: material})
	if errors.Is(err, wrapper.ErrOutcomeUnknown) {
		err = &createOutcomeUnknown{err: err, ref: wrapper.Key{Material: material}.Identifier()}
	}
	if err != nil {
		return err
	}
	if err := checkCreated(material, *key); err != nil {
		return err
	}
	// The request id names the create in the server's logs: worth keeping
	// in an audit trail.
	if resp.RequestID != "" {
		rt.infof("created %s (request id %s)", clean(key.ID), clean(resp.RequestID))
	} else {
		rt.infof("created %s", clean(key.ID))
	}
	if cf.grants == nil {
		printGrantsHint(rt, *key)
	} else if err := applyCreatedGrants(ctx, rt, *key, *cf.grants); err != nil {
		return err
	}
	if !cf.wait {
		rt.infof("its validation has begun; follow it with: byokctl wait %s", shellQuote(clean(key.ID)))
		return printKey(rt, *key)
	}
	waited, err := waitForValidation(ctx, rt, client, key.ID)
	var invalid *wrapper.ValidationError
	switch {
	case err == nil:
		key = waited
	case errors.As(err, &invalid):
		key = &invalid.Key
	}
	if perr := printKey(rt, *key); perr != nil {
		return perr
	}
	return err
}

// createOutcomeUnknown is a create that may have been carried out (its answer
// was lost, or a gateway answered 502 or 504). Its message says so and gives
// the command that looks for the key, so that the user does not create it
// twice.
type createOutcomeUnknown struct {
	err error
	ref string // the key's ARN or key id, as --key of byokctl list takes it
}

func (e *createOutcomeUnknown) Error() string { return e.describe() }
func (e *createOutcomeUnknown) Unwrap() error { return e.err }

// describe returns the error in one line: the library's whole account (what
// the server or the gateway said, and for a call that gave up retrying,
// after how many attempts and why it stopped), that the key may exist, and
// how to look for it, said once.
func (e *createOutcomeUnknown) describe() string {
	msg := withoutListAdvice(clean(strings.TrimPrefix(e.err.Error(), "byok: "))) + "; " + listAdvice
	if e.ref == "" {
		return msg + ": byokctl list"
	}
	return msg + ": byokctl list --key " + shellQuote(clean(e.ref))
}

// listAdvice is what the library says after a create of unknown outcome.
const listAdvice = "the key may have been created, list the keys before creating it again"

// withoutListAdvice returns msg without the library's listAdvice, wherever
// in msg the library put it (after the create's error, or inside the
// account of a call that gave up), so that the caller says it once, or not
// at all when it has listed the keys already.
func withoutListAdvice(msg string) string {
	return strings.ReplaceAll(msg, "; "+listAdvice, "")
}

// providerInAnyCase returns args with the provider of create in lower case
// (create AWS is create aws), leaving every other argument as it is. The
// provider is the argument that, in lower case, makes cobra find a create
// subcommand where it found create itself.
func providerInAnyCase(root *cobra.Command, args []string) []string {
	cmd, _, err := root.Find(args)
	if err != nil || cmd.Name() != "create" || cmd.Parent() != root {
		return args
	}
	for i, a := range args {
		lower := strings.ToLower(a)
		if lower == a {
			continue
		}
		try := slices.Clone(args)
		try[i] = lower
		if sub, _, err := root.Find(try); err == nil && sub.Parent() == cmd {
			return try
		}
	}
	return args
}
