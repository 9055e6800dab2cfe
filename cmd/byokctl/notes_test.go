package main

import (
	"strings"
	"testing"

	"github.com/byokctl/byok/wrapper"
)

// TestJoinNotes: notes are joined "; " apart, without the full stop of a
// sentence before the semicolon.
func TestJoinNotes(t *testing.T) {
	for _, tc := range []struct {
		notes []string
		want  string
	}{
		{[]string{"Access to key denied.", "not in the file; apply --prune deletes it"}, "Access to key denied; not in the file; apply --prune deletes it"},
		{[]string{"", "a", "", "b."}, "a; b."},
		{[]string{"wait..."}, "wait..."},
		{[]string{"wait...", "b"}, "wait...; b"},
		{nil, ""},
	} {
		if got := joinNotes(tc.notes...); got != tc.want {
			t.Errorf("joinNotes(%q) = %q, want %q", tc.notes, got, tc.want)
		}
	}
}

// TestApplyNotePunctuation: the report's note of an extra INVALID key reads
// "Access to key denied; not in the file"; before, "Access to key denied.;
// not in the file".
func TestApplyNotePunctuation(t *testing.T) {
	f := newFixture(t)
	id, _ := createdKey(t, f, "gcp", "--key-id", driftExtraGCP)
	if err := f.srv.SetValidation(id, wrapper.PhaseInvalid, "Access to key denied."); err != nil {
		t.Fatal(err)
	}
	r := f.run("apply", "-f", writeKeysFile(t))
	expect(t, r, exitOK)
	if want := "Access to key denied; not in the file; apply --prune deletes it"; !strings.Contains(r.stdout, want) {
		t.Errorf("the report does not say %q:\n%s", want, r.transcript())
	}
}
