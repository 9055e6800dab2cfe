package main

import (
	"bytes"
	"context"
	"net/http"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/byokctl/byok/wrapper"
)

// allAWSActions are the actions of the two statements Confluent Cloud
// needs, in their order, as the reason of policy-missing-grants names them.
const allAWSActions = "kms:Encrypt, kms:Decrypt, kms:ReEncrypt*, kms:GenerateDataKey*, kms:DescribeKey, kms:CreateGrant, kms:ListGrants, kms:RevokeGrant"

// setValid makes the keys ids VALID on the fake server.
func setValid(t *testing.T, f *fixture, ids ...string) {
	t.Helper()
	for _, id := range ids {
		if err := f.srv.SetValidation(id, wrapper.PhaseValid, ""); err != nil {
			t.Fatal(err)
		}
	}
}

// TestCheckCloudLocalKMS: two AWS keys in the KMS emulator, both VALID on
// the server; the policy of one grants what Confluent Cloud needs (written
// by grants --apply), the other's does not. check alone finds nothing;
// check --cloud exits 4 and names the second, with the actions it misses,
// before the key turns INVALID; the GCP key is said not to be checked. Once
// the second is granted too, check --cloud exits 0.
func TestCheckCloudLocalKMS(t *testing.T) {
	endpoint := startLocalKMS(t, "111122223333", "us-west-2")
	awsTestEnv(t, "") // the endpoint by the flag this time
	c := kmsClient(endpoint, "us-west-2")
	grantedARN, bareARN := createKMSKey(t, c, startingPolicy), createKMSKey(t, c, startingPolicy)
	f := newFixture(t)
	granted, _ := createdKey(t, f, "aws", "--key-arn", grantedARN, "--display-name", "billing")
	bare, _ := createdKey(t, f, "aws", "--key-arn", bareARN, "--display-name", "payments")
	gcp, _ := createdKey(t, f, "gcp", "--key-id", exampleGCPKey)
	expect(t, f.run("grants", granted, "--apply", "--force", "--kms-endpoint", endpoint,
		"--backup", filepath.Join(t.TempDir(), "backup.json")), exitOK)
	setValid(t, f, granted, bare, gcp)

	expect(t, f.run("check"), exitOK)

	r := f.run("check", "--cloud", "--kms-endpoint", endpoint)
	assertNoAWSSecret(t, r)
	expect(t, r, exitUnhealthy)
	want := bare + " (payments): its policy does not grant Confluent Cloud " + allAWSActions + "; the key turns INVALID without them" +
		" (look further: byokctl grants " + bare + " --check; byokctl grants " + bare + " --apply adds them)\n"
	if r.stdout != want {
		t.Errorf("stdout\n%s\nwant\n%s", r.stdout, want)
	}
	for _, s := range []string{
		"note: 1 key (GCP) is not checked in the cloud: --cloud reads the policies of AWS keys only; byokctl grants ID prints what to grant the others\n",
		"byokctl: 1 of 3 keys unhealthy\n",
	} {
		if !strings.Contains(r.stderr, s) {
			t.Errorf("stderr lacks %q:\n%s", s, r.stderr)
		}
	}

	r = f.run("check", "--cloud", "--kms-endpoint", endpoint, "-o", "json")
	expect(t, r, exitUnhealthy)
	out := decodeCheck(t, r.stdout)
	if out.Healthy || len(out.Keys) != 3 {
		t.Fatalf("want healthy false and 3 keys:\n%s", r.stdout)
	}
	for _, k := range out.Keys {
		if k.Policy == nil {
			t.Fatalf("key %s has no policy:\n%s", k.ID, r.stdout)
		}
		switch k.ID {
		case granted:
			if k.Status != "healthy" || k.Policy.Status != "granted" || len(k.Policy.Statements) != 2 ||
				k.Policy.Statements[0].Status != "all" || k.Policy.Statements[1].Status != "all" {
				t.Errorf("the granted key: %+v %+v", k, *k.Policy)
			}
		case bare:
			if k.Status != "unhealthy" || strings.Join(k.Problems, ",") != "policy-missing-grants" ||
				k.Policy.Status != "policy-missing-grants" || len(k.Policy.Statements) != 2 ||
				k.Policy.Statements[0].Status != "none" || strings.Join(k.Policy.Statements[1].Missing, ",") != "kms:CreateGrant,kms:ListGrants,kms:RevokeGrant" {
				t.Errorf("the key without grants: %+v %+v", k, *k.Policy)
			}
		case gcp:
			if k.Status != "healthy" || k.Policy.Status != "not-checked" || k.Policy.Statements != nil {
				t.Errorf("the GCP key: %+v %+v", k, *k.Policy)
			}
		}
	}

	awsTestEnv(t, endpoint) // the standard way: $AWS_ENDPOINT_URL_KMS
	expect(t, f.run("grants", bare, "--apply", "--force", "--backup", filepath.Join(t.TempDir(), "backup2.json")), exitOK)
	r = f.run("check", "--cloud")
	expect(t, r, exitOK)
	if r.stdout != "" || !strings.HasSuffix(r.stderr, "3 keys, all healthy (the policies of 2 keys checked in AWS KMS)\n") {
		t.Errorf("once granted:\n%s", r.transcript())
	}
}

