package health

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/byokctl/byok/api"
	"github.com/byokctl/byok/wrapper"
)

var now = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func key(id string, phase wrapper.Phase, since time.Time, msg string) wrapper.Key {
	return wrapper.Key{
		Key: api.Key{ID: id, DisplayName: "name of " + id, Provider: wrapper.ProviderAWS,
			Validation: wrapper.Validation{Phase: phase, Since: since, Message: msg}},
		Material: wrapper.AWSKey{KeyARN: "arn:aws:kms:us-west-2:111122223333:key/" + id},
	}
}

// byID returns the result of key id, failing the test when there is none.
func byID(t *testing.T, results []Result, id string) Result {
	t.Helper()
	for _, r := range results {
		if r.ID == id {
			return r
		}
	}
	t.Fatalf("no result for %s in %+v", id, results)
	return Result{}
}

// want is the result a test expects for key id.
type want struct {
	id       string
	status   Status
	problems []Problem
	reason   string
}

// assertResults fails the test for each result of wants' keys that is not
// as it expects.
func assertResults(t *testing.T, results []Result, wants []want) {
	t.Helper()
	for _, w := range wants {
		r := byID(t, results, w.id)
		if r.Status != w.status || !slices.Equal(r.Problems, w.problems) || r.Reason != w.reason {
			t.Errorf("%s: got %s %v %q; want %s %v %q", w.id, r.Status, r.Problems, r.Reason, w.status, w.problems, w.reason)
		}
	}
}

func TestEvaluateRules(t *testing.T) {
	in := Input{
		Keys: []wrapper.Key{
			key("cck-valid", wrapper.PhaseValid, now.Add(-time.Hour), ""),
			key("cck-denied", wrapper.PhaseInvalid, now.Add(-time.Minute), "Access to key denied."),
			key("cck-young", wrapper.PhaseInitializing, now.Add(-59*time.Minute), ""),
			key("cck-old", wrapper.PhaseInitializing, now.Add(-time.Hour), ""),
			key("cck-newer", "DEGRADED", now, ""),
		},
		Now:             now,
		InitializingFor: time.Hour,
	}
	results := Evaluate(in)
	if len(results) != len(in.Keys) {
		t.Fatalf("got %d results for %d keys", len(results), len(in.Keys))
	}
	assertResults(t, results, []want{
		{"cck-valid", Healthy, []Problem{}, ""},
		{"cck-denied", Unhealthy, []Problem{Invalid}, "INVALID: Access to key denied."},
		{"cck-young", Healthy, []Problem{}, "INITIALIZING for 59m0s"},
		{"cck-old", Unhealthy, []Problem{InitializingTooLong}, "INITIALIZING for 1h0m0s, longer than 1h0m0s"},
		{"cck-newer", Healthy, []Problem{}, "validation phase DEGRADED, which byokctl does not know"},
	})
	if got := Count(results, Unhealthy); got != 2 {
		t.Errorf("Count(results, Unhealthy) = %d; want 2", got)
	}
}

func TestEvaluateInitializingSinceCreation(t *testing.T) {
	k := key("cck-1", wrapper.PhaseInitializing, time.Time{}, "")
	k.Metadata.CreatedAt = now.Add(-2 * time.Hour)
	r := byID(t, Evaluate(Input{Keys: []wrapper.Key{k}, Now: now, InitializingFor: time.Hour}), "cck-1")
	if r.Status != Unhealthy || r.Since == nil || !r.Since.Equal(k.Metadata.CreatedAt) {
		t.Errorf("got %+v; want unhealthy since the creation", r)
	}
	// Without a threshold a key may initialize for ever.
	r = byID(t, Evaluate(Input{Keys: []wrapper.Key{k}, Now: now}), "cck-1")
	if r.Status != Healthy {
		t.Errorf("without InitializingFor: got %+v; want healthy", r)
	}
	// With no time at all, the age cannot be told: not unhealthy by it.
	k.Metadata.CreatedAt = time.Time{}
	r = byID(t, Evaluate(Input{Keys: []wrapper.Key{k}, Now: now, InitializingFor: time.Hour}), "cck-1")
	if r.Status != Healthy || r.Since != nil {
		t.Errorf("no time: got %+v; want healthy without since", r)
	}
}

func TestEvaluateInvalidWithoutMessage(t *testing.T) {
	r := byID(t, Evaluate(Input{Keys: []wrapper.Key{key("cck-1", wrapper.PhaseInvalid, now, "")}, Now: now}), "cck-1")
	if r.Status != Unhealthy || r.Reason != "INVALID: the server gives no reason" {
		t.Errorf("got %+v", r)
	}
}

