package main

import (
	"encoding/json"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/byokctl/byok/api"
	"github.com/byokctl/byok/wrapper"
)

// TestGrants checks the text form of each provider against golden files,
// and that it names every action, role id or permission with the key's own
// principals, each value quoted for the shell.
func TestGrants(t *testing.T) {
	f := newFixture(t)
	for _, c := range []struct {
		provider string
		args     []string
		want     func(k map[string]any) []string
	}{
		{"aws", []string{"aws", "--key-arn", exampleARN}, func(k map[string]any) []string {
			return append(slices.Concat(awsUseActions(), awsGrantActions()), firstRole(t, k), `"Resource": "*"`)
		}},
		{"azure", []string{"azure", "--key-id", exampleAzureKey, "--key-vault-id", exampleAzureVault, "--tenant-id", exampleTenant}, func(k map[string]any) []string {
			app := "'" + field(t, k, "key", "application_id") + "'"
			return []string{
				"az ad sp create --id " + app,
				"az role assignment create --assignee " + app + " --role 'e147488a-f6f5-4113-8e2d-b22465e65bf6' --scope '" + exampleAzureVault + "'",
				"az role assignment create --assignee " + app + " --role '21090545-7ca7-4776-b22c-e363652d74d2' --scope '" + exampleAzureVault + "'",
			}
		}},
		{"gcp", []string{"gcp", "--key-id", exampleGCPKey}, func(k map[string]any) []string {
			return []string{
				"--permissions 'cloudkms.cryptoKeyVersions.useToDecrypt,cloudkms.cryptoKeyVersions.useToEncrypt,cloudkms.cryptoKeys.get'",
				"gcloud kms keys add-iam-policy-binding 'testbyokkey' --project 'exampleproject' --location 'us-central1' --keyring 'testkeyring' --member 'group:" +
					field(t, k, "key", "security_group") + "' --role 'projects/exampleproject/roles/confluentCloudByokKeyUser'",
			}
		}},
	} {
		t.Run(c.provider, func(t *testing.T) {
			id, k := createdKey(t, f, c.args...)
			r := f.run("grants", id)
			expect(t, r, exitOK)
			golden(t, "grants-"+c.provider, r.transcript())
			for _, want := range c.want(k) {
				if !strings.Contains(r.stdout, want) {
					t.Errorf("grants %s does not print %q:\n%s", c.provider, want, r.stdout)
				}
			}
			// create printed the same on stderr.
			if yaml := f.run("grants", id, "-o", "yaml"); yaml.code != exitOK || !strings.Contains(yaml.stdout, "principals:") {
				t.Errorf("grants -o yaml:\n%s", yaml.transcript())
			}
		})
	}
}

// TestGrantsJSON checks that -o json parses and names the principals, the
// actions, roles or permissions, and the scope.
func TestGrantsJSON(t *testing.T) {
	f := newFixture(t)
	awsID, awsKey := createdKey(t, f, "aws", "--key-arn", exampleARN)
	azureID, azureKey := createdKey(t, f, "azure", "--key-id", exampleAzureKey, "--key-vault-id", exampleAzureVault, "--tenant-id", exampleTenant)
	gcpID, gcpKey := createdKey(t, f, "gcp", "--key-id", exampleGCPKey)

	var aws grantSet
	decodeGrants(t, f, awsID, &aws)
	if aws.Provider != "AWS" || aws.Scope != exampleARN || !slices.Equal(aws.Principals, []string{firstRole(t, awsKey)}) ||
		!slices.Equal(aws.Actions, slices.Concat(awsUseActions(), awsGrantActions())) || len(aws.Statements) != 2 {
		t.Errorf("AWS grants: %+v", aws)
	}
	var azure grantSet
	decodeGrants(t, f, azureID, &azure)
	if azure.Provider != "Azure" || azure.Scope != exampleAzureVault || azure.TenantID != exampleTenant ||
		!slices.Equal(azure.Principals, []string{field(t, azureKey, "key", "application_id")}) ||
		!slices.Equal(azure.Roles, azureRoles()) {
		t.Errorf("Azure grants: %+v", azure)
	}
	var gcp grantSet
	decodeGrants(t, f, gcpID, &gcp)
	group := field(t, gcpKey, "key", "security_group")
	if gcp.Provider != "GCP" || gcp.Scope != exampleGCPKey || !slices.Equal(gcp.Principals, []string{group}) ||
		gcp.Member != "group:"+group || !slices.Equal(gcp.Permissions, gcpPermissions()) ||
		gcp.Project != "exampleproject" || gcp.Location != "us-central1" || gcp.KeyRing != "testkeyring" || gcp.Key != "testbyokkey" {
		t.Errorf("GCP grants: %+v", gcp)
	}
}

