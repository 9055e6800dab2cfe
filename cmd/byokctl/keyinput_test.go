package main

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/byokctl/byok/wrapper"
)

func TestCheckAWSKeyARN(t *testing.T) {
	tests := []struct {
		in   string
		want string // a part of the message; "" for a valid ARN
	}{
		{exampleARN, ""},
		{"arn:aws:kms:eu-west-1:111122223333:key/mrk-1234abcd12ab34cd56ef1234567890ab", ""},
		{"arn:aws-us-gov:kms:us-gov-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab", ""},
		{"arn:aws-cn:kms:cn-north-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab", ""},
		{"", "is empty; expected arn:<partition>:kms:"},
		{"not-an-arn", `"not-an-arn" is not a KMS key ARN; expected arn:<partition>:kms:<region>:<account>:key/<key id>`},
		{"arn:aws:kms:us-west-2:111122223333:alias/billing", `is an alias ARN; register the key's own ARN`},
		{"arn:aws:kms:us-west-2:1111:key/1234", "is not a KMS key ARN"},                // short account
		{"arn:aws:s3:::bucket", "is not a KMS key ARN"},                                // another service
		{"1234abcd-12ab-34cd-56ef-1234567890ab", "is not a KMS key ARN"},               // a bare key id
		{" " + exampleARN, "is not a KMS key ARN"},                                     // a stray space
		{exampleARN + "/", "is not a KMS key ARN"},                                     // a trailing slash
		{"arn:aws:kms:us-west-2:111122223333:key/", "is not a KMS key ARN"},            // no key id
		{"arn:aws:kms:us-west-2:111122223333:key/a b", "is not a KMS key ARN"},         // a space in the id
		{"ARN:AWS:KMS:US-WEST-2:111122223333:KEY/1234", "is not a KMS key ARN"},        // ARNs are lower case
		{"arn:aws:kms:us-west-2:111122223333:key/1234\x1b[2J", "is not a KMS key ARN"}, // an escape
		{"arn:aws:kms:us-west-2:111122223333:key/1234\nmore", "is not a KMS key ARN"},  // a line break
		{"arn:aws:kms:us-west-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab ", "is not a KMS key ARN"},
	}
	for _, tt := range tests {
		err := checkAWSKeyARN(tt.in)
		checkInputError(t, "checkAWSKeyARN", tt.in, err, "key_arn", tt.want)
	}
	// The alias hint gives the command that finds the key's ARN, quoted.
	err := checkAWSKeyARN("arn:aws:kms:us-west-2:111122223333:alias/my key")
	if err == nil || !strings.Contains(err.Error(), "aws kms describe-key --key-id 'arn:aws:kms:us-west-2:111122223333:alias/my key' --query KeyMetadata.Arn") {
		t.Errorf("alias ARN: %v", err)
	}
}

func TestNormalizeAzureKeyID(t *testing.T) {
	const version = "0123456789abcdef0123456789abcdef"
	tests := []struct {
		in       string
		id       string // the id returned
		stripped bool
		want     string // a part of the message; "" for a valid id
	}{
		{exampleAzureKey, exampleAzureKey, false, ""},
		{exampleAzureKey + "/", exampleAzureKey, false, ""},
		{exampleAzureKey + "/" + version, exampleAzureKey, true, ""},
		{exampleAzureKey + "/" + version + "/", exampleAzureKey, true, ""},
		{"https://vault-name.vault.azure.net:443/keys/key-name", exampleAzureKey, false, ""},
		{"https://hsm-name.managedhsm.azure.net/keys/k1", "https://hsm-name.managedhsm.azure.net/keys/k1", false, ""},
		{"https://vault-name.vault.azure.cn/keys/key-name", "https://vault-name.vault.azure.cn/keys/key-name", false, ""},
		// The host is case-insensitive and comes back in lower case; the
		// key name is kept as written.
		{"HTTPS://Vault-Name.VAULT.Azure.NET/keys/key-name", exampleAzureKey, false, ""},
		{"https://VAULT-NAME.vault.azure.net/keys/Key-Name/" + version, "https://vault-name.vault.azure.net/keys/Key-Name", true, ""},
		{"", "", false, "is empty; expected https://<vault>.vault.azure.net/keys/<name>"},
		{"http://vault-name.vault.azure.net/keys/key-name", "", false, "is not a Key Vault key URL"},
		{"https://vault-name.vault.azure.net/secrets/key-name", "", false, "is not a Key Vault key URL"},
		{"https://vault-name.example.com/keys/key-name", "", false, "is not a Key Vault key URL"},
		{"https://vault-name.vault.azure.net/keys/", "", false, "is not a Key Vault key URL"},
		{"https://vault-name.vault.azure.net/keys/key-name/not-a-version", "", false, "is not a Key Vault key URL"},
		{"https://vault-name.vault.azure.net/keys/key_name", "", false, "is not a Key Vault key URL"},
		{"https://v.vault.azure.net/keys/key-name", "", false, "is not a Key Vault key URL"}, // vault names have 3 to 24 characters
		{"vault-name.vault.azure.net/keys/key-name", "", false, "is not a Key Vault key URL"},
		{exampleAzureKey + "?api-version=7.4", "", false, "is not a Key Vault key URL"},
	}
	for _, tt := range tests {
		id, stripped, err := normalizeAzureKeyID(tt.in)
		checkInputError(t, "normalizeAzureKeyID", tt.in, err, "key_id", tt.want)
		if err == nil && (id != tt.id || stripped != tt.stripped) {
			t.Errorf("normalizeAzureKeyID(%q) = %q, %v; want %q, %v", tt.in, id, stripped, tt.id, tt.stripped)
		}
	}
}

