package main

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/byokctl/byok/cmd/byokctl/internal/health"
	"github.com/byokctl/byok/wrapper"
)

// check --cloud: the policy check of grants --check (checkKeyPolicy) for
// every AWS key, one GetKeyPolicy each, judged by internal/health.

// cloudConcurrency is how many key policies check --cloud reads at once:
// a few, well within the KMS request quota of an account.
const cloudConcurrency = 4

// Statuses of a key's policy in check --cloud, the "status" of its
// "policy" in -o json.
const (
	policyGranted       = "granted"               // the policy grants what Confluent Cloud needs
	policyMissingGrants = "policy-missing-grants" // it does not: the key is unhealthy
	policyUnreadable    = "unreadable"            // it could not be read: the key's health is unknown
	policyNotChecked    = "not-checked"           // not an AWS key: --cloud does not check it
)

// cloudPolicy is what check --cloud found of one key's policy, the "policy"
// of the key in -o json: for a policy read, the statements and warnings of
// grants --check; for one that could not be read, why.
type cloudPolicy struct {
	Status     string           `json:"status"`
	Statements []statementCheck `json:"statements,omitempty"`
	Warnings   []string         `json:"warnings,omitempty"`
	Error      string           `json:"error,omitempty"`
}

// cloudCheck is what check --cloud found, by key id: for the health rules
// and for the output.
type cloudCheck struct {
	health   map[string]health.Policy
	policies map[string]*cloudPolicy
	// checked is the number of AWS keys whose policy was checked.
	checked int
	// notChecked is the number of keys --cloud does not check (Azure,
	// GCP), and notCheckedIn their providers, one each, sorted.
	notChecked   int
	notCheckedIn []string
}

// checkCloud reads the policy of every AWS key of keys, cloudConcurrency at
// a time and all within --timeout (1m by default), and checks what it
// grants with checkKeyPolicy. A policy that cannot be read (a refusal, no
// answer, time running out) is that key's result, not the command's error:
// the others are checked all the same. Only an interruption stops it.
func checkCloud(ctx context.Context, rt *runtime, keys []wrapper.Key, o kmsOptions) (cloudCheck, error) {
	c := cloudCheck{health: map[string]health.Policy{}, policies: map[string]*cloudPolicy{}}
	var aws []wrapper.Key
	for _, k := range keys {
		if _, ok := k.Material.(wrapper.AWSKey); ok {
			aws = append(aws, k)
			continue
		}
		c.policies[k.ID] = &cloudPolicy{Status: policyNotChecked}
		c.notChecked++
		if p := clean(string(k.Provider)); !slices.Contains(c.notCheckedIn, p) {
			c.notCheckedIn = append(c.notCheckedIn, p)
		}
	}
	slices.Sort(c.notCheckedIn)
	c.checked = len(aws)
	checks := make([]policyCheck, len(aws))
	errs := make([]error, len(aws))
	limited, cancel, limit := rt.withTimeout(ctx, defaultTimeout)
	defer cancel()
	var wg sync.WaitGroup
	slots := make(chan struct{}, cloudConcurrency)
	for i, k := range aws {
		wg.Go(func() {
			slots <- struct{}{}
			defer func() { <-slots }()
			set, err := grantsFor(k)
			if err == nil {
				checks[i], err = checkKeyPolicy(limited, set, kmsConfig(rt, o))
			}
			errs[i] = explainDeadline(err, limit)
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return c, explainDeadline(err, limit)
	}
	for i, k := range aws {
		if errs[i] != nil {
			c.health[k.ID] = health.Policy{Err: errs[i]}
			c.policies[k.ID] = &cloudPolicy{Status: policyUnreadable, Error: errs[i].Error()}
			continue
		}
		p := &cloudPolicy{Status: policyGranted, Statements: checks[i].Statements, Warnings: checks[i].Warnings}
		var missing []string
		for _, s := range checks[i].Statements {
			missing = append(missing, s.Missing...)
		}
		if missing != nil {
			p.Status = policyMissingGrants
		}
		c.health[k.ID] = health.Policy{Missing: missing}
		c.policies[k.ID] = p
	}
	return c, nil
}

// report says on stderr what check --cloud did not check, and the
// warnings of the policies it read (grants beyond what Confluent Cloud
// needs: not a problem).
func (c cloudCheck) report(rt *runtime, results []health.Result) {
	if c.notChecked > 0 {
		rt.infof("note: %s (%s) %s not checked in the cloud: --cloud reads the policies of AWS keys only; "+
			"byokctl grants ID prints what to grant the others", countKeys(c.notChecked), strings.Join(c.notCheckedIn, ", "), isOrAre(c.notChecked))
	}
	for _, r := range results {
		if p := c.policies[r.ID]; p != nil {
			for _, w := range p.Warnings {
				rt.infof("warning: %s: %s", clean(healthSubject(r)), clean(w))
			}
		}
	}
}

// isOrAre returns "is" for one, "are" for another count.
func isOrAre(n int) string {
	if n == 1 {
		return "is"
	}
	return "are"
}

// keyHealth is a key's entry in the -o json and -o yaml of check: its
// health, and with --cloud what was found of its policy.
type keyHealth struct {
	health.Result
	Policy *cloudPolicy `json:"policy,omitempty"`
}

// withPolicies returns results with the policies of c (none when c is nil).
func withPolicies(results []health.Result, c *cloudCheck) []keyHealth {
	out := make([]keyHealth, len(results))
	for i, r := range results {
		out[i].Result = r
		if c != nil && r.ID != "" {
			out[i].Policy = c.policies[r.ID]
		}
	}
	return out
}

// unknownError is the answer of a check that found no unhealthy key but
// could not check n of total keys in full: exit status 1, the check could
// not be made.
func unknownError(n, total int) error {
	return &statusError{fmt.Sprintf("the policy of %d of %s could not be read, so the check could not be made in full; the others are healthy",
		n, countKeys(total)), exitFailure}
}
