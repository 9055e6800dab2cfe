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
				"gcloud kms keys add-iam-policy-binding '" + exampleGCPKey + "' --member 'group:" +
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
		{"grants", awsID, "-o", "csv"},
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
	use, manage := []string{stmts[0].Sid}, []string{stmts[1].Sid}
	both := []string{stmts[0].Sid, stmts[1].Sid}
	tests := []struct {
		name, in        string
		added, replaced []string // the Sids
		count           int      // statements after the merge
		err             string
	}{
		{"empty object", `{}`, both, nil, 2, ""},
		{"no statements", `{"Version":"2012-10-17","Statement":[]}`, both, nil, 2, ""},
		{"one statement object", `{"Statement":{"Sid":"x","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::1:root"},"Action":"kms:*","Resource":"*"}}`, both, nil, 3, ""},
		{"granted to every principal", `{"Statement":{"Sid":"x","Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*"}}`, nil, nil, 1, ""},
		{"granted by a wildcard, across statements", `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::1:role/a"},"Action":"kms:*","Resource":"*"},
			{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::1:role/a"]},"Action":"KMS:CreateGrant","Resource":"*"}]}`, nil, nil, 2, ""},
		{"denied", `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::1:role/a"},"Action":"kms:*","Resource":"*"},
			{"Effect":"Deny","Principal":"*","Action":"kms:CreateGrant","Resource":"*"}]}`, manage, nil, 3, ""},
		{"already merged", `{"Statement":[` + ours(stmts[0]) + `,` + ours(stmts[1]) + `]}`, nil, nil, 2, ""},
		{"same sid, other roles", `{"Statement":[` + strings.Replace(ours(stmts[0]), "role/a", "role/old", 1) + `]}`, manage, use, 2, ""},
		{"same sids, other roles and actions", `{"Statement":[` + strings.Replace(ours(stmts[0]), "role/a", "role/old", 1) + `,` +
			strings.Replace(ours(stmts[1]), "kms:RevokeGrant", "kms:RetireGrant", 1) + `]}`, nil, both, 2, ""},
		{"same sid, more actions and roles", `{"Statement":[` + strings.Replace(strings.Replace(ours(stmts[0]), `"kms:Encrypt"`, `"kms:ScheduleKeyDeletion","kms:Encrypt"`, 1),
			`"arn:aws:iam::1:role/a"`, `"arn:aws:iam::1:role/a","arn:aws:iam::1:role/b"`, 1) + `]}`, manage, nil, 2, ""},
		{"one merged, one replaced", `{"Statement":[` + ours(stmts[0]) + `,` + strings.Replace(ours(stmts[1]), "role/a", "role/old", 1) + `]}`, nil, manage, 2, ""},
		{"granted by the user's own statement", `{"Statement":[{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::1:role/a"]},
			"Action":["kms:*","kms:Encrypt","kms:Decrypt","kms:ReEncrypt*","kms:GenerateDataKey*","kms:DescribeKey","kms:CreateGrant","kms:ListGrants","kms:RevokeGrant"],"Resource":"*"}]}`, nil, nil, 1, ""},
		{"a conditional grant does not count", `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::1:role/a"},
			"Action":["kms:CreateGrant","kms:ListGrants","kms:RevokeGrant"],"Resource":"*","Condition":{"Bool":{"kms:GrantIsForAWSResource":"true"}}}]}`, both, nil, 3, ""},
		{"not JSON", `Version: 2012-10-17`, nil, nil, 0, "the policy is not a JSON object"},
		{"a list", `[]`, nil, nil, 0, "the policy is not a JSON object"},
		{"trailing data", `{} {}`, nil, nil, 0, "more after its closing brace"},
		{"truncated", `{"Statement":[`, nil, nil, 0, "not valid JSON"},
		{"bad statements", `{"Statement":"x"}`, nil, nil, 0, `"Statement" is neither`},
		{"duplicate member", `{"Statement":[],"Statement":[]}`, nil, nil, 0, `two "Statement" members`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, changes, err := mergeKeyPolicy([]byte(tt.in), stmts)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v, want one containing %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var doc struct{ Statement json.RawMessage }
			if err := json.Unmarshal(out, &doc); err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			list, err := statementList(doc.Statement)
			if err != nil && tt.count > 0 {
				t.Fatalf("%v\n%s", err, out)
			}
			if !slices.Equal(changes.added, tt.added) || !slices.Equal(changes.replaced, tt.replaced) || len(list) != tt.count {
				t.Errorf("added %q, replaced %q, %d statements; want %q, %q, %d\n%s",
					changes.added, changes.replaced, len(list), tt.added, tt.replaced, tt.count, out)
			}
			again, changes, err := mergeKeyPolicy(out, stmts)
			if err != nil || len(changes.added)+len(changes.replaced) != 0 || string(again) != string(out) {
				t.Errorf("a second merge: %+v, err %v\n%s\nwant it unchanged", changes, err, again)
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

// TestGrantsProviderFromKind: what to grant follows the kind of the key
// material, not the provider field, which a server may omit or write in
// another case.
func TestGrantsProviderFromKind(t *testing.T) {
	for _, provider := range []wrapper.Provider{"", "azure", "AZURE"} {
		key := wrapper.Key{Key: api.Key{ID: "cck-1", Provider: provider}, Material: wrapper.AzureKey{
			KeyID: exampleAzureKey, KeyVaultID: exampleAzureVault, TenantID: exampleTenant, ApplicationID: exampleApp,
		}}
		text, err := grantsText(key)
		if err != nil || !strings.Contains(text, "# Key cck-1 (Azure)") || !strings.Contains(text, "az role assignment create --assignee '"+exampleApp+"'") ||
			strings.Contains(text, "gcloud") {
			t.Errorf("provider %q: %v\n%s", provider, err, text)
		}
		set, err := grantsFor(key)
		if err != nil || set.Provider != string(wrapper.ProviderAzure) {
			t.Errorf("provider %q: grantsFor says provider %q (%v); want Azure", provider, set.Provider, err)
		}
	}
}

// exampleApp is an Azure application id.
const exampleApp = "11111111-1111-1111-1111-111111111111"

// TestGrantsRefusesServerValues: a value of the server's answer that grants
// would print in a command or a key policy, and that is not of the strict
// form the API gives it, makes grants refuse the key: exit 1, a message
// naming the field, no command on stdout (in any format, with --policy
// too), and create's hint says the same instead of printing commands.
func TestGrantsRefusesServerValues(t *testing.T) {
	const (
		group = "cc-byok@groups.example.com"
		role  = "arn:aws:iam::111122223333:role/cc-byok"
		sub   = "/subscriptions/00000000-0000-0000-0000-000000000000"
	)
	bases := map[string]map[string]any{
		"AwsKey":   {"kind": "AwsKey", "key_arn": exampleARN, "roles": []any{role}},
		"AzureKey": {"kind": "AzureKey", "key_id": exampleAzureKey, "key_vault_id": exampleAzureVault, "tenant_id": exampleTenant, "application_id": exampleApp},
		"GcpKey":   {"kind": "GcpKey", "key_id": exampleGCPKey, "security_group": group},
	}
	type bad struct {
		kind, field string
		value       any
	}
	var cases []bad
	for _, v := range []string{`app\';touch pwned;'`, "$(touch pwned)", "`touch pwned`", "; touch pwned", "a\ntouch pwned", "-x", "--help",
		exampleApp + ";touch pwned", "'" + exampleApp + "'"} {
		cases = append(cases, bad{"AzureKey", "application_id", v}, bad{"AzureKey", "tenant_id", v})
	}
	for _, v := range []string{sub, sub + "/", "-" + exampleAzureVault, exampleAzureVault + "';touch pwned;'",
		strings.Replace(exampleAzureVault, "/rg/", `/rg\';touch pwned;'/`, 1), strings.Replace(exampleAzureVault, "vault-name", "other-vault", 1),
		exampleAzureVault + "\ntouch pwned"} {
		cases = append(cases, bad{"AzureKey", "key_vault_id", v})
	}
	for _, v := range []string{exampleGCPKey + "';touch pwned;'", strings.Replace(exampleGCPKey, "testkeyring", `r\';touch pwned;'`, 1),
		strings.Replace(exampleGCPKey, "exampleproject", "-p", 1), strings.Replace(exampleGCPKey, "exampleproject", "$(touch pwned)", 1),
		exampleGCPKey + "/cryptoKeyVersions/3\ntouch pwned", "-" + exampleGCPKey} {
		cases = append(cases, bad{"GcpKey", "key_id", v})
	}
	for _, v := range []string{`a\';touch pwned;'@example.com`, "-x@example.com", "$(touch pwned)@example.com", group + "\ntouch pwned", "group", "a@b"} {
		cases = append(cases, bad{"GcpKey", "security_group", v})
	}
	cases = append(cases, bad{"AwsKey", "key_arn", exampleARN + "';touch pwned;'"}, bad{"AwsKey", "key_arn", "-" + exampleARN})
	for _, v := range []any{[]any{"*"}, []any{role, "*"}, []any{"arn:aws:iam::111122223333:root"}, []any{"arn:aws:iam::111122223333:user/u"},
		[]any{"111122223333"}, []any{"arn:aws:iam::*:role/x"}, []any{role + `"`}, []any{"arn:aws:sts::111122223333:assumed-role/r/s"}} {
		cases = append(cases, bad{"AwsKey", "roles", v})
	}
	for _, c := range cases {
		material := map[string]any{}
		for k, v := range bases[c.kind] {
			material[k] = v
		}
		material[c.field] = c.value
		f, env := fixtureAnswering(t, keyJSON(t, "cck-bad", material))
		f.stdin = `{"Statement": []}`
		want := "byokctl: key cck-bad: byokctl prints no grants for it: the server's " + c.field + " "
		runs := [][]string{{"grants", "cck-bad"}, {"grants", "cck-bad", "-o", "json"}}
		if c.kind == "AwsKey" {
			runs = append(runs, []string{"grants", "cck-bad", "--policy", "-"})
		}
		for _, args := range runs {
			r := f.runEnv(env, args...)
			if r.code != exitFailure || r.stdout != "" || !strings.HasPrefix(r.stderr, want) || strings.Count(r.stderr, "\n") != 1 {
				t.Errorf("%s %q: %s\n%s\nwant exit status 1, no stdout, and an error starting with %q", c.field, c.value, strings.Join(args, " "), r.transcript(), want)
			}
		}
	}

	// create's hint: the principal is the server's; the material is what
	// was sent.
	material := map[string]any{}
	for k, v := range bases["AzureKey"] {
		material[k] = v
	}
	material["application_id"] = `app\';touch pwned;'`
	f, env := fixtureAnswering(t, keyJSON(t, "cck-bad", material))
	r := f.runEnv(env, "create", "azure", "--key-id", exampleAzureKey, "--key-vault-id", exampleAzureVault, "--tenant-id", exampleTenant)
	expect(t, r, exitOK)
	if !strings.Contains(r.stderr, "key cck-bad: byokctl prints no grants for it: the server's application_id ") || strings.Contains(r.stderr, "az ") {
		t.Errorf("create's hint:\n%s\nwant the refusal and no command", r.stderr)
	}
}

// TestGrantsPolicyReport: --policy names the statements it added and those
// it replaced (a statement of the same Sid that granted other principals).
func TestGrantsPolicyReport(t *testing.T) {
	const role = "arn:aws:iam::111122223333:role/cc-byok"
	f, env := fixtureAnswering(t, keyJSON(t, "cck-pol", map[string]any{"kind": "AwsKey", "key_arn": exampleARN, "roles": []any{role}}))
	stmts := awsStatements("cck-pol", []string{role})
	use, _ := marshalCompact(stmts[0])
	manage, _ := marshalCompact(stmts[1])
	stale := strings.Replace(string(manage), role, "arn:aws:iam::111122223333:role/old", 1)
	for _, c := range []struct {
		name, policy string
		want         string
	}{
		{"one added, one replaced", `{"Statement": [` + stale + `]}`,
			`added 1 statement for key cck-pol: "Allow Confluent Cloud BYOK key cck-pol to use the key"` + "\n" +
				`replaced 1 statement of the same Sid that granted other principals or actions: "Allow Confluent Cloud BYOK key cck-pol to manage grants"` + "\n" +
				"apply the policy with:\n"},
		{"one replaced", `{"Statement": [` + string(use) + `, ` + stale + `]}`,
			`replaced 1 statement of the same Sid that granted other principals or actions: "Allow Confluent Cloud BYOK key cck-pol to manage grants"` + "\n" +
				"apply the policy with:\n"},
		{"both added", `{"Statement": []}`,
			`added 2 statements for key cck-pol: "Allow Confluent Cloud BYOK key cck-pol to use the key", "Allow Confluent Cloud BYOK key cck-pol to manage grants"` + "\n" +
				"apply the policy with:\n"},
		{"none", `{"Statement": [` + string(use) + `, ` + string(manage) + `]}`,
			"the policy already grants what key cck-pol needs; nothing was added\n"},
	} {
		f.stdin = c.policy
		r := f.runEnv(env, "grants", "cck-pol", "--policy", "-")
		expect(t, r, exitOK)
		if !strings.HasPrefix(r.stderr, c.want) {
			t.Errorf("%s: stderr\n%s\nwant it to begin with\n%s", c.name, r.stderr, c.want)
		}
	}
}

// TestMergeKeyPolicyLayout: a merge keeps every byte of the policy but
// the statements it adds or replaces, which take the layout of the
// statement before them (or of the document).
func TestMergeKeyPolicyLayout(t *testing.T) {
	s := []awsStatement{{Sid: "s", Effect: "Allow", Principal: awsPrincipal{AWS: []string{"r"}}, Action: []string{"kms:Encrypt"}, Resource: "*"}}
	const compact = `{"Sid":"s","Effect":"Allow","Principal":{"AWS":["r"]},"Action":["kms:Encrypt"],"Resource":"*"}`
	const other = `{"Sid" : "o", "Effect" : "Deny", "Principal" : "*", "Action" : "kms:Decrypt", "Resource" : "*"}`
	for _, c := range []struct{ name, in, want string }{
		{"one line", `{"Statement":[` + other + `]}`, `{"Statement":[` + other + `,` + compact + `]}`},
		{"indented", "{\n  \"Statement\": [\n    " + other + "\n  ]\n}\n",
			"{\n  \"Statement\": [\n    " + other + ",\n    " + compact + "\n  ]\n}\n"},
		{"as the AWS console writes it", "{\n  \"Statement\" : [ {\n    \"Sid\" : \"o\"\n  } ]\n}",
			"{\n  \"Statement\" : [ {\n    \"Sid\" : \"o\"\n  }, {\n    \"Sid\": \"s\",\n    \"Effect\": \"Allow\",\n    \"Principal\": {\n      \"AWS\": [\n        \"r\"\n      ]\n    },\n" +
				"    \"Action\": [\n      \"kms:Encrypt\"\n    ],\n    \"Resource\": \"*\"\n  } ]\n}"},
		{"tabs", "{\n\t\"Statement\": [\n\t\t{\n\t\t\t\"Sid\": \"o\"\n\t\t}\n\t]\n}",
			"{\n\t\"Statement\": [\n\t\t{\n\t\t\t\"Sid\": \"o\"\n\t\t},\n\t\t{\n\t\t\t\"Sid\": \"s\",\n\t\t\t\"Effect\": \"Allow\",\n\t\t\t\"Principal\": {\n\t\t\t\t\"AWS\": [\n\t\t\t\t\t\"r\"\n\t\t\t\t]\n\t\t\t},\n" +
				"\t\t\t\"Action\": [\n\t\t\t\t\"kms:Encrypt\"\n\t\t\t],\n\t\t\t\"Resource\": \"*\"\n\t\t}\n\t]\n}"},
		{"replaced in place", `{"Statement":[` + other + `, {"Sid": "s"}, ` + other + `]}`, `{"Statement":[` + other + `, ` + compact + `, ` + other + `]}`},
		{"no statements, on one line", `{"Version":"2012-10-17"}`, `{"Version":"2012-10-17","Statement":[` + compact + `]}`},
		{"no statements, indented", "{\n  \"Version\": \"2012-10-17\"\n}\n",
			"{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {\n      \"Sid\": \"s\",\n      \"Effect\": \"Allow\",\n      \"Principal\": {\n        \"AWS\": [\n          \"r\"\n        ]\n      },\n" +
				"      \"Action\": [\n        \"kms:Encrypt\"\n      ],\n      \"Resource\": \"*\"\n    }\n  ]\n}\n"},
		{"an empty object", `{}`, `{"Statement":[` + compact + `]}`},
		{"an empty list", `{"Version":"2012-10-17", "Statement": [ ]}`, `{"Version":"2012-10-17", "Statement": [` + compact + `]}`},
		{"one statement object", `{"Statement": ` + other + `}`, `{"Statement": [` + other + `,` + compact + `]}`},
	} {
		t.Run(c.name, func(t *testing.T) {
			out, _, err := mergeKeyPolicy([]byte(c.in), s)
			if err != nil {
				t.Fatal(err)
			}
			if string(out) != c.want {
				t.Errorf("merged\n%s\nwant\n%s", out, c.want)
			}
			if !json.Valid(out) {
				t.Errorf("not JSON:\n%s", out)
			}
		})
	}
}