func TestCheckAzureIDs(t *testing.T) {
	for _, tt := range []struct {
		in, want string
	}{
		{exampleTenant, ""},
		{"8F5E2B1C-3D4A-4B6E-9F0A-1C2D3E4F5A6B", ""},
		{"", `"" is not a tenant id; expected a UUID`},
		{"contoso.onmicrosoft.com", "is not a tenant id"},
		{"00000000-0000-0000-0000-00000000000", "is not a tenant id"},
		{"{00000000-0000-0000-0000-000000000000}", "is not a tenant id"},
	} {
		checkInputError(t, "checkTenantID", tt.in, checkTenantID(tt.in), "tenant_id", tt.want)
	}
	for _, tt := range []struct {
		in, want string
	}{
		{exampleAzureVault, ""},
		{"/subscriptions/8f5e2b1c-3d4a-4b6e-9f0a-1c2d3e4f5a6b/resourcegroups/my.rg_1/providers/microsoft.keyvault/vaults/kv-1", ""},
		{"/subscriptions/8f5e2b1c-3d4a-4b6e-9f0a-1c2d3e4f5a6b/resourceGroups/rg(1)/providers/Microsoft.KeyVault/vaults/kv-1", ""},
		{"/subscriptions/8f5e2b1c-3d4a-4b6e-9f0a-1c2d3e4f5a6b", "is not a Key Vault resource id"},
		{"/subscriptions/8f5e2b1c-3d4a-4b6e-9f0a-1c2d3e4f5a6b/resourceGroups/rg'/providers/Microsoft.KeyVault/vaults/kv-1", "is not a Key Vault resource id"},
		{`/subscriptions/8f5e2b1c-3d4a-4b6e-9f0a-1c2d3e4f5a6b/resourceGroups/rg\/providers/Microsoft.KeyVault/vaults/kv-1`, "is not a Key Vault resource id"},
		{"/subscriptions/8f5e2b1c-3d4a-4b6e-9f0a-1c2d3e4f5a6b/resourceGroups/$(id)/providers/Microsoft.KeyVault/vaults/kv-1", "is not a Key Vault resource id"},
		{"/subscriptions/8f5e2b1c-3d4a-4b6e-9f0a-1c2d3e4f5a6b/resourceGroups/rg/providers/Microsoft.KeyVault/managedHSMs/hsm-1", ""},
		{"", "is not a Key Vault resource id; expected /subscriptions/<uuid>/resourceGroups/<group>/providers/Microsoft.KeyVault/vaults/<vault>"},
		{"/subscriptions/s/resourceGroups/g/providers/Microsoft.KeyVault/vaults/leak", "is not a Key Vault resource id"},
		{"vault-name", "is not a Key Vault resource id"},
		{exampleAzureVault + "/keys/key-name", "is not a Key Vault resource id"},
		{"/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/sa", "is not a Key Vault resource id"},
	} {
		checkInputError(t, "checkKeyVaultID", tt.in, checkKeyVaultID(tt.in), "key_vault_id", tt.want)
	}
}

