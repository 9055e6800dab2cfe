package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// customStatement is a statement of the user's own, written as the AWS
// console writes policies (a space before each colon).
const customStatement = `{
    "Sid" : "Allow the auditors to describe the key",
    "Effect" : "Allow",
    "Principal" : { "AWS" : "arn:aws:iam::111122223333:role/auditor" },
    "Action" : [ "kms:DescribeKey", "kms:GetKeyPolicy" ],
    "Resource" : "*",
    "Condition" : { "StringEquals" : { "aws:PrincipalTag/team" : "audit<&>" } }
  }`

// startingPolicy is the policy of the tests' keys before byokctl.
const startingPolicy = `{
  "Version" : "2012-10-17",
  "Id" : "key-consolepolicy-3",
  "Statement" : [ {
    "Sid" : "Enable IAM User Permissions",
    "Effect" : "Allow",
    "Principal" : { "AWS" : "arn:aws:iam::111122223333:root" },
    "Action" : "kms:*",
    "Resource" : "*"
  }, ` + customStatement + ` ]
}`

// TestGrantsAWSLocalKMS is the whole flow against the KMS emulator: a key
// created in it and registered is not granted (--check exits 4); --apply
// --force writes the backup and the merged policy; then --check passes and
// a second --apply changes nothing. The backup is the old policy, and the
// user's own statements survive.
func TestGrantsAWSLocalKMS(t *testing.T) {
	endpoint := startLocalKMS(t, "111122223333", "us-west-2")
	awsTestEnv(t, endpoint) // the standard way: $AWS_ENDPOINT_URL_KMS
	c := kmsClient(endpoint, "us-west-2")
	arn := createKMSKey(t, c, startingPolicy)
	f := newFixture(t)
	id, _ := createdKey(t, f, "aws", "--key-arn", arn)

	check := f.run("grants", id, "--check", "-o", "json")
	assertNoAWSSecret(t, check)
	expect(t, check, exitUnhealthy)
	var before policyCheck
	if err := json.Unmarshal([]byte(check.stdout), &before); err != nil {
		t.Fatalf("%v\n%s", err, check.stdout)
	}
	if before.Granted || before.KeyARN != arn || len(before.Statements) != 2 ||
		before.Statements[0].Status != grantedNone || before.Statements[1].Status != grantedNone ||
		len(before.Statements[0].Missing) != len(awsUseActions()) {
		t.Errorf("--check before the apply: %+v", before)
	}
	if !strings.Contains(check.stderr, "byokctl grants "+id+" --apply adds them") {
		t.Errorf("--check does not say how to fix it:\n%s", check.stderr)
	}

	backup := filepath.Join(t.TempDir(), "backup.json")
	apply := f.run("grants", id, "--apply", "--force", "--backup", backup)
	assertNoAWSSecret(t, apply)
	expect(t, apply, exitOK)
	for _, want := range []string{"--- policy of " + arn, "+++ merged policy", "+  }, {\n+    \"Sid\": \"Allow Confluent Cloud BYOK key " + id + " to use the key\",\n"} {
		if !strings.Contains(apply.stderr, want) {
			t.Errorf("the diff lacks %q:\n%s", want, apply.stdout)
		}
	}
	if !strings.Contains(apply.stderr, "backed up the policy of "+arn+" to "+backup) ||
		!strings.Contains(apply.stderr, "updated the policy of "+arn+":\nadded 2 statements for key "+id+`: "Allow Confluent Cloud BYOK key `+id+` to use the key", "Allow`) {
		t.Errorf("--apply says:\n%s", apply.stderr)
	}
	saved, err := os.ReadFile(backup)
	if err != nil || string(saved) != startingPolicy {
		t.Errorf("the backup (%v) is\n%s\nwant the old policy\n%s", err, saved, startingPolicy)
	}
	after := keyPolicy(t, c, arn)
	assertStatementKept(t, after, customStatement)
	// Every byte of the old policy is kept: the statements go in before
	// the list's end.
	end := strings.LastIndex(startingPolicy, " ]")
	if !strings.HasPrefix(after, startingPolicy[:end]) || !strings.HasSuffix(after, startingPolicy[end:]) {
		t.Errorf("the policy written does not keep the old one's bytes:\n%s", after)
	}

	check = f.run("grants", id, "--check")
	expect(t, check, exitOK)
	if strings.Count(check.stdout, "  all "+strings.Repeat(" ", tableGap)+"Allow Confluent Cloud BYOK key "+id) != 2 {
		t.Errorf("--check after the apply:\n%s", check.transcript())
	}

	again := f.run("grants", id, "--apply", "--force", "--backup", filepath.Join(t.TempDir(), "again.json"))
	expect(t, again, exitOK)
	if again.stdout != "" || strings.Contains(again.stderr, "+++") || !strings.Contains(again.stderr, "already grants what key "+id+" needs; nothing was changed") {
		t.Errorf("a second --apply:\n%s", again.transcript())
	}
	if now := keyPolicy(t, c, arn); now != after {
		t.Errorf("a second --apply changed the policy:\n%s\nwas\n%s", now, after)
	}
}

// assertStatementKept fails the test unless policy has stmt, byte for
// byte.
func assertStatementKept(t *testing.T, policy, stmt string) {
	t.Helper()
	if !strings.Contains(policy, stmt) {
		t.Errorf("the policy lost the statement\n%s\n%s", stmt, policy)
	}
}