// firstRole returns the first IAM role of an AWS key in its JSON form.
func firstRole(t *testing.T, k map[string]any) string {
	t.Helper()
	material, _ := k["key"].(map[string]any)
	roles, _ := material["roles"].([]any)
	if len(roles) == 0 {
		t.Fatalf("no roles in %v", k)
	}
	role, _ := roles[0].(string)
	return role
}

func decodeGrants(t *testing.T, f *fixture, id string, v *grantSet) {
	t.Helper()
	r := f.run("grants", id, "-o", "json")
	expect(t, r, exitOK)
	dec := json.NewDecoder(strings.NewReader(r.stdout))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("grants -o json: %v\n%s", err, r.stdout)
	}
}

// TestGrantsPolicy checks --policy: the statements are merged into the
// given policy, whose other statements and members stay; a second merge
// adds nothing; the policy of another provider's key is refused.
func TestGrantsPolicy(t *testing.T) {
	f := newFixture(t)
	awsID, _ := createdKey(t, f, "aws", "--key-arn", exampleARN)
	gcpID, _ := createdKey(t, f, "gcp", "--key-id", exampleGCPKey)
	dir := t.TempDir()
	policy := filepath.Join(dir, "policy.json")
	writeFile(t, policy, `{"Version": "2012-10-17", "Id": "key-default-1", "Statement": [
	  {"Sid": "Enable IAM User Permissions", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "kms:*", "Resource": "*"}]}`)

	r := f.run("grants", awsID, "--policy", policy)
	expect(t, r, exitOK)
	golden(t, "grants-policy", r.transcript())
	var doc struct {
		Version   string
		ID        string `json:"Id"`
		Statement []map[string]any
	}
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Version != "2012-10-17" || doc.ID != "key-default-1" || len(doc.Statement) != 3 || doc.Statement[0]["Sid"] != "Enable IAM User Permissions" {
		t.Errorf("merged policy: %+v", doc)
	}

	merged := filepath.Join(dir, "merged.json")
	writeFile(t, merged, r.stdout)
	again := f.run("grants", awsID, "--policy", merged)
	expect(t, again, exitOK)
	if again.stdout != r.stdout {
		t.Errorf("a second merge changed the policy:\n%s\nwant\n%s", again.stdout, r.stdout)
	}
	if !strings.Contains(again.stderr, "nothing was added") {
		t.Errorf("second merge: stderr %q", again.stderr)
	}

	r = f.run("grants", gcpID, "--policy", policy)
	expect(t, r, exitUsage)
	if !strings.Contains(r.stderr, "--policy is for AWS keys; key "+gcpID+" is of provider GCP") {
		t.Errorf("--policy on a GCP key: %s", r.stderr)
	}
	for _, args := range [][]string{
		{"grants", awsID, "--policy", filepath.Join(dir, "missing.json")},
		{"grants", awsID, "--policy", policy, "-o", "yaml"},
		{"grants", awsID, "-o", "table"},
		{"grants"},
	} {
		expect(t, f.run(args...), exitUsage)
	}
}

func TestMergeKeyPolicy(t *testing.T) {
	stmts := awsStatements("cck-1", []string{"arn:aws:iam::1:role/a"})
	ours := func(s awsStatement) string {
		b, err := marshalCompact(s)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	tests := []struct {
		name, in string
		added    int
		count    int // statements after the merge
		err      string
	}{
		{"empty object", `{}`, 2, 2, ""},
		{"no statements", `{"Version":"2012-10-17","Statement":[]}`, 2, 2, ""},
		{"one statement object", `{"Statement":{"Sid":"x","Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*"}}`, 2, 3, ""},
		{"already merged", `{"Statement":[` + ours(stmts[0]) + `,` + ours(stmts[1]) + `]}`, 0, 2, ""},
		{"same sids, other roles", `{"Statement":[` + strings.Replace(ours(stmts[0]), "role/a", "role/old", 1) + `]}`, 2, 2, ""},
		{"granted by the user's own statement", `{"Statement":[{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::1:role/a"]},
			"Action":["kms:*","kms:Encrypt","kms:Decrypt","kms:ReEncrypt*","kms:GenerateDataKey*","kms:DescribeKey","kms:CreateGrant","kms:ListGrants","kms:RevokeGrant"],"Resource":"*"}]}`, 0, 1, ""},
		{"a conditional grant does not count", `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::1:role/a"},
			"Action":["kms:CreateGrant","kms:ListGrants","kms:RevokeGrant"],"Resource":"*","Condition":{"Bool":{"kms:GrantIsForAWSResource":"true"}}}]}`, 2, 3, ""},
		{"not JSON", `Version: 2012-10-17`, 0, 0, "the policy is not a JSON object"},
		{"a list", `[]`, 0, 0, "the policy is not a JSON object"},
		{"trailing data", `{} {}`, 0, 0, "more after its closing brace"},
		{"truncated", `{"Statement":[`, 0, 0, "not valid JSON"},
		{"bad statements", `{"Statement":"x"}`, 0, 0, `"Statement" is neither`},
		{"duplicate member", `{"Statement":[],"Statement":[]}`, 0, 0, `two "Statement" members`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, added, err := mergeKeyPolicy([]byte(tt.in), stmts)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v, want one containing %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var doc struct{ Statement []json.RawMessage }
			if err := json.Unmarshal(out, &doc); err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			if added != tt.added || len(doc.Statement) != tt.count {
				t.Errorf("added %d, %d statements; want %d, %d\n%s", added, len(doc.Statement), tt.added, tt.count, out)
			}
			again, added, err := mergeKeyPolicy(out, stmts)
			if err != nil || added != 0 || string(again) != string(out) {
				t.Errorf("a second merge: added %d, err %v\n%s\nwant it unchanged", added, err, again)
			}
		})
	}
}

