package main

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/byokctl/byok/wrapper"
)

// What Confluent Cloud's principals need on a key, per cloud. These are
// functions so that no caller can change the lists.

// awsUseActions are the KMS actions of the first key-policy statement.
func awsUseActions() []string {
	return []string{"kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"}
}

// awsGrantActions are the KMS actions of the second statement: Confluent
// Cloud attaches the key to its volumes with KMS grants.
func awsGrantActions() []string {
	return []string{"kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"}
}

// azureRole is a built-in Azure role.
type azureRole struct {
	Name string `json:"name"`
	ID   string `json:"id"`
}

// azureRoles are the built-in roles to assign on the key vault.
func azureRoles() []azureRole {
	return []azureRole{
		{"Key Vault Crypto Service Encryption User", "e147488a-f6f5-4113-8e2d-b22465e65bf6"},
		{"Key Vault Reader", "21090545-7ca7-4776-b22c-e363652d74d2"},
	}
}

// gcpPermissions are the permissions of the custom role to grant on the
// key.
func gcpPermissions() []string {
	return []string{
		"cloudkms.cryptoKeyVersions.useToDecrypt",
		"cloudkms.cryptoKeyVersions.useToEncrypt",
		"cloudkms.cryptoKeys.get",
	}
}

// gcpRoleID is the id the commands give the custom GCP role.
const gcpRoleID = "confluentCloudByokKeyUser"

// awsStatement is a statement of an AWS key policy, in the policy
// language's field names.
type awsStatement struct {
	Sid       string       `json:"Sid"`
	Effect    string       `json:"Effect"`
	Principal awsPrincipal `json:"Principal"`
	Action    []string     `json:"Action"`
	Resource  string       `json:"Resource"`
}

// awsPrincipal names IAM principals by ARN.
type awsPrincipal struct {
	AWS []string `json:"AWS"`
}

// grantSet is what to grant for one key, in the form -o json and -o yaml
// print: the principals Confluent Cloud uses, what they need, and on what.
// The fields of the other clouds are empty.
type grantSet struct {
	ID         string   `json:"id"`
	Provider   string   `json:"provider"`
	Scope      string   `json:"scope"`
	Principals []string `json:"principals"`

	// AWS: the actions and the two key-policy statements.
	Actions    []string       `json:"actions,omitempty"`
	Statements []awsStatement `json:"statements,omitempty"`

	// Azure: the roles to assign on the key vault (the scope), and the
	// vault's tenant.
	Roles    []azureRole `json:"roles,omitempty"`
	TenantID string      `json:"tenant_id,omitempty"`

	// GCP: the permissions of the custom role, the member to bind, and the
	// parts of the key id (the scope).
	Permissions []string `json:"permissions,omitempty"`
	Member      string   `json:"member,omitempty"`
	Project     string   `json:"project,omitempty"`
	Location    string   `json:"location,omitempty"`
	KeyRing     string   `json:"key_ring,omitempty"`
	Key         string   `json:"key,omitempty"`
}

// errUnknownKind is returned for key material of a kind the CLI does not
// know.
var errUnknownKind = errors.New("byokctl does not know what to grant for this kind of key")

