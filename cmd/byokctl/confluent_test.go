package main

import (
	"reflect"
	"strings"
	"testing"

	"github.com/byokctl/byok/api"
	"github.com/byokctl/byok/wrapper"
)

// keyForms ends the message of a KEY of create that is of no known form:
// the three forms, spelled out here as a user reads them.
const keyForms = "an AWS KMS key ARN (arn:<partition>:kms:<region>:<account>:key/<key id>), " +
	"an Azure Key Vault key URL (https://<vault>.vault.azure.net/keys/<name>) or " +
	"a Cloud KMS key id (projects/<project>/locations/<location>/keyRings/<ring>/cryptoKeys/<key>, optionally with /cryptoKeyVersions/<version>)"

// TestConfluentSession runs the Confluent CLI's documented byok examples
// with "confluent byok" replaced by "byokctl" (byokctl is that command group:
// byokctl byok says so, see TestConfluentForms) against byokctl serve, and
// keeps the session as a golden transcript. The examples are those of the
// command reference:
//
//	https://docs.confluent.io/confluent-cli/current/command-reference/byok/confluent_byok_create.html
//	https://docs.confluent.io/confluent-cli/current/command-reference/byok/confluent_byok_update.html
//
// and the flags of confluent byok list, describe and delete documented in
// https://docs.confluent.io/confluent-cli/current/command-reference/byok/confluent_byok_list.html,
// .../confluent_byok_describe.html and .../confluent_byok_delete.html. The
// key ids are the ones the creates printed.
func TestConfluentSession(t *testing.T) {
	f := newFixture(t)
	s := startServe(t, f, "--seed", "2", "--api-key", "SERVEKEY", "--api-secret", testAPISecret)
	env := map[string]string{envEndpoint: s.url, envAPIKey: "SERVEKEY", envAPISecret: testAPISecret}
	var session strings.Builder
	byokctl := func(args ...string) result {
		t.Helper()
		r := f.runEnv(env, args...)
		session.WriteString("$ byokctl " + shellJoin(args) + "\n" + strings.ReplaceAll(r.transcript(), s.url, "http://127.0.0.1:PORT"))
		expect(t, r, exitOK)
		return r
	}
	// The id of a created key: the first column of the table's one row.
	created := func(r result) string {
		t.Helper()
		lines := strings.Split(r.stdout, "\n")
		if len(lines) < 2 || !strings.HasPrefix(lines[1], "cck-") {
			t.Fatalf("create printed no key:\n%s", r.transcript())
		}
		return strings.Fields(lines[1])[0]
	}

	aws := created(byokctl("create", "arn:aws:kms:us-west-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"))
	azure := created(byokctl("create", "https://vault-name.vault.azure.net/keys/key-name",
		"--tenant", "00000000-0000-0000-0000-000000000000",
		"--key-vault", "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/resourcegroup-name/providers/Microsoft.KeyVault/vaults/vault-name"))
	gcp := created(byokctl("create", "projects/exampleproject/locations/us-central1/keyRings/testkeyring/cryptoKeys/testbyokkey/cryptoKeyVersions/3"))
	for _, id := range []string{aws, azure, gcp} {
		byokctl("describe", id)
	}
	byokctl("list")
	byokctl("list", "--cloud", "aws")
	byokctl("list", "--state", "available")
	byokctl("list", "--region", "us-west-2")
	byokctl("list", "--validation-phase", "valid")
	byokctl("list", "--phase", "initializing")
	byokctl("list", "--display-name", "seed key")
	byokctl("list", "--key", "vault-name")
	byokctl("update", aws, "--display-name", "My production key")
	byokctl("delete", aws, azure, "--force")
	byokctl("list")
	golden(t, "confluent-session", session.String())

	if code := s.stop(); code != exitOK {
		t.Errorf("serve exited with %d:\n%s", code, s.stderr.String())
	}
}

