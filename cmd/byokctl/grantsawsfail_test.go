package main

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// policyOf returns a policy with the root statement and pad, a statement
// of the user's own padded to make the policy about size bytes (0: no
// padding).
func policyOf(size int) string {
	p := `{"Version":"2012-10-17","Statement":[{"Sid":"Enable IAM User Permissions","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*"}`
	if size > 0 {
		const head, tail = `,{"Sid":"pad","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/`, `"},"Action":"kms:DescribeKey","Resource":"*"}`
		p += head + strings.Repeat("x", max(0, size-len(p)-len(head)-len(tail)-2)) + tail
	}
	return p + "]}"
}

// TestGrantsAWSFailures: each failure of the AWS side of grants --check
// and --apply has a message that says what happened and what to do, and
// leaves the policy as it was. The stub KMS answers what local-kms
// cannot.
func TestGrantsAWSFailures(t *testing.T) {
	f := newFixture(t)
	id, _ := createdKey(t, f, "aws", "--key-arn", exampleARN)
	policy := policyOf(0)
	denied := func(op string) func(string, int) kmsAnswer {
		return func(got string, _ int) kmsAnswer {
			if got == op {
				return kmsError(http.StatusBadRequest, "AccessDeniedException", "User: arn:aws:sts::111122223333:assumed-role/dev/x is not authorized to perform: kms:"+op)
			}
			return kmsPolicy(policy)
		}
	}
	// ours is a policy with the first statement byokctl writes for key
	// id, naming the role of id and another.
	ours := func(id, other string) string {
		return `{"Statement":[{"Sid":"Allow Confluent Cloud BYOK key ` + id + ` to use the key","Effect":"Allow",` +
			`"Principal":{"AWS":["arn:aws:iam::368844766048:role/cc-byok-` + id + `","arn:aws:iam::368844766048:` + other + `"]},"Action":["kms:Encrypt"],"Resource":"*"}]}`
	}
	for _, c := range []struct {
		name   string
		answer func(op string, n int) kmsAnswer
		args   []string
		code   int
		want   []string // in stderr
		gets   int      // GetKeyPolicy calls
		puts   int      // PutKeyPolicy calls
		backup bool     // whether --apply wrote the backup
	}{
		{"access denied on get", denied("GetKeyPolicy"), []string{"--check"}, exitFailure, []string{
			"byokctl: kms:GetKeyPolicy on " + exampleARN + ": AccessDeniedException: User: arn:aws:sts::111122223333:assumed-role/dev/x is not authorized to perform: kms:GetKeyPolicy " +
				"(HTTP 400, request id req-GetKeyPolicy-0); the AWS credentials need the IAM permission kms:GetKeyPolicy on the key",
		}, 1, 0, false},
		{"access denied on get, apply", denied("GetKeyPolicy"), []string{"--apply", "--force"}, exitFailure, []string{
			"the AWS credentials need the IAM permission kms:GetKeyPolicy",
		}, 1, 0, false},
		{"access denied on put", denied("PutKeyPolicy"), []string{"--apply", "--force"}, exitFailure, []string{
			"byokctl: kms:PutKeyPolicy on " + exampleARN + ": AccessDeniedException: User: arn:aws:sts::111122223333:assumed-role/dev/x is not authorized to perform: kms:PutKeyPolicy " +
				"(HTTP 400, request id req-PutKeyPolicy-0); the policy was not changed; the AWS credentials need the IAM permission kms:PutKeyPolicy on the key",
			"(the backup ",
		}, 2, 1, true},
		{"malformed policy", func(op string, _ int) kmsAnswer {
			if op == "PutKeyPolicy" {
				return kmsError(http.StatusBadRequest, "MalformedPolicyDocumentException", "Policy contains a statement with one or more invalid principals.")
			}
			return kmsPolicy(policy)
		}, []string{"--apply", "--force"}, exitFailure, []string{
			"MalformedPolicyDocumentException: Policy contains a statement with one or more invalid principals. (HTTP 400, request id req-PutKeyPolicy-0); the policy was not changed; KMS refused the merged policy",
		}, 2, 1, true},
		{"throttled, then answered", func(_ string, n int) kmsAnswer {
			if n < 2 {
				return kmsError(http.StatusBadRequest, "ThrottlingException", "Rate exceeded")
			}
			return kmsPolicy(policy)
		}, []string{"--check"}, exitUnhealthy, []string{"misses grants key " + id + " needs"}, 3, 0, false},
		{"throttled for good", func(string, int) kmsAnswer {
			return kmsError(http.StatusBadRequest, "ThrottlingException", "Rate exceeded")
		}, []string{"--check"}, exitFailure, []string{
			"ThrottlingException: Rate exceeded (HTTP 400, request id req-GetKeyPolicy-2); KMS still throttled the request after the SDK's retries",
		}, 3, 0, false},
		{"changed between read and write", func(op string, n int) kmsAnswer {
			if n == 0 {
				return kmsPolicy(policy)
			}
			return kmsPolicy(strings.Replace(policy, "kms:*", "kms:Describe*", 1))
		}, []string{"--apply", "--force"}, exitFailure, []string{
			"the policy of " + exampleARN + ": someone else changed the key policy since byokctl read it; nothing was written: run the command again",
		}, 2, 0, true},
		{"over 32 KiB after the merge", func(string, int) kmsAnswer { return kmsPolicy(policyOf(32400)) }, []string{"--apply", "--force"}, exitFailure, []string{
			"the key policy is over the KMS limit: the merged policy has ", " bytes, and KMS accepts at most 32768 (32 KiB); nothing was written",
		}, 1, 0, false},
		{"a statement of ours that grants more", func(string, int) kmsAnswer { return kmsPolicy(ours(id, "role/other")) }, []string{"--apply", "--force"}, exitFailure, []string{
			`has a statement "Allow Confluent Cloud BYOK key ` + id + ` to use the key" that differs from what key ` + id + ` needs, and replacing it would take grants away; nothing was changed`,
		}, 1, 0, false},
		{"a statement of ours that grants less is replaced", func(op string, n int) kmsAnswer {
			return kmsPolicy(strings.Replace(ours(id, "role/x"), `,"arn:aws:iam::368844766048:role/x"`, "", 1))
		}, []string{"--apply", "--force"}, exitOK, []string{
			`replaced 1 statement of the same Sid that granted other principals or actions: "Allow Confluent Cloud BYOK key ` + id + ` to use the key"`,
		}, 2, 1, true},
		{"another region", denied(""), []string{"--check", "--region", "eu-west-1"}, exitUsage, []string{
			"the key " + exampleARN + " is in region us-west-2, not eu-west-1: a KMS key exists in its own region only",
		}, 0, 0, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			stub := newStubKMS(t, c.answer)
			awsTestEnv(t, stub.url)
			backup := filepath.Join(t.TempDir(), "backup.json")
			args := append([]string{"grants", id}, c.args...)
			if c.args[0] == "--apply" {
				args = append(args, "--backup", backup)
			}
			r := f.run(args...)
			assertNoAWSSecret(t, r)
			expect(t, r, c.code)
			for _, want := range c.want {
				if !strings.Contains(r.stderr, want) {
					t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
				}
			}
			if gets, puts := stub.count("GetKeyPolicy"), stub.count("PutKeyPolicy"); gets != c.gets || puts != c.puts {
				t.Errorf("%d GetKeyPolicy and %d PutKeyPolicy calls, want %d and %d", gets, puts, c.gets, c.puts)
			}
			saved, err := os.ReadFile(backup)
			var first struct{ Policy string }
			_ = json.Unmarshal([]byte(c.answer("GetKeyPolicy", 0).body), &first)
			if c.backup != (err == nil) || (c.backup && string(saved) != first.Policy) {
				t.Errorf("backup %q (%v), want one: %v", saved, err, c.backup)
			}
		})
	}
}