func TestCheckGCPKeyID(t *testing.T) {
	for _, tt := range []struct {
		in, want string
	}{
		{exampleGCPKey, ""},
		{"projects/my-project/locations/global/keyRings/ring_1/cryptoKeys/key-1", ""},
		{"", "is empty; expected projects/<project>/locations/<location>/keyRings/<ring>/cryptoKeys/<key>, optionally with /cryptoKeyVersions/<version>"},
		{exampleGCPKey + "/cryptoKeyVersions/1", ""},
		{exampleGCPKey + "/cryptoKeyVersions/3", ""},
		{"projects/123456789012/locations/europe-west1/keyRings/r/cryptoKeys/-k", ""},
		{"projects/example.com:p/locations/global/keyRings/r/cryptoKeys/k", ""},
		{exampleGCPKey + "/cryptoKeyVersions/", "is not a Cloud KMS key id"},
		{exampleGCPKey + "/cryptoKeyVersions/0", "is not a Cloud KMS key id"},
		{exampleGCPKey + "/cryptoKeyVersions/3/", "is not a Cloud KMS key id"},
		{exampleGCPKey + "/cryptoKeyVersions/3;x", "is not a Cloud KMS key id"},
		{"projects/-p/locations/l/keyRings/r/cryptoKeys/k", "is not a Cloud KMS key id"},
		{"projects/p/locations/l/keyRings/r/cryptoKeys/k'", "is not a Cloud KMS key id"},
		{`projects/p/locations/l/keyRings/r\'/cryptoKeys/k`, "is not a Cloud KMS key id"},
		{"projects/p/locations/l/keyRings/$(id)/cryptoKeys/k", "is not a Cloud KMS key id"},
		{"projects/P/locations/l/keyRings/r/cryptoKeys/k", "is not a Cloud KMS key id"},
		{"projects/p/locations/l/keyRings/r", "is not a Cloud KMS key id"},
		{"/" + exampleGCPKey, "is not a Cloud KMS key id"},
		{exampleGCPKey + "/", "is not a Cloud KMS key id"},
		{"projects/p/locations/l/keyRings/r/cryptoKeys/k k", "is not a Cloud KMS key id"},
		{"//cloudkms.googleapis.com/" + exampleGCPKey, "is not a Cloud KMS key id"},
		{"testbyokkey", "is not a Cloud KMS key id"},
	} {
		checkInputError(t, "checkGCPKeyID", tt.in, checkGCPKeyID(tt.in), "key_id", tt.want)
	}
}

func TestCheckMaterial(t *testing.T) {
	versioned := exampleAzureKey + "/0123456789abcdef0123456789abcdef"
	azure := wrapper.AzureKey{KeyID: versioned, KeyVaultID: exampleAzureVault, TenantID: exampleTenant}
	got, notes, err := checkMaterial(azure)
	if err != nil {
		t.Fatal(err)
	}
	want := azure
	want.KeyID = exampleAzureKey
	if !reflect.DeepEqual(got, want) {
		t.Errorf("checkMaterial(%+v) = %+v, want %+v", azure, got, want)
	}
	if len(notes) != 1 || !strings.Contains(notes[0], "without its version, "+exampleAzureKey) {
		t.Errorf("notes %q, want one saying the version was stripped", notes)
	}

	for _, tt := range []struct {
		m     wrapper.KeyMaterial
		field string // "" for valid material
	}{
		{wrapper.AWSKey{KeyARN: exampleARN}, ""},
		{wrapper.AWSKey{}, "key_arn"},
		{wrapper.AzureKey{KeyID: exampleAzureKey, KeyVaultID: exampleAzureVault, TenantID: exampleTenant}, ""},
		{wrapper.AzureKey{KeyID: "x", KeyVaultID: exampleAzureVault, TenantID: exampleTenant}, "key_id"},
		{wrapper.AzureKey{KeyID: exampleAzureKey, KeyVaultID: exampleAzureVault, TenantID: "x"}, "tenant_id"},
		{wrapper.AzureKey{KeyID: exampleAzureKey, KeyVaultID: "x", TenantID: exampleTenant}, "key_vault_id"},
		{wrapper.AzureKey{KeyID: exampleAzureKey, KeyVaultID: strings.Replace(exampleAzureVault, "vault-name", "vault-nam", 1), TenantID: exampleTenant}, "key_vault_id"},
		{wrapper.GCPKey{KeyID: exampleGCPKey}, ""},
		{wrapper.GCPKey{KeyID: "x"}, "key_id"},
		{wrapper.UnknownKey{Raw: json.RawMessage(`{"kind":"OciKey"}`)}, ""}, // passed on as it is
	} {
		got, notes, err := checkMaterial(tt.m)
		checkInputError(t, "checkMaterial", tt.m, err, tt.field, "")
		if err == nil && (!reflect.DeepEqual(got, tt.m) || len(notes) != 0) {
			t.Errorf("checkMaterial(%+v) = %+v, %q; want it unchanged, without notes", tt.m, got, notes)
		}
	}
}