// TestDescribe: describe prints the one-key table (with the validation's
// since and message) on stdout and what to grant on stderr; -o json and
// -o yaml print the key alone, as get does.
func TestDescribe(t *testing.T) {
	f := newFixture(t)
	id, _ := createdKey(t, f, "gcp", "--key-id", exampleGCPKey)
	if err := f.srv.SetValidation(id, api.KeyValidationPhaseINVALID, "Access to key denied."); err != nil {
		t.Fatal(err)
	}
	r := f.run("describe", id)
	expect(t, r, exitOK)
	golden(t, "describe", r.transcript())
	if !strings.Contains(r.stdout, "INVALID") || !strings.Contains(r.stdout, "Access to key denied.") {
		t.Errorf("describe of an INVALID key does not say why:\n%s", r.stdout)
	}
	grants := f.run("grants", id)
	expect(t, grants, exitOK)
	if !strings.HasSuffix(r.stderr, grants.stdout) || grants.stdout == "" {
		t.Errorf("describe's stderr does not end with what grants prints:\n%s\n--- grants\n%s", r.stderr, grants.stdout)
	}
	for _, format := range []string{"json", "yaml"} {
		d, g := f.run("describe", id, "-o", format), f.run("get", id, "-o", format)
		expect(t, d, exitOK)
		if d.stdout != g.stdout || d.stderr != "" {
			t.Errorf("describe -o %s:\n%s\nwant get's:\n%s", format, d.transcript(), g.transcript())
		}
	}
	r = f.run("describe", "cck-missing")
	expect(t, r, exitFailure)
	if r.stdout != "" || !strings.Contains(r.stderr, "404") {
		t.Errorf("describe of a missing key:\n%s", r.transcript())
	}
}

// TestListConfluentFilters: --cloud, --region and --phase are --provider,
// --validation-region and --validation-phase: the same request, and the
// help names both.
func TestListConfluentFilters(t *testing.T) {
	f := newFixture(t)
	for _, c := range []struct{ alias, name, value string }{
		{"--cloud", "--provider", "gcp"},
		{"--region", "--validation-region", "us-west-2"},
		{"--phase", "--validation-phase", "valid"},
	} {
		query := func(args ...string) string {
			t.Helper()
			f.srv.ClearRequests()
			expect(t, f.run(args...), exitOK)
			reqs := f.srv.Requests()
			if len(reqs) != 1 {
				t.Fatalf("byokctl %v sent %d requests", args, len(reqs))
			}
			return reqs[0].Query
		}
		got, want := query("list", c.alias, c.value), query("list", c.name, c.value)
		if got != want || !strings.Contains(got, "=") || got == query("list") {
			t.Errorf("list %s %s sent %q; %s sends %q", c.alias, c.value, got, c.name, want)
		}
	}
	help := strings.Join(strings.Fields(f.run("list", "--help").stdout), " ") // as wrapped at any width
	for _, want := range []string{"cloud provider (also --cloud)", "(also --region)", "validation phase (also --phase)"} {
		if !strings.Contains(help, want) {
			t.Errorf("list --help does not say %q:\n%s", want, help)
		}
	}
}

// TestCreateKeyForms: create KEY tells the provider by the form of KEY and
// fills the material as create aws|azure|gcp would; --key-vault and
// --tenant are --key-vault-id and --tenant-id, on create KEY and on create
// azure alike.
func TestCreateKeyForms(t *testing.T) {
	const versioned = exampleGCPKey + "/cryptoKeyVersions/3"
	azure := wrapper.AzureKey{KeyID: exampleAzureKey, KeyVaultID: exampleAzureVault, TenantID: exampleTenant}
	for _, c := range []struct {
		args []string
		want wrapper.KeyMaterial
	}{
		{[]string{exampleARN}, wrapper.AWSKey{KeyARN: exampleARN}},
		{[]string{exampleAzureKey, "--key-vault", exampleAzureVault, "--tenant", exampleTenant}, azure},
		{[]string{exampleAzureKey, "--key-vault-id", exampleAzureVault, "--tenant-id", exampleTenant}, azure},
		{[]string{"azure", "--key-id", exampleAzureKey, "--key-vault", exampleAzureVault, "--tenant", exampleTenant}, azure},
		{[]string{versioned, "--display-name", "GCP key"}, wrapper.GCPKey{KeyID: versioned}},
		{[]string{exampleGCPKey}, wrapper.GCPKey{KeyID: exampleGCPKey}},
	} {
		o, err := parseFlags(t, newCreateCmd, c.args...)
		if err != nil || !reflect.DeepEqual(o.material, c.want) {
			t.Errorf("create %v: got %#v, %v; want %#v", c.args, o.material, err, c.want)
		}
	}
	f := newFixture(t)
	_, key := createdKey(t, f, versioned, "--display-name", "GCP key")
	if got := key["key"].(map[string]any)["key_id"]; got != versioned || key["display_name"] != "GCP key" {
		t.Errorf("create %s registered %v", versioned, key)
	}
}