// TestGrantsAWSKeyElsewhere: a key in another account than the
// credentials' is not found by KMS (local-kms answers as KMS does), and
// the message says whose credentials are needed; a key registered by an
// alias ARN has no policy to read, and nothing is sent.
func TestGrantsAWSKeyElsewhere(t *testing.T) {
	endpoint := startLocalKMS(t, "111122223333", "us-west-2")
	awsTestEnv(t, endpoint)
	f := newFixture(t)
	other := "arn:aws:kms:us-west-2:444455556666:key/0b8e9f2a-6d0f-4c3e-9d7a-2f4b1c6e8a90"
	id, _ := createdKey(t, f, "aws", "--key-arn", other)
	r := f.run("grants", id, "--check")
	expect(t, r, exitFailure)
	if !strings.Contains(r.stderr, "kms:GetKeyPolicy on "+other+": NotFoundException: ") ||
		!strings.Contains(r.stderr, "only with credentials of the key's own account (444455556666), in its region (us-west-2): choose them with --profile") {
		t.Errorf("a key of another account:\n%s", r.stderr)
	}

	// create --apply-grants registers nothing when the policy cannot be read.
	r = f.run("create", "aws", "--key-arn", strings.Replace(other, "0b8e", "1b8e", 1), "--apply-grants", "--force")
	expect(t, r, exitFailure)
	if !strings.Contains(r.stderr, "NotFoundException") || !strings.Contains(r.stderr, "; the key was not registered") {
		t.Errorf("create --apply-grants of a key of another account:\n%s", r.stderr)
	}
	if list := f.run("list", "-o", "json"); strings.Count(list.stdout, `"id"`) != 1 {
		t.Errorf("create --apply-grants registered a key it could not read:\n%s", list.stdout)
	}

	// An alias ARN: refused by create, and by grants when the server has one.
	stub := newStubKMS(t, func(string, int) kmsAnswer { return kmsPolicy(policyOf(0)) })
	awsTestEnv(t, stub.url)
	alias := "arn:aws:kms:us-west-2:111122223333:alias/billing"
	expect(t, f.run("create", "aws", "--key-arn", alias, "--apply-grants", "--force"), exitUsage)
	af, env := fixtureAnswering(t, `{"api_version":"byok/v1","kind":"Key","id":"cck-alias","metadata":{"self":"https://api.confluent.cloud/byok/v1/keys/cck-alias"},
	  "key":{"kind":"AwsKey","key_arn":"`+alias+`","roles":["arn:aws:iam::368844766048:role/cc-byok-cck-alias"]},
	  "provider":"AWS","state":"AVAILABLE","validation":{"phase":"INITIALIZING","since":"2024-03-20T15:30:00Z"}}`)
	for _, mode := range []string{"--check", "--apply"} {
		r := af.runEnv(env, "grants", "cck-alias", mode, "--force")
		if mode == "--check" {
			r = af.runEnv(env, "grants", "cck-alias", mode)
		}
		expect(t, r, exitFailure)
		if !strings.Contains(r.stderr, `key_arn "`+alias+`" is not a KMS key ARN`) {
			t.Errorf("grants %s of a key registered by an alias ARN:\n%s", mode, r.stderr)
		}
	}
	if n := stub.count(""); n != 0 {
		t.Errorf("%d requests to KMS for alias ARNs", n)
	}
}