// keyPrincipals returns the principals the server created for key material:
// the IAM roles, the Azure application, the Google group. Cleaned.
func keyPrincipals(m wrapper.KeyMaterial) []string {
	var list []string
	switch m := m.(type) {
	case wrapper.AWSKey:
		list = m.Roles
	case wrapper.AzureKey:
		list = []string{m.ApplicationID}
	case wrapper.GCPKey:
		list = []string{m.SecurityGroup}
	}
	var out []string
	for _, p := range list {
		if p = clean(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// grantsFor returns what to grant for key, every value cleaned. The
// provider is the one of the key material's kind, whatever the key's
// provider field says (a server may omit it or write it in another case). A
// key whose principals the server has not set is an error; so is a kind
// the CLI does not know (errUnknownKind), and a key with a value that is
// not of the strict form the API gives it (checkGrantValues): its grants
// would be printed into shell commands and key policies.
func grantsFor(key wrapper.Key) (grantSet, error) {
	g := grantSet{ID: clean(key.ID), Provider: clean(string(key.Provider)), Principals: keyPrincipals(key.Material)}
	kind := "unknown"
	if key.Material != nil {
		kind = clean(key.Material.MaterialKind())
	}
	switch m := key.Material.(type) {
	case wrapper.AWSKey:
		g.Provider = string(wrapper.ProviderAWS)
		g.Scope = clean(m.KeyARN)
		g.Actions = append(awsUseActions(), awsGrantActions()...)
		g.Statements = awsStatements(g.ID, g.Principals)
	case wrapper.AzureKey:
		g.Provider = string(wrapper.ProviderAzure)
		g.Scope = clean(m.KeyVaultID)
		g.Roles = azureRoles()
		g.TenantID = clean(m.TenantID)
	case wrapper.GCPKey:
		g.Provider = string(wrapper.ProviderGCP)
		if n, ok := parseGCPKeyID(m.KeyID); ok {
			// The roles are granted on the key, also when it was
			// registered by one of its versions.
			g.Scope = n.cryptoKey()
			g.Project, g.Location, g.KeyRing, g.Key = n.project, n.location, n.keyRing, n.key
		}
		g.Permissions = gcpPermissions()
		if len(g.Principals) > 0 {
			g.Member = "group:" + g.Principals[0]
		}
	default:
		return g, fmt.Errorf("key %s is of kind %q: %w; see its provider's documentation, or a newer byokctl", g.ID, kind, errUnknownKind)
	}
	if len(g.Principals) == 0 {
		return g, fmt.Errorf("key %s: the server has not named the principals to grant access to yet; run byokctl grants %s again in a moment", g.ID, shellQuote(g.ID))
	}
	if key.Identifier() == "" {
		return g, fmt.Errorf("key %s: the server sent no identifier of the cloud key", g.ID)
	}
	var bad *inputError
	if errors.As(checkGrantValues(key.Material), &bad) {
		return g, fmt.Errorf("key %s: byokctl prints no grants for it: the server's %s %s", g.ID, bad.Field, bad.Msg)
	}
	return g, nil
}

// checkGrantValues checks the values of key material that grants prints in
// a command or a key policy, as the server sent them: each must have the
// strict form the API gives it (a KMS key ARN and IAM roles; a UUID for the
// application and the tenant, the resource id of the key's own vault; the
// resource name of a Cloud KMS key and a group's email address). Then no
// value holds what a shell would act on, and none starts with "-", where
// a command would read it as an option. The error is an *inputError.
func checkGrantValues(material wrapper.KeyMaterial) error {
	switch m := material.(type) {
	case wrapper.AWSKey:
		if !awsKeyARN.MatchString(m.KeyARN) {
			return &inputError{"key_arn", fmt.Sprintf("%q is not a KMS key ARN; %s", m.KeyARN, wantKeyARN)}
		}
		for _, role := range m.Roles {
			if err := checkRoleARN(role); err != nil {
				return err
			}
		}
	case wrapper.AzureKey:
		var tenant error // without a tenant, the login line is left out
		if m.TenantID != "" {
			tenant = checkTenantID(m.TenantID)
		}
		_, _, keyID := normalizeAzureKeyID(m.KeyID)
		return cmp.Or(checkApplicationID(m.ApplicationID), checkKeyVaultID(m.KeyVaultID), keyID,
			checkVaultOfKey(m.KeyID, m.KeyVaultID), tenant)
	case wrapper.GCPKey:
		if err := checkGCPKeyID(m.KeyID); err != nil {
			return err
		}
		return checkGroupEmail(m.SecurityGroup)
	}
	return nil
}

// awsStatements returns the two key-policy statements for the roles of key
// id. Their Sids name the key, so that a merge finds them again.
func awsStatements(id string, roles []string) []awsStatement {
	principal := awsPrincipal{AWS: roles}
	return []awsStatement{
		{Sid: "Allow Confluent Cloud BYOK key " + id + " to use the key", Effect: "Allow",
			Principal: principal, Action: awsUseActions(), Resource: "*"},
		{Sid: "Allow Confluent Cloud BYOK key " + id + " to manage grants", Effect: "Allow",
			Principal: principal, Action: awsGrantActions(), Resource: "*"},
	}
}

// grantsText returns the text form of what to grant for key; an error for a kind the CLI does not know.
func grantsText(key wrapper.Key) (string, error) {
	g, err := grantsFor(key)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	switch g.Provider {
	case string(wrapper.ProviderAWS):
		writeAWSText(&b, g)
	case string(wrapper.ProviderAzure):
		writeAzureText(&b, g)
	default:
		writeGCPText(&b, g)
	}
	return b.String(), nil
}

func writeAWSText(b *strings.Builder, g grantSet) {
	fmt.Fprintf(b, "# Key %s (AWS): add these two statements to the \"Statement\" list of the key policy\n", g.ID)
	fmt.Fprintf(b, "# of %s.\n", g.Scope)
	fmt.Fprintf(b, "# byokctl grants %s --policy FILE merges them into a policy for aws kms put-key-policy.\n", shellQuote(g.ID))
	var out bytes.Buffer
	_ = writeJSON(&out, g.Statements) // plain strings: cannot fail
	body := strings.TrimSpace(out.String())
	body = strings.TrimSuffix(strings.TrimPrefix(body, "["), "]")
	for _, line := range strings.Split(strings.Trim(body, "\n"), "\n") {
		b.WriteString(strings.TrimPrefix(line, "  ") + "\n")
	}
}

func writeAzureText(b *strings.Builder, g grantSet) {
	app := shellQuoteAlways(g.Principals[0])
	fmt.Fprintf(b, "# Key %s (Azure): Confluent Cloud uses application %s.\n", g.ID, g.Principals[0])
	if g.TenantID != "" {
		fmt.Fprintf(b, "# Run these in the key vault's tenant: az login --tenant %s\n", shellQuoteAlways(g.TenantID))
	}
	b.WriteString("# Create the application's service principal where it does not exist yet:\n")
	fmt.Fprintf(b, "az ad sp show --id %s --output none 2>/dev/null || az ad sp create --id %s --output none\n", app, app)
	b.WriteString("# Assign it these roles on the key vault:\n")
	for _, r := range g.Roles {
		fmt.Fprintf(b, "# %s\n", r.Name)
		fmt.Fprintf(b, "az role assignment create --assignee %s --role %s --scope %s\n",
			app, shellQuoteAlways(r.ID), shellQuoteAlways(g.Scope))
	}
}

func writeGCPText(b *strings.Builder, g grantSet) {
	project := shellQuoteAlways(g.Project)
	role := shellQuoteAlways(gcpRoleID)
	fmt.Fprintf(b, "# Key %s (GCP): Confluent Cloud uses the Google group %s.\n", g.ID, g.Principals[0])
	b.WriteString("# Create a custom role with the permissions it needs, once per project:\n")
	fmt.Fprintf(b, "gcloud iam roles describe %s --project %s >/dev/null 2>&1 || gcloud iam roles create %s --project %s --title %s --permissions %s --stage GA\n",
		role, project, role, project, shellQuoteAlways("Confluent Cloud BYOK key user"), shellQuoteAlways(strings.Join(g.Permissions, ",")))
	b.WriteString("# Grant it to the group on the key:\n")
	// The key is named by its resource name, which starts with
	// "projects/": a key's own name may start with "-".
	fmt.Fprintf(b, "gcloud kms keys add-iam-policy-binding %s --member %s --role %s\n",
		shellQuoteAlways(g.Scope), shellQuoteAlways(g.Member), shellQuoteAlways("projects/"+g.Project+"/roles/"+gcpRoleID))
}

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
		Short: "Print what to grant Confluent Cloud in AWS KMS, Azure Key Vault or Google Cloud KMS",
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
	return withFormats(cmd, formatText, formatJSON, formatYAML)
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
	if rt.output.value == formatText {
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