// TestCreateKeyFormErrors: a KEY of no known form, or with flags that do
// not fit its form, is a usage error in one line, and nothing is sent.
func TestCreateKeyFormErrors(t *testing.T) {
	f := newFixture(t)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"create", "cck-12345"}, `"cck-12345" is neither a provider (aws, azure or gcp) nor a key of a form byokctl knows: ` + keyForms},
		{[]string{"create", "arn:aws:kms:us-west-2:1111:key/x"}, `"arn:aws:kms:us-west-2:1111:key/x" is neither a provider (aws, azure or gcp) nor a key of a form byokctl knows: ` + keyForms},
		{[]string{"create", "OCI", "--key-id", "x"}, `"OCI" is neither a provider (aws, azure or gcp) nor a key of a form byokctl knows: ` + keyForms},
		{[]string{"create", "arn:aws:kms:us-west-2:111122223333:alias/billing"}, `"arn:aws:kms:us-west-2:111122223333:alias/billing" is an alias ARN; register the key's own ARN, ` +
			`expected arn:<partition>:kms:<region>:<account>:key/<key id> (aws kms describe-key --key-id arn:aws:kms:us-west-2:111122223333:alias/billing --query KeyMetadata.Arn prints it)`},
		{[]string{"create", exampleAzureKey}, "an Azure key needs --key-vault-id (or --key-vault), the resource id of its Key Vault, and --tenant-id (or --tenant), its tenant; missing --key-vault-id and --tenant-id"},
		{[]string{"create", exampleAzureKey, "--key-vault", exampleAzureVault}, "an Azure key needs --key-vault-id (or --key-vault), the resource id of its Key Vault, and --tenant-id (or --tenant), its tenant; missing --tenant-id"},
		{[]string{"create", exampleARN, "--tenant", exampleTenant}, "--tenant-id is for an Azure key; KEY is an AWS KMS key ARN"},
		{[]string{"create", exampleGCPKey, "--key-vault", exampleAzureVault, "--tenant", exampleTenant}, "--key-vault-id and --tenant-id are for an Azure key; KEY is a Cloud KMS key id"},
		{[]string{"create", exampleARN, exampleGCPKey}, "byokctl create takes one key, got 2 arguments: " + exampleARN + " " + exampleGCPKey},
		{[]string{"create", "--key-arn", exampleARN}, "--key-arn is a flag of byokctl create aws: name the provider first (byokctl create aws --key-arn ...), or give the key alone (byokctl create KEY)"},
		{[]string{"create", exampleARN, "--bogus"}, "unknown flag: --bogus"},
		{[]string{"create", "--key-id", exampleGCPKey}, "--key-id is a flag of byokctl create azure|gcp: name the provider first (byokctl create azure --key-id ...), or give the key alone (byokctl create KEY)"},
		{[]string{"create", exampleAzureKey, "--key-vault", exampleAzureVault, "--tenant", "t"}, `--tenant-id "t" is not a tenant id; expected a UUID such as 00000000-0000-0000-0000-000000000000`},
	} {
		f.srv.ClearRequests()
		r := f.run(c.args...)
		expect(t, r, exitUsage)
		if want := "byokctl: " + c.want + "\nRun 'byokctl create --help' for usage.\n"; r.stderr != want {
			t.Errorf("byokctl %v:\n%q\nwant\n%q", c.args, r.stderr, want)
		}
		if n := len(f.srv.Requests()); n != 0 || r.stdout != "" {
			t.Errorf("byokctl %v sent %d requests, printed %q", c.args, n, r.stdout)
		}
	}
}