// everyoneGranted is a policy that grants every action to every principal:
// all that Confluent Cloud needs, and a warning.
const everyoneGranted = `{"Statement":[{"Sid":"open","Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*"}]}`

// TestCheckCloudUnreadable: a key whose policy cannot be read (refused, in
// another account, throttled out, no answer within --timeout) is named
// with what KMS said and what to do; its health is unknown and check exits
// 1, the check could not be made, while the other key is checked all the
// same (granted, with a warning for its over-broad grant). When the other
// key is unhealthy, the exit status is 4. One GetKeyPolicy per key (the
// SDK's retries of a throttled request aside).
func TestCheckCloudUnreadable(t *testing.T) {
	f := newFixture(t)
	const otherARN = "arn:aws:kms:us-west-2:111122223333:key/0a1b2c3d-0000-4000-8000-000000000002"
	unread, _ := createdKey(t, f, "aws", "--key-arn", exampleARN, "--display-name", "billing")
	other, _ := createdKey(t, f, "aws", "--key-arn", otherARN)
	setValid(t, f, unread, other)
	for _, c := range []struct {
		name    string
		answer  func(n int) kmsAnswer // for the key of exampleARN
		hang    bool                  // no answer for it
		args    []string
		want    string // in its reason
		gets    int    // GetKeyPolicy calls for it
		invalid bool   // the other key INVALID on the server
		code    int
	}{
		{name: "access denied", answer: func(int) kmsAnswer {
			return kmsError(http.StatusBadRequest, "AccessDeniedException", "User: arn:aws:sts::111122223333:assumed-role/audit/x is not authorized to perform: kms:GetKeyPolicy")
		}, want: "kms:GetKeyPolicy on " + exampleARN + ": AccessDeniedException: User: arn:aws:sts::111122223333:assumed-role/audit/x is not authorized to perform: kms:GetKeyPolicy " +
			"(HTTP 400, request id req-GetKeyPolicy-", gets: 1, code: exitFailure},
		{name: "another account", answer: func(int) kmsAnswer {
			return kmsError(http.StatusBadRequest, "NotFoundException", "Key '"+exampleARN+"' does not exist\x1b[2J")
		}, want: "a key policy can be read and written only with credentials of the key's own account (111122223333)", gets: 1, code: exitFailure},
		{name: "throttled for good", answer: func(int) kmsAnswer {
			return kmsError(http.StatusBadRequest, "ThrottlingException", "Rate exceeded")
		}, want: "ThrottlingException: Rate exceeded", gets: 3, code: exitFailure},
		{name: "no answer within --timeout", hang: true, args: []string{"--timeout", "2s"},
			want: "its policy could not be read, so whether it grants what Confluent Cloud needs is unknown: gave up after 2s (set a longer --timeout)", gets: 1, code: exitFailure},
		{name: "another key unhealthy", answer: func(int) kmsAnswer {
			return kmsError(http.StatusBadRequest, "AccessDeniedException", "denied")
		}, want: "the IAM permission kms:GetKeyPolicy", gets: 1, invalid: true, code: exitUnhealthy},
	} {
		t.Run(c.name, func(t *testing.T) {
			release := make(chan struct{})
			stub := newStubKMSFor(t, func(call kmsCall, _ int) kmsAnswer {
				if call.body["KeyId"] != exampleARN {
					return kmsPolicy(everyoneGranted)
				}
				if c.hang {
					<-release
				}
				return c.answer(0)
			})
			t.Cleanup(func() { close(release) }) // before the stub's Close
			awsTestEnv(t, stub.url)
			otherPhase, msg := wrapper.PhaseValid, ""
			if c.invalid {
				otherPhase, msg = wrapper.PhaseInvalid, "Access to key denied."
			}
			if err := f.srv.SetValidation(other, otherPhase, msg); err != nil {
				t.Fatal(err)
			}

			r := f.run(append([]string{"check", "--cloud"}, c.args...)...)
			assertNoAWSSecret(t, r)
			expect(t, r, c.code)
			if strings.Contains(r.stdout+r.stderr, "\x1b") {
				t.Errorf("a control character of KMS's answer reached the terminal:\n%q", r.stdout)
			}
			line := unread + " (billing): its policy could not be read, so whether it grants what Confluent Cloud needs is unknown: "
			if !strings.Contains(r.stdout, line) || !strings.Contains(r.stdout, c.want) || !strings.Contains(r.stdout, "(look further: byokctl describe "+unread+")\n") {
				t.Errorf("stdout does not name the key, why and what to do (want %q):\n%s", c.want, r.transcript())
			}
			if !strings.Contains(r.stderr, `warning: `+other+`: statement "open" allows kms:* to every principal ("*")`) {
				t.Errorf("the other key's warning is not shown:\n%s", r.stderr)
			}
			summary := "byokctl: the policy of 1 of 2 keys could not be read, so the check could not be made in full; the others are healthy\n"
			if c.invalid {
				summary = "byokctl: 1 of 2 keys unhealthy; the policy of 1 more could not be read\n"
			}
			if !strings.HasSuffix(r.stderr, summary) {
				t.Errorf("stderr does not end with %q:\n%s", summary, r.stderr)
			}
			gets := 0
			stub.mu.Lock()
			calls := stub.calls
			stub.mu.Unlock()
			for _, call := range calls {
				if call.op != "GetKeyPolicy" {
					t.Errorf("check --cloud sent %s", call.op)
				}
				if call.body["KeyId"] == exampleARN {
					gets++
				}
			}
			if gets != c.gets || stub.count("GetKeyPolicy") != c.gets+1 {
				t.Errorf("%d GetKeyPolicy for the key, %d in all; want %d and 1 for the other key", gets, stub.count(""), c.gets)
			}

			if c.hang {
				return // the same once more would take as long
			}
			r = f.run("check", "--cloud", "-o", "json")
			expect(t, r, c.code)
			out := decodeCheck(t, r.stdout)
			for _, k := range out.Keys {
				if k.ID != unread {
					continue
				}
				if k.Status != "unknown" || len(k.Problems) != 0 || k.Policy == nil || k.Policy.Status != "unreadable" ||
					!strings.Contains(k.Policy.Error, c.want) || !strings.Contains(k.Reason, c.want) {
					t.Errorf("the unreadable key in -o json:\n%s", r.stdout)
				}
			}
			if out.Healthy {
				t.Errorf("healthy is true with a key of unknown health:\n%s", r.stdout)
			}
		})
	}
}