// checkInputError checks that err is nil when want is "" (and field is ""
// or want is ""), else an *inputError of field whose message contains want.
func checkInputError(t *testing.T, fn string, in any, err error, field, want string) {
	t.Helper()
	valid := want == "" && (fn != "checkMaterial" || field == "")
	if valid {
		if err != nil {
			t.Errorf("%s(%q): %v, want no error", fn, in, err)
		}
		return
	}
	var bad *inputError
	if !errors.As(err, &bad) {
		t.Errorf("%s(%q) = %v, want an *inputError", fn, in, err)
		return
	}
	if bad.Field != field || !strings.Contains(bad.Msg, want) {
		t.Errorf("%s(%q) = %s: %s; want field %s and a message containing %q", fn, in, bad.Field, bad.Msg, field, want)
	}
}

// TestCreateChecksInput checks that create refuses malformed identifiers as
// usage errors, naming the flag, before any request; and that it registers
// an Azure key without its version, saying so on stderr.
func TestCreateChecksInput(t *testing.T) {
	f := newFixture(t)
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"create", "aws", "--key-arn", "not-an-arn"},
			`--key-arn "not-an-arn" is not a KMS key ARN; expected arn:<partition>:kms:<region>:<account>:key/<key id>`},
		{[]string{"create", "aws", "--key-arn", ""}, "--key-arn is empty; expected arn:<partition>:kms:<region>:<account>:key/<key id>"},
		{[]string{"create", "aws", "--key-arn", "arn:aws:kms:us-west-2:111122223333:alias/billing"}, `--key-arn "arn:aws:kms:us-west-2:111122223333:alias/billing" is an alias ARN`},
		{[]string{"create", "azure", "--key-id", "https://vault-name.vault.azure.net/secrets/s", "--key-vault-id", exampleAzureVault, "--tenant-id", exampleTenant},
			`--key-id "https://vault-name.vault.azure.net/secrets/s" is not a Key Vault key URL`},
		{[]string{"create", "azure", "--key-id", exampleAzureKey, "--key-vault-id", exampleAzureVault, "--tenant-id", "contoso"},
			`--tenant-id "contoso" is not a tenant id; expected a UUID`},
		{[]string{"create", "azure", "--key-id", exampleAzureKey, "--key-vault-id", "vault-name", "--tenant-id", exampleTenant},
			`--key-vault-id "vault-name" is not a Key Vault resource id`},
		{[]string{"create", "azure", "--key-id", exampleAzureKey, "--key-vault-id", strings.Replace(exampleAzureVault, "vault-name", "other-vault", 1), "--tenant-id", exampleTenant},
			`--key-vault-id "` + strings.Replace(exampleAzureVault, "vault-name", "other-vault", 1) + `" is not the vault of key ` + exampleAzureKey + `, which is in vault vault-name`},
		{[]string{"create", "gcp", "--key-id", exampleGCPKey + "/cryptoKeyVersions/x"}, "--key-id " + `"` + exampleGCPKey + `/cryptoKeyVersions/x" is not a Cloud KMS key id`},
	} {
		r := f.run(tt.args...)
		expect(t, r, exitUsage)
		if !strings.HasPrefix(r.stderr, "byokctl: "+tt.want) || !strings.HasSuffix(r.stderr, "Run 'byokctl "+strings.Join(tt.args[:2], " ")+" --help' for usage.\n") {
			t.Errorf("byokctl %s: stderr\n%s\nwant it to start with %q", strings.Join(tt.args, " "), r.stderr, tt.want)
		}
		if r.stdout != "" {
			t.Errorf("stdout %q, want nothing", r.stdout)
		}
	}
	if n := len(f.srv.Requests()); n != 0 {
		t.Errorf("malformed identifiers sent %d requests", n)
	}

	r := f.run("create", "azure", "--key-id", exampleAzureKey+"/0123456789abcdef0123456789abcdef",
		"--key-vault-id", exampleAzureVault, "--tenant-id", exampleTenant, "-o", "json")
	expect(t, r, exitOK)
	if !strings.HasPrefix(r.stderr, "note: using the key id without its version, "+exampleAzureKey+":") {
		t.Errorf("stderr does not start with the notice of the stripped version:\n%s", r.stderr)
	}
	if !strings.Contains(r.stdout, `"key_id": "`+exampleAzureKey+`"`) {
		t.Errorf("the key registered is not %s:\n%s", exampleAzureKey, r.stdout)
	}
}