// TestGrantsAWSCredentials: without AWS credentials, or with a profile the
// shared files do not have, nothing is sent and the message says how to
// give them.
func TestGrantsAWSCredentials(t *testing.T) {
	f := newFixture(t)
	id, _ := createdKey(t, f, "aws", "--key-arn", exampleARN)
	stub := newStubKMS(t, func(string, int) kmsAnswer { return kmsPolicy(policyOf(0)) })
	awsTestEnv(t, stub.url)
	config := filepath.Join(t.TempDir(), "config")
	writeFile(t, config, "[profile dev]\nregion = us-west-2\n")
	t.Setenv("AWS_CONFIG_FILE", config)

	r := f.run("grants", id, "--check", "--profile", "prod")
	expect(t, r, exitFailure)
	if want := `byokctl: the AWS profile "prod" is not in `; !strings.Contains(r.stderr, want) || !strings.Contains(r.stderr, "name one of their profiles with --profile") {
		t.Errorf("an unknown profile:\n%s", r.stderr)
	}

	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")
	r = f.run("grants", id, "--check", "--profile", "dev")
	expect(t, r, exitFailure)
	if !strings.Contains(r.stderr, "the AWS SDK found no credentials: give them as to the AWS CLI") {
		t.Errorf("no credentials:\n%s", r.stderr)
	}
	if n := stub.count(""); n != 0 {
		t.Errorf("%d requests without credentials", n)
	}
}

// TestGrantsAWSCleansPolicy: the policy KMS answers is server text: the
// diff and the warnings show it cleaned (here a right-to-left override
// in a Sid).
func TestGrantsAWSCleansPolicy(t *testing.T) {
	f := newFixture(t)
	id, _ := createdKey(t, f, "aws", "--key-arn", exampleARN)
	policy := strings.Replace(policyOf(0), `]}`, `,{"Sid":"evil`+"\u202e"+` txt.exe","Effect":"Allow","Principal":"*","Action":"kms:Decrypt","Resource":"*"}]}`, 1)
	stub := newStubKMS(t, func(string, int) kmsAnswer { return kmsPolicy(policy) })
	awsTestEnv(t, stub.url)
	for _, args := range [][]string{{"--check"}, {"--apply", "--force", "--backup", filepath.Join(t.TempDir(), "b.json")}} {
		r := f.run(append([]string{"grants", id}, args...)...)
		if strings.Contains(r.stderr+r.stdout, "\u202e") || !strings.Contains(r.stderr, " txt.exe") {
			t.Errorf("grants %s printed the policy uncleaned:\n%s", args[0], r.transcript())
		}
	}
}

// TestCreateAWSApplyGrantsFails: when the policy cannot be written after
// the key is registered, create says the key is registered and how to
// finish, and prints the key.
func TestCreateAWSApplyGrantsFails(t *testing.T) {
	f := newFixture(t)
	stub := newStubKMS(t, func(op string, _ int) kmsAnswer {
		if op == "PutKeyPolicy" {
			return kmsError(http.StatusBadRequest, "AccessDeniedException", "not authorized to perform: kms:PutKeyPolicy")
		}
		return kmsPolicy(policyOf(0))
	})
	awsTestEnv(t, stub.url)
	r := f.run("create", "aws", "--key-arn", exampleARN, "--apply-grants", "--force", "--backup", filepath.Join(t.TempDir(), "b.json"), "-o", "json")
	expect(t, r, exitFailure)
	id, _ := jsonObject(t, r.stdout)["id"].(string)
	if id == "" || !strings.Contains(r.stderr, "byokctl: key "+id+" is registered, but kms:PutKeyPolicy on "+exampleARN+": AccessDeniedException") ||
		!strings.HasSuffix(r.stderr, "; then run byokctl grants "+id+" --apply\n") {
		t.Errorf("a create whose policy was not written:\n%s", r.transcript())
	}
}