func TestEvaluateKeysFile(t *testing.T) {
	in := Input{
		Keys: []wrapper.Key{
			key("cck-a", wrapper.PhaseValid, now, ""),
			key("cck-b", wrapper.PhaseValid, now, ""),
			key("cck-c", wrapper.PhaseInvalid, now, "Access to key denied."),
			key("cck-extra", wrapper.PhaseValid, now, ""),
		},
		File: "keys.yaml",
		Entries: []Entry{
			{Line: 2, Provider: "AWS", Key: "arn:one", IDs: []string{"cck-a"}},
			{Line: 5, Provider: "AWS", Key: "arn:two", DisplayName: "two", IDs: []string{"cck-b", "cck-c"}},
			{Line: 9, Provider: "GCP", Key: "projects/p/locations/l/keyRings/r/cryptoKeys/k", DisplayName: "gone"},
		},
		Now: now,
	}
	results := Evaluate(in)
	if len(results) != 5 {
		t.Fatalf("got %d results; want 4 keys and 1 missing entry: %+v", len(results), results)
	}
	if r := byID(t, results, "cck-a"); r.Status != Healthy || r.Line != 2 {
		t.Errorf("cck-a: %+v", r)
	}
	if r := byID(t, results, "cck-extra"); r.Status != Healthy || r.Line != 0 {
		t.Errorf("cck-extra (not in the file): %+v", r)
	}
	want := "2 keys share the identifier of keys.yaml:5 (cck-b, cck-c)"
	if r := byID(t, results, "cck-b"); r.Status != Unhealthy || !slices.Equal(r.Problems, []Problem{Duplicate}) || r.Reason != want || r.Line != 5 {
		t.Errorf("cck-b: %+v", r)
	}
	if r := byID(t, results, "cck-c"); !slices.Equal(r.Problems, []Problem{Invalid, Duplicate}) ||
		r.Reason != "INVALID: Access to key denied.; "+want {
		t.Errorf("cck-c: %+v", r)
	}
	m := results[4]
	if m.ID != "" || m.Status != Unhealthy || !slices.Equal(m.Problems, []Problem{Missing}) ||
		m.Reason != "listed in keys.yaml:9, not on the server" || m.DisplayName != "gone" || m.Provider != "GCP" || m.Line != 9 {
		t.Errorf("missing entry: %+v", m)
	}
}

func TestEvaluateUndecodable(t *testing.T) {
	results := Evaluate(Input{Undecodable: []*wrapper.KeyDecodeError{{ID: "cck-bad", Err: errors.New("no kind")}}, Now: now})
	if len(results) != 1 || results[0].ID != "cck-bad" || results[0].Status != Unhealthy ||
		!slices.Equal(results[0].Problems, []Problem{Unreadable}) {
		t.Errorf("got %+v", results)
	}
}

// TestEvaluatePolicies: a policy that misses grants makes a key unhealthy
// while it is still VALID or INITIALIZING, with the actions in the reason;
// a policy that could not be read makes the health of an otherwise healthy
// key unknown, and adds to the reason of an unhealthy one; a key without a
// policy is judged by its validation alone.
func TestEvaluatePolicies(t *testing.T) {
	denied := errors.New("kms:GetKeyPolicy: AccessDeniedException")
	in := Input{
		Keys: []wrapper.Key{
			key("cck-granted", wrapper.PhaseValid, now, ""),
			key("cck-missing", wrapper.PhaseValid, now, ""),
			key("cck-young", wrapper.PhaseInitializing, now.Add(-time.Minute), ""),
			key("cck-denied", wrapper.PhaseValid, now, ""),
			key("cck-both", wrapper.PhaseInvalid, now, "Access to key denied."),
			key("cck-other", wrapper.PhaseValid, now, ""),
		},
		Now:             now,
		InitializingFor: time.Hour,
		Policies: map[string]Policy{
			"cck-granted": {},
			"cck-missing": {Missing: []string{"kms:CreateGrant", "kms:ListGrants"}},
			"cck-young":   {Missing: []string{"kms:Encrypt"}},
			"cck-denied":  {Err: denied},
			"cck-both":    {Err: denied},
		},
	}
	const unread = "its policy could not be read, so whether it grants what Confluent Cloud needs is unknown: kms:GetKeyPolicy: AccessDeniedException"
	results := Evaluate(in)
	assertResults(t, results, []want{
		{"cck-granted", Healthy, []Problem{}, ""},
		{"cck-missing", Unhealthy, []Problem{PolicyMissingGrants},
			"its policy does not grant Confluent Cloud kms:CreateGrant, kms:ListGrants; the key turns INVALID without them"},
		{"cck-young", Unhealthy, []Problem{PolicyMissingGrants},
			"its policy does not grant Confluent Cloud kms:Encrypt; the key turns INVALID without them"},
		{"cck-denied", Unknown, []Problem{}, unread},
		{"cck-both", Unhealthy, []Problem{Invalid}, "INVALID: Access to key denied.; " + unread},
		{"cck-other", Healthy, []Problem{}, ""},
	})
	if got := Count(results, Unknown); got != 1 {
		t.Errorf("Count(results, Unknown) = %d; want 1", got)
	}
}
