package main

import (
	"slices"
	"strings"
	"testing"

	"github.com/byokctl/byok/api"
	"github.com/byokctl/byok/cmd/byokctl/internal/kmspolicy"
	"github.com/byokctl/byok/wrapper"
)

// awsTestKey is an AWS key with one role, as the server returns it.
func awsTestKey() wrapper.Key {
	return wrapper.Key{Key: api.Key{ID: "cck-1", Provider: wrapper.ProviderAWS}, Material: wrapper.AWSKey{
		KeyARN: exampleARN, Roles: []string{"arn:aws:iam::368844766048:role/cc-byok-cck-1"},
	}}
}

// TestEvaluatePolicy checks the status of each required statement and the
// warnings, for policies worked out by hand.
func TestEvaluatePolicy(t *testing.T) {
	set, err := grantsFor(awsTestKey())
	if err != nil {
		t.Fatal(err)
	}
	const role = `"arn:aws:iam::368844766048:role/cc-byok-cck-1"`
	stmt := func(principal, action string, more ...string) string {
		return `{"Effect":"Allow","Principal":` + principal + `,"Action":` + action + `,"Resource":"*"` + strings.Join(more, "") + `}`
	}
	policy := func(stmts ...string) string { return `{"Statement":[` + strings.Join(stmts, ",") + `]}` }
	for _, c := range []struct {
		name     string
		policy   string
		statuses []string // of the use and the grants statement
		missing  []string // of the use statement
		warnings []string // each a part of one warning, in order
	}{
		{"nothing", `{}`, []string{grantedNone, grantedNone}, awsUseActions(), nil},
		{"exactly", policy(stmt(`{"AWS":[`+role+`]}`, `["kms:Encrypt","kms:Decrypt","kms:ReEncrypt*","kms:GenerateDataKey*","kms:DescribeKey","kms:CreateGrant","kms:ListGrants","kms:RevokeGrant"]`)),
			[]string{grantedAll, grantedAll}, nil, nil},
		{"some", policy(stmt(`{"AWS":`+role+`}`, `["kms:Decrypt","kms:CreateGrant","kms:ListGrants","kms:RevokeGrant"]`)),
			[]string{grantedSome, grantedAll}, []string{"kms:Encrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"}, nil},
		{"kms:* to the role is all, and more", policy(stmt(`{"AWS":`+role+`}`, `"kms:*"`)),
			[]string{grantedAll, grantedAll}, nil, []string{"grants the key's roles more than Confluent Cloud needs: kms:*"}},
		{"to every principal", policy(stmt(`"*"`, `"kms:*"`)),
			[]string{grantedAll, grantedAll}, nil, []string{`statement 1 allows kms:* to every principal ("*")`}},
		{"with other principals", policy(stmt(`{"AWS":[`+role+`,"arn:aws:iam::1:role/x"]}`, `"kms:Encrypt"`)),
			[]string{grantedSome, grantedNone}, []string{"kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"},
			[]string{"grants the same to other principals too: arn:aws:iam::1:role/x"}},
		{"a condition grants nothing certain", policy(stmt(`{"AWS":`+role+`}`, `"kms:*"`, `,"Condition":{"Bool":{"aws:SecureTransport":"true"}}`)),
			[]string{grantedNone, grantedNone}, awsUseActions(), []string{"more than Confluent Cloud needs: kms:*"}},
		{"a deny takes away", policy(stmt(`{"AWS":`+role+`}`, `"kms:*"`), `{"Sid":"no grants","Effect":"Deny","Principal":"*","Action":"kms:*Grant*","Resource":"*"}`),
			[]string{grantedAll, grantedNone}, nil, []string{"more than Confluent Cloud needs: kms:*"}},
		{"another role only", policy(stmt(`{"AWS":"arn:aws:iam::1:role/x"}`, `"kms:*"`)), []string{grantedNone, grantedNone}, awsUseActions(), nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := evaluatePolicy(set, []byte(c.policy))
			if err != nil {
				t.Fatal(err)
			}
			statuses := []string{got.Statements[0].Status, got.Statements[1].Status}
			if !slices.Equal(statuses, c.statuses) || !slices.Equal(got.Statements[0].Missing, c.missing) ||
				got.Granted != (c.statuses[0] == grantedAll && c.statuses[1] == grantedAll) {
				t.Errorf("%+v, want statuses %q, missing %q", got, c.statuses, c.missing)
			}
			if len(got.Warnings) != len(c.warnings) {
				t.Fatalf("warnings %q, want %d", got.Warnings, len(c.warnings))
			}
			for i, w := range c.warnings {
				if !strings.Contains(got.Warnings[i], w) {
					t.Errorf("warning %q, want one with %q", got.Warnings[i], w)
				}
			}
		})
	}
}

// TestCheckKeyPolicy calls the policy check as a function, as byokctl
// check can: no command, no flags.
func TestCheckKeyPolicy(t *testing.T) {
	stub := newStubKMS(t, func(string, int) kmsAnswer { return kmsPolicy(`{"Statement":[]}`) })
	awsTestEnv(t, "")
	set, err := grantsFor(awsTestKey())
	if err != nil {
		t.Fatal(err)
	}
	c, err := checkKeyPolicy(t.Context(), set, kmspolicy.Config{Endpoint: stub.url})
	if err != nil || c.Granted || c.KeyARN != exampleARN || stub.count("GetKeyPolicy") != 1 {
		t.Errorf("checkKeyPolicy: %+v, %v", c, err)
	}
}

// TestActionMatch checks the wildcards of policy actions.
func TestActionMatch(t *testing.T) {
	for _, c := range []struct {
		pattern, action string
		want            bool
	}{
		{"kms:Encrypt", "kms:Encrypt", true},
		{"KMS:encrypt", "kms:Encrypt", true},
		{"kms:*", "kms:ReEncrypt*", true},
		{"*", "kms:Decrypt", true},
		{"kms:ReEncrypt*", "kms:ReEncrypt*", true},
		{"kms:ReEncrypt?", "kms:ReEncrypt*", true},
		{"kms:*Grant*", "kms:ListGrants", true},
		{"kms:Encrypt", "kms:EncryptX", false},
		{"kms:Decrypt*", "kms:Encrypt", false},
		{"kms:?", "kms:", false},
	} {
		if got := actionMatch(c.pattern, c.action); got != c.want {
			t.Errorf("actionMatch(%q, %q) = %v, want %v", c.pattern, c.action, got, c.want)
		}
	}
}