// TestCheckCloudFlags: the KMS flags of grants are check's with --cloud,
// and a usage error without it; a --region other than a key's ARN's makes
// that key's check impossible, said as such.
func TestCheckCloudFlags(t *testing.T) {
	f := newFixture(t)
	id, _ := createdKey(t, f, "aws", "--key-arn", exampleARN)
	setValid(t, f, id)
	for _, args := range [][]string{
		{"check", "--profile", "audit"},
		{"check", "--region", "us-west-2"},
		{"check", "--kms-endpoint", "http://127.0.0.1:1"},
	} {
		r := f.run(args...)
		expect(t, r, exitUsage)
		if !strings.Contains(r.stderr, "--"+strings.TrimPrefix(args[1], "--")+" is for --cloud") {
			t.Errorf("byokctl %s:\n%s", strings.Join(args, " "), r.stderr)
		}
	}

	stub := newStubKMS(t, func(string, int) kmsAnswer { return kmsPolicy(everyoneGranted) })
	awsTestEnv(t, stub.url)
	r := f.run("check", "--cloud", "--region", "eu-west-1")
	expect(t, r, exitFailure)
	if !strings.Contains(r.stdout, "the key "+exampleARN+" is in region us-west-2, not eu-west-1: a KMS key exists in its own region only") || stub.count("") != 0 {
		t.Errorf("a key in another region than --region:\n%s", r.transcript())
	}
	expect(t, f.run("check", "--cloud", "--region", "us-west-2"), exitOK)
}

// TestCheckCloudInterrupted: SIGINT while a key policy is being read stops
// check --cloud at once, with the signal's exit status and no report of
// keys half checked.
func TestCheckCloudInterrupted(t *testing.T) {
	f := newFixture(t)
	id, _ := createdKey(t, f, "aws", "--key-arn", exampleARN)
	setValid(t, f, id)
	arrived, release := make(chan struct{}, 1), make(chan struct{})
	stub := newStubKMSFor(t, func(kmsCall, int) kmsAnswer {
		select {
		case arrived <- struct{}{}:
		default:
		}
		<-release
		return kmsPolicy(everyoneGranted)
	})
	t.Cleanup(func() { close(release) }) // before the stub's Close
	awsTestEnv(t, stub.url)
	ctx, cancel := context.WithCancelCause(t.Context())
	defer cancel(nil)
	go func() {
		select {
		case <-arrived:
		case <-time.After(processLimit): // the test fails below: no request held
		}
		cancel(&interruption{syscall.SIGINT})
	}()
	var stdout, stderr bytes.Buffer
	code := run(ctx, []string{"check", "--cloud"}, f.system(f.env, &stdout, &stderr))
	if code != 130 || stdout.String() != "" || !strings.HasPrefix(stderr.String(), "byokctl: interrupted by SIGINT") || stub.count("GetKeyPolicy") != 1 {
		t.Errorf("exit status %d, %d GetKeyPolicy\n--- stdout\n%s--- stderr\n%s", code, stub.count("GetKeyPolicy"), stdout.String(), stderr.String())
	}
}
