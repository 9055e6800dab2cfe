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
// fail to validate: an alias ARN, a versioned Azure key id, a GCP key
// version.

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
	awsKeyARN   = regexp.MustCompile(`^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+$`)
	awsAliasARN = regexp.MustCompile(`^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:alias/.+$`)

	// https://<vault>.vault.azure.net/keys/<name>[/<version>], also in the
	// sovereign clouds and on a managed HSM. The scheme and the host are
	// case-insensitive, as in any URL.
	azureKeyID = regexp.MustCompile(`^(?i:https)://((?i)[a-z0-9-]{3,24}\.(?:vault\.azure\.net|vault\.azure\.cn|vault\.usgovcloudapi\.net|vault\.microsoftazure\.de|managedhsm\.azure\.net))(:443)?/keys/([A-Za-z0-9-]{1,127})(/([0-9A-Fa-f]{32}))?/?$`)
	uuidForm   = regexp.MustCompile(`^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$`)
	// /subscriptions/<uuid>/resourceGroups/<group>/providers/Microsoft.KeyVault/vaults/<name>
	// (or managedHSMs/<name>); Azure's resource paths are case-insensitive.
	azureVaultID = regexp.MustCompile(`(?i)^/subscriptions/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/resourceGroups/[^/\s]+/providers/Microsoft\.KeyVault/(vaults|managedHSMs)/[A-Za-z0-9-]{3,24}$`)

	// projects/<p>/locations/<l>/keyRings/<r>/cryptoKeys/<k>
	gcpKeyID        = regexp.MustCompile(`^projects/([^/\s]+)/locations/([^/\s]+)/keyRings/([^/\s]+)/cryptoKeys/([^/\s]+)$`)
	gcpKeyVersionID = regexp.MustCompile(`^(projects/[^/\s]+/locations/[^/\s]+/keyRings/[^/\s]+/cryptoKeys/[^/\s]+)/cryptoKeyVersions/[^/\s]+$`)
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

// checkAWSKeyARN checks that s is the ARN of a KMS key.
func checkAWSKeyARN(s string) error {
	const want = "expected arn:<partition>:kms:<region>:<account>:key/<key id>"
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
	const want = "expected https://<vault>.vault.azure.net/keys/<name>"
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

// checkGCPKeyID checks that s names a Cloud KMS key.
func checkGCPKeyID(s string) error {
	const want = "expected projects/<project>/locations/<location>/keyRings/<ring>/cryptoKeys/<key>"
	switch {
	case s == "":
		return &inputError{"key_id", "is empty; " + want}
	case gcpKeyID.MatchString(s):
		return nil
	}
	if m := gcpKeyVersionID.FindStringSubmatch(s); m != nil {
		return &inputError{"key_id", fmt.Sprintf("%q names a key version; register the key itself, %s", s, m[1])}
	}
	return &inputError{"key_id", fmt.Sprintf("%q is not a Cloud KMS key id; %s", s, want)}
}