// TestCreateProviderInAnyCase checks that create takes its provider in any
// case, wherever it stands among the flags.
func TestCreateProviderInAnyCase(t *testing.T) {
	f := newFixture(t)
	for _, args := range [][]string{
		{"create", "AWS", "--key-arn", exampleARN},
		{"--timeout", "30s", "create", "Azure", "--key-id", exampleAzureKey, "--key-vault-id", exampleAzureVault, "--tenant-id", exampleTenant},
		{"create", "--display-name", "GCP", "gCp", "--key-id", exampleGCPKey},
	} {
		r := f.run(args...)
		expect(t, r, exitOK)
	}
	if f.srv.Len() != 3 {
		t.Errorf("%d keys created, want 3", f.srv.Len())
	}
	r := f.run("create", "OCI", "--key-id", "x")
	expect(t, r, exitUsage)
	if !strings.HasPrefix(r.stderr, `byokctl: "OCI" is neither a provider (aws, azure or gcp) nor a key of a form byokctl knows: `+keyForms+"\n") {
		t.Errorf("create OCI: %s", r.stderr)
	}
}

// TestCreateChecksAnswer: create compares the key material of the answer
// with what it sent, and fails (exit 1, nothing granted, no key printed)
// when the server answered about other key material. A GCP id answered
// with or without a version names the key sent; another version does not.
func TestCreateChecksAnswer(t *testing.T) {
	const otherVault = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/vault-name2"
	aws := []string{"aws", "--key-arn", exampleARN}
	azure := []string{"azure", "--key-id", exampleAzureKey, "--key-vault-id", exampleAzureVault, "--tenant-id", exampleTenant}
	azureAnswer := func(keyID, vault, tenant string) map[string]any {
		return map[string]any{"kind": "AzureKey", "key_id": keyID, "key_vault_id": vault, "tenant_id": tenant, "application_id": exampleApp}
	}
	gcpAnswer := func(keyID string) map[string]any {
		return map[string]any{"kind": "GcpKey", "key_id": keyID, "security_group": "g@example.com"}
	}
	for _, c := range []struct {
		name   string
		args   []string
		answer map[string]any
		want   string // the mismatch; "" when the answer is the key sent
	}{
		{"aws", aws, map[string]any{"kind": "AwsKey", "key_arn": exampleARN, "roles": []any{"arn:aws:iam::111122223333:role/r"}}, ""},
		{"aws other ARN", aws, map[string]any{"kind": "AwsKey", "key_arn": strings.Replace(exampleARN, "1234abcd", "9999abcd", 1), "roles": []any{"arn:aws:iam::111122223333:role/r"}},
			`key_arn is "` + strings.Replace(exampleARN, "1234abcd", "9999abcd", 1) + `", not the "` + exampleARN + `" sent`},
		{"aws answered as gcp", aws, gcpAnswer(exampleGCPKey), `kind is "GcpKey", not the "AwsKey" sent`},
		{"azure", azure, azureAnswer(exampleAzureKey, exampleAzureVault, exampleTenant), ""},
		{"azure in other cases", azure, azureAnswer(strings.Replace(exampleAzureKey, "vault-name", "VAULT-NAME", 1), strings.ToLower(exampleAzureVault), exampleTenant), ""},
		{"azure other key", azure, azureAnswer(exampleAzureKey+"2", exampleAzureVault, exampleTenant), `key_id is "` + exampleAzureKey + `2", not the`},
		{"azure other vault", azure, azureAnswer(exampleAzureKey, otherVault, exampleTenant), `key_vault_id is "` + otherVault + `", not the`},
		{"azure other tenant", azure, azureAnswer(exampleAzureKey, exampleAzureVault, exampleApp), `tenant_id is "` + exampleApp + `", not the`},
		{"gcp version", []string{"gcp", "--key-id", exampleGCPKey + "/cryptoKeyVersions/3"}, gcpAnswer(exampleGCPKey + "/cryptoKeyVersions/3"), ""},
		{"gcp version answered without", []string{"gcp", "--key-id", exampleGCPKey + "/cryptoKeyVersions/3"}, gcpAnswer(exampleGCPKey), ""},
		{"gcp answered with a version", []string{"gcp", "--key-id", exampleGCPKey}, gcpAnswer(exampleGCPKey + "/cryptoKeyVersions/1"), ""},
		{"gcp other version", []string{"gcp", "--key-id", exampleGCPKey + "/cryptoKeyVersions/3"}, gcpAnswer(exampleGCPKey + "/cryptoKeyVersions/4"),
			`key_id is "` + exampleGCPKey + `/cryptoKeyVersions/4", not the "` + exampleGCPKey + `/cryptoKeyVersions/3" sent`},
		{"gcp other key", []string{"gcp", "--key-id", exampleGCPKey}, gcpAnswer(exampleGCPKey + "2"), `key_id is "` + exampleGCPKey + `2", not the`},
	} {
		t.Run(c.name, func(t *testing.T) {
			f, env := fixtureAnswering(t, keyJSON(t, "cck-answer", c.answer))
			r := f.runEnv(env, append([]string{"create"}, c.args...)...)
			if c.want == "" {
				expect(t, r, exitOK)
				return
			}
			expect(t, r, exitFailure)
			want := "byokctl: the server answered the create with key cck-answer, whose " + c.want
			if r.stdout != "" || !strings.HasPrefix(r.stderr, want) || !strings.Contains(r.stderr, "grant it nothing before checking it with byokctl get cck-answer") ||
				strings.Contains(r.stderr, "Confluent Cloud can use the key") {
				t.Errorf("%s\nwant no stdout, no grants, and an error starting with %q", r.transcript(), want)
			}
		})
	}
}