// TestGrantsUnknownKind checks that a kind the CLI does not know gets a
// clear message and exit status 1, and that grantsText says so.
func TestGrantsUnknownKind(t *testing.T) {
	key := `{"api_version":"byok/v1","kind":"Key","id":"cck-oci","metadata":{"self":"https://api.confluent.cloud/byok/v1/keys/cck-oci"},
	  "key":{"kind":"OciKey","key_id":"ocid1.key.oc1..x"},
	  "provider":"OCI","state":"AVAILABLE","validation":{"phase":"VALID","since":"2024-03-20T15:30:00Z"}}`
	f, env := fixtureAnswering(t, key)
	for _, format := range []string{"text", "json"} {
		r := f.runEnv(env, "grants", "cck-oci", "-o", format)
		expect(t, r, exitFailure)
		want := `byokctl: key cck-oci is of kind "OciKey": byokctl does not know what to grant for this kind of key; see its provider's documentation, or a newer byokctl` + "\n"
		if r.stderr != want || r.stdout != "" {
			t.Errorf("-o %s: stdout %q stderr %q, want stderr %q", format, r.stdout, r.stderr, want)
		}
	}
	_, err := grantsText(wrapper.Key{Key: api.Key{ID: "cck-oci"}, Material: wrapper.UnknownKey{Raw: json.RawMessage(`{"kind":"OciKey"}`)}})
	if !errors.Is(err, errUnknownKind) {
		t.Errorf("grantsText of an unknown kind: %v", err)
	}
	_, err = grantsText(wrapper.Key{Key: api.Key{ID: "cck-aws", Provider: wrapper.ProviderAWS}, Material: wrapper.AWSKey{KeyARN: exampleARN}})
	if err == nil || !strings.Contains(err.Error(), "has not named the principals") {
		t.Errorf("grantsText without roles: %v", err)
	}
}

// TestGrantsClean checks that what the server sent is cleaned and quoted
// before it reaches a command.
func TestGrantsClean(t *testing.T) {
	key := wrapper.Key{Key: api.Key{ID: "cck-1", Provider: wrapper.ProviderAzure}, Material: wrapper.AzureKey{
		KeyID:         exampleAzureKey,
		KeyVaultID:    exampleAzureVault + "'; rm -rf ~; '",
		TenantID:      exampleTenant,
		ApplicationID: "app\x1b]0;title\x07\u009b2J\u202eid",
	}}
	text, err := grantsText(key)
	if err != nil {
		t.Fatal(err)
	}
	if strings.ContainsAny(text, "\x1b\x07\u009b\u202e") {
		t.Errorf("escape sequences in the grants:\n%q", text)
	}
	if !strings.Contains(text, `--scope '`+exampleAzureVault+`'\''; rm -rf ~; '\'''`) || !strings.Contains(text, "--assignee 'app]0;title2Jid'") {
		t.Errorf("values not quoted:\n%s", text)
	}
}

// TestGrantsProviderFromKind: what to grant follows the kind of the key
// material, not the provider field, which a server may omit or write in
// another case.
func TestGrantsProviderFromKind(t *testing.T) {
	for _, provider := range []wrapper.Provider{"", "azure", "AZURE"} {
		key := wrapper.Key{Key: api.Key{ID: "cck-1", Provider: provider}, Material: wrapper.AzureKey{
			KeyID: exampleAzureKey, KeyVaultID: exampleAzureVault, TenantID: exampleTenant, ApplicationID: "app-id",
		}}
		text, err := grantsText(key)
		if err != nil || !strings.Contains(text, "# Key cck-1 (Azure)") || !strings.Contains(text, "az role assignment create --assignee 'app-id'") ||
			strings.Contains(text, "gcloud") {
			t.Errorf("provider %q: %v\n%s", provider, err, text)
		}
		set, err := grantsFor(key)
		if err != nil || set.Provider != string(wrapper.ProviderAzure) {
			t.Errorf("provider %q: grantsFor says provider %q (%v); want Azure", provider, set.Provider, err)
		}
	}
}
