package main

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/byokctl/byok/wrapper"
)

// The checks below are made on the cloud identifiers of a key before any
// request is sent, for create's flags and for the entries of a keys file
// alike. They catch what the API would refuse or, worse, accept and then
// fail to validate: an alias ARN, a versioned Azure key id. grants checks
// the values of the server's answer it prints in a command with the same
// rules, and the principals with those below.

// inputError is a cloud identifier that is not of the expected form. Field
// is the API's name of the field ("key_arn"); create reports it as its flag
// (--key-arn), a keys file by the field's own name.
type inputError struct {
	Field string
	Msg   string
}

func (e *inputError) Error() string { return e.Field + ": " + e.Msg }

// flag returns the create flag that sets the field: the API name with
// dashes.
func (e *inputError) flag() string { return "--" + strings.ReplaceAll(e.Field, "_", "-") }

var (
	// arn:<partition>:kms:<region>:<account>:key/<id>; the id is a UUID or
	// a multi-Region key id (mrk-…).
	awsKeyARN   = regexp.MustCompile(`^arn:(aws[a-z-]*):kms:([a-z0-9-]+):([0-9]{12}):key/([A-Za-z0-9-]+)$`) // partition, region, account, key id
	awsAliasARN = regexp.MustCompile(`^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:alias/.+$`)

	// https://<vault>.vault.azure.net/keys/<name>[/<version>], also in the
	// sovereign clouds and on a managed HSM. The scheme and the host are
	// case-insensitive, as in any URL.
	azureKeyID = regexp.MustCompile(`^(?i:https)://((?i)[a-z0-9-]{3,24}\.(?:vault\.azure\.net|vault\.azure\.cn|vault\.usgovcloudapi\.net|vault\.microsoftazure\.de|managedhsm\.azure\.net))(:443)?/keys/([A-Za-z0-9-]{1,127})(/([0-9A-Fa-f]{32}))?/?$`)
	uuidForm   = regexp.MustCompile(`^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$`)
	// /subscriptions/<uuid>/resourceGroups/<group>/providers/Microsoft.KeyVault/vaults/<name>
	// (or managedHSMs/<name>); Azure's resource paths are case-insensitive.
	// A resource group's name is letters, digits and _ - . ( ).
	azureVaultID = regexp.MustCompile(`(?i)^/subscriptions/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/resourceGroups/[-\w.()]+/providers/Microsoft\.KeyVault/(vaults|managedHSMs)/[A-Za-z0-9-]{3,24}$`)

	// The resource name of a Cloud KMS key, optionally of one of its
	// versions: projects/<p>/locations/<l>/keyRings/<r>/cryptoKeys/<k>
	// [/cryptoKeyVersions/<n>]. A project is its id (lower case, digits,
	// hyphens; "example.com:p" for a domain-scoped one) or its number; key
	// rings and keys are letters, digits, _ and -; a version is a number.
	gcpKeyID = regexp.MustCompile(`^projects/([a-z0-9](?:[a-z0-9.:-]*[a-z0-9])?)/locations/([a-z][a-z0-9-]*)/keyRings/([A-Za-z0-9_-]+)/cryptoKeys/([A-Za-z0-9_-]+)(?:/cryptoKeyVersions/([1-9][0-9]*))?$`)

	// An IAM role: arn:<partition>:iam::<account>:role/[<path>/]<name>.
	awsRoleARN = regexp.MustCompile(`^arn:aws[a-z-]*:iam::[0-9]{12}:role/(?:[A-Za-z0-9+=,.@_-]+/)*[A-Za-z0-9+=,.@_-]+$`)

	// The email address of a Google group: a local part of letters, digits
	// and . _ + -, a domain of dot-separated labels.
	groupEmail = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._+-]*@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$`)
)

// checkMaterial checks the identifiers of key material to register and
// returns the material as the API wants it, with a notice for each change it
// made (an Azure key id's version stripped). A value of the wrong form is an
// *inputError. Material of another kind is returned as it is.
func checkMaterial(m wrapper.KeyMaterial) (wrapper.KeyMaterial, []string, error) {
	switch m := m.(type) {
	case wrapper.AWSKey:
		return m, nil, checkAWSKeyARN(m.KeyARN)
	case wrapper.AzureKey:
		id, stripped, err := normalizeAzureKeyID(m.KeyID)
		if err != nil {
			return m, nil, err
		}
		if err := checkTenantID(m.TenantID); err != nil {
			return m, nil, err
		}
		if err := checkKeyVaultID(m.KeyVaultID); err != nil {
			return m, nil, err
		}
		if err := checkVaultOfKey(id, m.KeyVaultID); err != nil {
			return m, nil, err
		}
		var notes []string
		if stripped {
			notes = append(notes, fmt.Sprintf("using the key id without its version, %s: Confluent Cloud registers the key and uses its current version", id))
		}
		m.KeyID = id
		return m, notes, nil
	case wrapper.GCPKey:
		return m, nil, checkGCPKeyID(m.KeyID)
	}
	return m, nil, nil
}

// The forms of the key identifiers, as the messages give them.
const (
	keyARNForm     = "arn:<partition>:kms:<region>:<account>:key/<key id>"
	azureKeyIDForm = "https://<vault>.vault.azure.net/keys/<name>"
	gcpKeyIDForm   = "projects/<project>/locations/<location>/keyRings/<ring>/cryptoKeys/<key>, optionally with /cryptoKeyVersions/<version>"
)

// wantKeyARN is the form of a KMS key ARN.
const wantKeyARN = "expected " + keyARNForm

// checkAWSKeyARN checks that s is the ARN of a KMS key.
func checkAWSKeyARN(s string) error {
	const want = wantKeyARN
	switch {
	case s == "":
		return &inputError{"key_arn", "is empty; " + want}
	case awsKeyARN.MatchString(s):
		return nil
	case awsAliasARN.MatchString(s):
		return &inputError{"key_arn", fmt.Sprintf("%q is an alias ARN; register the key's own ARN, %s (aws kms describe-key --key-id %s --query KeyMetadata.Arn prints it)", s, want, shellQuote(s))}
	}
	return &inputError{"key_arn", fmt.Sprintf("%q is not a KMS key ARN; %s", s, want)}
}

// normalizeAzureKeyID checks that s is the URL of a Key Vault key and returns
// it without a version and with its host in lower case (one key has one
// reference, however its host is written), saying whether it had a version.
func normalizeAzureKeyID(s string) (id string, stripped bool, err error) {
	const want = "expected " + azureKeyIDForm
	if s == "" {
		return "", false, &inputError{"key_id", "is empty; " + want}
	}
	m := azureKeyID.FindStringSubmatch(s)
	if m == nil {
		return "", false, &inputError{"key_id", fmt.Sprintf("%q is not a Key Vault key URL; %s", s, want)}
	}
	id = "https://" + strings.ToLower(m[1]) + "/keys/" + m[3]
	return id, m[5] != "", nil
}

// checkTenantID checks that s is a UUID.
func checkTenantID(s string) error {
	if uuidForm.MatchString(s) {
		return nil
	}
	return &inputError{"tenant_id", fmt.Sprintf("%q is not a tenant id; expected a UUID such as 00000000-0000-0000-0000-000000000000", s)}
}

// checkKeyVaultID checks that s is the resource path of a Key Vault.
func checkKeyVaultID(s string) error {
	if azureVaultID.MatchString(s) {
		return nil
	}
	return &inputError{"key_vault_id", fmt.Sprintf("%q is not a Key Vault resource id; expected /subscriptions/<uuid>/resourceGroups/<group>/providers/Microsoft.KeyVault/vaults/<vault>", s)}
}

// checkApplicationID checks that s, the application of an Azure key, is a
// UUID.
func checkApplicationID(s string) error {
	if uuidForm.MatchString(s) {
		return nil
	}
	return &inputError{"application_id", fmt.Sprintf("%q is not an application id; expected a UUID such as 00000000-0000-0000-0000-000000000000", s)}
}

// checkVaultOfKey checks that vaultID, the resource id of a Key Vault, names
// the vault of keyID, a Key Vault key URL: the vault's name is the first
// label of the key's host. Both are checked already.
func checkVaultOfKey(keyID, vaultID string) error {
	m := azureKeyID.FindStringSubmatch(keyID)
	if m == nil {
		return &inputError{"key_vault_id", fmt.Sprintf("%q is not the vault of key %s", vaultID, keyID)}
	}
	vault, want := vaultID[strings.LastIndex(vaultID, "/")+1:], m[1][:strings.Index(m[1], ".")]
	if !strings.EqualFold(vault, want) {
		return &inputError{"key_vault_id", fmt.Sprintf("%q is not the vault of key %s, which is in vault %s", vaultID, keyID, want)}
	}
	return nil
}

// wantRole is the form of an IAM role ARN.
const wantRole = "expected an IAM role, arn:<partition>:iam::<account>:role/<name>"

// checkRoleARN checks that s, a principal of an AWS key, is an IAM role.
func checkRoleARN(s string) error {
	switch {
	case s == "*":
		return &inputError{"roles", `"*" is every AWS principal, not an IAM role; ` + wantRole}
	case awsRoleARN.MatchString(s):
		return nil
	}
	return &inputError{"roles", fmt.Sprintf("%q is not an IAM role ARN; %s", s, wantRole)}
}

// checkGroupEmail checks that s, the Google group of a GCP key, is an email
// address.
func checkGroupEmail(s string) error {
	if groupEmail.MatchString(s) {
		return nil
	}
	return &inputError{"security_group", fmt.Sprintf("%q is not the email address of a Google group; expected one such as group@example.com", s)}
}

// gcpKeyName is a Cloud KMS key id in its parts.
type gcpKeyName struct {
	project, location, keyRing, key string
	version                         string // "" when the id names the key itself
}

// parseGCPKeyID returns the parts of the Cloud KMS key id s, which may name
// a version of the key; ok is false when s is not a key id.
func parseGCPKeyID(s string) (n gcpKeyName, ok bool) {
	m := gcpKeyID.FindStringSubmatch(s)
	if m == nil {
		return n, false
	}
	return gcpKeyName{project: m[1], location: m[2], keyRing: m[3], key: m[4], version: m[5]}, true
}

// cryptoKey returns the resource name of the key, without a version: what
// a key id is matched by and what IAM roles are granted on.
func (n gcpKeyName) cryptoKey() string {
	return "projects/" + n.project + "/locations/" + n.location + "/keyRings/" + n.keyRing + "/cryptoKeys/" + n.key
}

// checkGCPKeyID checks that s names a Cloud KMS key or one of its versions.
// Either is registered as given, as the API takes it.
func checkGCPKeyID(s string) error {
	const want = "expected " + gcpKeyIDForm
	if s == "" {
		return &inputError{"key_id", "is empty; " + want}
	}
	if _, ok := parseGCPKeyID(s); ok {
		return nil
	}
	return &inputError{"key_id", fmt.Sprintf("%q is not a Cloud KMS key id; %s", s, want)}
}

// keyOfForm returns the key material that key names by its form alone, as
// confluent byok create tells it: an AWS KMS key ARN, an Azure Key Vault
// key URL (whose vault and tenant are in azure), or a Cloud KMS key id. Each
// form is the rule above that checks it; a key of none of them (or, were the
// rules ever to overlap, of more than one) is an *inputError naming the
// three.
func keyOfForm(key string, azure wrapper.AzureKey) (wrapper.KeyMaterial, error) {
	var forms []wrapper.KeyMaterial
	if awsKeyARN.MatchString(key) || awsAliasARN.MatchString(key) {
		forms = append(forms, wrapper.AWSKey{KeyARN: key})
	}
	if azureKeyID.MatchString(key) {
		azure.KeyID = key
		forms = append(forms, azure)
	}
	if gcpKeyID.MatchString(key) {
		forms = append(forms, wrapper.GCPKey{KeyID: key})
	}
	if len(forms) != 1 {
		return nil, &inputError{"key", fmt.Sprintf("%q is neither a provider (aws, azure or gcp) nor a key of a form byokctl knows: "+
			"an AWS KMS key ARN (%s), an Azure Key Vault key URL (%s) or a Cloud KMS key id (%s)", key, keyARNForm, azureKeyIDForm, gcpKeyIDForm)}
	}
	if aws, ok := forms[0].(wrapper.AWSKey); ok {
		if err := checkAWSKeyARN(aws.KeyARN); err != nil {
			return nil, err
		}
	}
	return forms[0], nil
}