// TestOutputHuman: -o human is describe's format for people, as for every
// command TestHumanFormatNames runs; a command without formats refuses it.
func TestOutputHuman(t *testing.T) {
	f := newFixture(t)
	id := f.srv.Seed(1)[0]
	for _, c := range [][]string{{"describe", id}} {
		human := f.run(append(c, "-o", "human")...)
		expect(t, human, exitOK)
		if def := f.run(c...); human != def || human.stdout == "" {
			t.Errorf("byokctl %v -o human:\n%s\nwant its default:\n%s", c, human.transcript(), def.transcript())
		}
	}
	r := f.run("delete", id, "-o", "human")
	expect(t, r, exitUsage)
}

// TestConfluentForms: what a confluent byok user types that byokctl has
// under another form is refused in one line that names the byokctl form.
func TestConfluentForms(t *testing.T) {
	f := newFixture(t)
	const debug = "; byokctl's form is --debug (every request and response on stderr, credentials redacted)"
	for _, c := range []struct {
		args []string
		want string // all of stderr
	}{
		{[]string{"list", "--unsafe-trace"}, "byokctl: unknown flag: --unsafe-trace" + debug + "\nRun 'byokctl list --help' for usage.\n"},
		{[]string{"list", "--verbose"}, "byokctl: unknown flag: --verbose" + debug + "\nRun 'byokctl list --help' for usage.\n"},
		{[]string{"list", "-vvvv"}, "byokctl: unknown shorthand flag: 'v' in -vvvv" + debug + "\nRun 'byokctl list --help' for usage.\n"},
		{[]string{"describe", "cck-1", "-v"}, "byokctl: unknown shorthand flag: 'v' in -v" + debug + "\nRun 'byokctl describe --help' for usage.\n"},
		{[]string{"byok", "list", "--cloud", "aws"}, "byokctl: byokctl is confluent byok itself: drop the byok, byokctl list --cloud aws\n"},
		{[]string{"byok", "update", "cck-12345", "--display-name", "My production key"}, "byokctl: byokctl is confluent byok itself: drop the byok, byokctl update cck-12345 --display-name 'My production key'\n"},
		{[]string{"byok"}, "byokctl: byokctl is confluent byok itself: drop the byok, byokctl --help\n"},
	} {
		f.srv.ClearRequests()
		r := f.run(c.args...)
		expect(t, r, exitUsage)
		if r.stderr != c.want || r.stdout != "" || len(f.srv.Requests()) != 0 {
			t.Errorf("byokctl %v:\n%s\nwant stderr\n%s", c.args, r.transcript(), c.want)
		}
	}
	if help := f.run("--help").stdout; strings.Contains(help, "byok ") {
		t.Errorf("byokctl --help lists the hidden byok command:\n%s", help)
	}
}

// TestDescribeFlags: describe's argument reaches describeOptions; and
// runDescribe runs without cobra, the table on stdout, the grants on
// stderr.
func TestDescribeFlags(t *testing.T) {
	o, err := parseFlags(t, newDescribeCmd, "cck-1")
	if err != nil || o != (describeOptions{id: "cck-1"}) {
		t.Errorf("got %+v, %v", o, err)
	}
	if _, err := parseFlags(t, newDescribeCmd, "cck-1", "cck-2"); !isUsage(err) {
		t.Errorf("two ids: %v, want a usage error", err)
	}
	f := newFixture(t)
	id := f.srv.Seed(1)[0]
	var stdout, stderr strings.Builder
	rt := newTestRuntime(f.system(f.env, &stdout, &stderr), newEnumFlag(formatHuman, formatHuman))
	if err := runDescribe(t.Context(), rt, describeOptions{id: id}); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(stdout.String(), "ID ") || !strings.Contains(stdout.String(), id) || !strings.Contains(stderr.String(), "byokctl grants "+id) {
		t.Errorf("stdout:\n%s\nstderr:\n%s", stdout.String(), stderr.String())
	}
}
