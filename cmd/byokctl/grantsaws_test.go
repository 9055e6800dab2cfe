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
	expect(t, check, exitNotGranted)
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
	if strings.Count(check.stdout, "  all   Allow Confluent Cloud BYOK key "+id) != 2 {
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