// TestAzureVaultOfKeyRefused: an Azure key id whose vault host is not the
// vault --key-vault-id names is refused, by create and in a keys file
// (diff and apply) alike: exit status 2, the field named, no request sent.
// The vault's name is compared in any case. (Refused since issue 18 item 5;
// this test guards it for both inputs.)
func TestAzureVaultOfKeyRefused(t *testing.T) {
	f := newFixture(t)
	other := strings.Replace(exampleAzureVault, "vault-name", "other-vault", 1)
	want := `"` + other + `" is not the vault of key ` + exampleAzureKey + `, which is in vault vault-name`
	file := writeKeysFile(t, "{provider: azure, key_id: '"+exampleAzureKey+"', key_vault_id: '"+other+"', tenant_id: '"+exampleTenant+"'}")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"create", "azure", "--key-id", exampleAzureKey, "--key-vault-id", other, "--tenant-id", exampleTenant}, "--key-vault-id " + want},
		{[]string{"diff", "-f", file}, file + ":2: key_vault_id: " + want},
		{[]string{"apply", "-f", file}, file + ":2: key_vault_id: " + want},
	} {
		r := f.run(tc.args...)
		expect(t, r, exitUsage)
		if !strings.HasPrefix(r.stderr, "byokctl: "+tc.want) {
			t.Errorf("%v: stderr\n%s\nwant it to start with %q", tc.args, r.stderr, "byokctl: "+tc.want)
		}
	}
	if n := len(f.srv.Requests()); n != 0 {
		t.Errorf("%d requests sent, want none", n)
	}
	upper := strings.Replace(exampleAzureVault, "vault-name", "VAULT-NAME", 1)
	expect(t, f.run("create", "azure", "--key-id", exampleAzureKey, "--key-vault-id", upper, "--tenant-id", exampleTenant), exitOK)
}