// TestCreateAWSApplyGrants is the one-command onboarding against the KMS
// emulator: create aws --apply-grants --wait registers the key, writes its
// policy and waits for VALID. Without --force nor a terminal it is a usage
// error before anything is registered.
func TestCreateAWSApplyGrants(t *testing.T) {
	endpoint := startLocalKMS(t, "111122223333", "us-west-2")
	awsTestEnv(t, "")
	c := kmsClient(endpoint, "us-west-2")
	arn := createKMSKey(t, c, startingPolicy)
	f := newFixture(t)

	r := f.run("create", "aws", "--key-arn", arn, "--apply-grants", "--kms-endpoint", endpoint)
	expect(t, r, exitUsage)
	if !strings.Contains(r.stderr, "changing the key policy needs a confirmation, and there is no terminal to ask on: give --force") {
		t.Errorf("without --force:\n%s", r.stderr)
	}
	if list := f.run("list", "-o", "json"); strings.TrimSpace(list.stdout) != "[]" {
		t.Errorf("a refused create registered a key:\n%s", list.stdout)
	}

	backup := filepath.Join(t.TempDir(), "backup.json")
	r = f.run("create", "aws", "--key-arn", arn, "--apply-grants", "--force", "--wait", "--kms-endpoint", endpoint, "--backup", backup, "-o", "json")
	assertNoAWSSecret(t, r)
	expect(t, r, exitOK)
	k := jsonObject(t, r.stdout)
	id := k["id"].(string)
	if field(t, k, "validation", "phase") != "VALID" {
		t.Errorf("create --wait printed\n%s", r.stdout)
	}
	if !strings.Contains(r.stderr, "+++ merged policy") || !strings.Contains(r.stderr, "added 2 statements for key "+id) {
		t.Errorf("create --apply-grants says:\n%s", r.stderr)
	}
	if saved, err := os.ReadFile(backup); err != nil || string(saved) != startingPolicy {
		t.Errorf("the backup (%v):\n%s", err, saved)
	}
	expect(t, f.run("grants", id, "--check", "--kms-endpoint", endpoint), exitOK)

	// --apply-grants flags without it are refused.
	r = f.run("create", "aws", "--key-arn", arn, "--force")
	expect(t, r, exitUsage)
	if !strings.Contains(r.stderr, "--force is for --apply-grants") {
		t.Errorf("--force without --apply-grants:\n%s", r.stderr)
	}
}

// TestGrantsApplyAsks: on a terminal --apply asks; any answer but yes
// changes nothing and writes no backup.
func TestGrantsApplyAsks(t *testing.T) {
	endpoint := startLocalKMS(t, "111122223333", "us-west-2")
	awsTestEnv(t, endpoint)
	c := kmsClient(endpoint, "us-west-2")
	arn := createKMSKey(t, c, startingPolicy)
	f := newFixture(t)
	id, _ := createdKey(t, f, "aws", "--key-arn", arn)
	f.terminal = true
	backup := filepath.Join(t.TempDir(), "backup.json")

	f.stdin = "no\n"
	r := f.run("grants", id, "--apply", "--backup", backup)
	expect(t, r, exitFailure)
	if !strings.Contains(r.stderr, "Write this policy to the key? Type yes to confirm: Not confirmed: the policy was not changed.") {
		t.Errorf("declined:\n%s", r.stderr)
	}
	if _, err := os.Stat(backup); !os.IsNotExist(err) {
		t.Errorf("a declined apply wrote the backup (%v)", err)
	}
	if keyPolicy(t, c, arn) != startingPolicy {
		t.Error("a declined apply changed the policy")
	}

	f.stdin = "yes\n"
	expect(t, f.run("grants", id, "--apply", "--backup", backup), exitOK)
	assertStatementKept(t, keyPolicy(t, c, arn), customStatement)

	// Without a terminal, --apply needs --force, before any request.
	f.terminal = false
	r = f.run("grants", id, "--apply")
	expect(t, r, exitUsage)
}

// TestGrantsApplyWait: --apply --wait waits for the key's validation; the
// backup without --backup is a new file in the current directory.
func TestGrantsApplyWait(t *testing.T) {
	endpoint := startLocalKMS(t, "111122223333", "us-west-2")
	awsTestEnv(t, endpoint)
	arn := createKMSKey(t, kmsClient(endpoint, "us-west-2"), startingPolicy)
	f := newFixture(t)
	id, _ := createdKey(t, f, "aws", "--key-arn", arn)
	dir := t.TempDir()
	t.Chdir(dir) // the backup goes to the current directory
	r := f.run("grants", id, "--apply", "--force", "--wait")
	expect(t, r, exitOK)
	if !strings.HasSuffix(r.stderr, "key "+id+": VALID\n") {
		t.Errorf("--apply --wait says:\n%s", r.stderr)
	}
	// The backup is named after the key and the time (the fixture's clock).
	backup := filepath.Join(dir, id+"-key-policy-20240320T153000Z.json")
	if saved, err := os.ReadFile(backup); err != nil || string(saved) != startingPolicy || !strings.Contains(r.stderr, " to "+backup+"\n") {
		t.Errorf("the backup %s (%v):\n%s\n%s", backup, err, saved, r.stderr)
	}
}
