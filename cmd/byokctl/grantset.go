package main

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"strings"

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
