package main

import (
	"strings"
	"testing"
)

// TestApplyCreateAnswerMismatch: a server that answers apply's create with
// another key ARN than the one sent (a lying server) fails the entry and the
// run, prints no grants for that key, and gets one create only: the entry is
// not created again in a later round, whether the server kept the key as
// sent (the next listing shows the entry in sync) or kept the ARN it
// answered (the next listing still shows it to create). Before, apply took
// the answer at its word (checkCreated was create's only): exit status 0
// and "created", with the grants of the other key printed.
func TestApplyCreateAnswerMismatch(t *testing.T) {
	other := func(string) string { return laxARN(999) }
	for _, tc := range []struct {
		name   string
		stored func(string) string
	}{
		{"kept as sent", nil},
		{"kept as answered", other},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newLaxServer(t)
			s.answered, s.stored = other, tc.stored
			file := inSyncAndNew(t, s, 1, 1)
			r := s.fixture().run("apply", "-f", file, "-o", "json")
			creates, _ := s.counts()
			rep := decodeReport(t, r)
			expect(t, r, exitFailure)
			var got []string
			for _, k := range rep.Keys {
				got = append(got, k.Result)
			}
			if creates != 1 || rep.Converged || strings.Join(got, ",") != "in-sync,failed"+map[bool]string{true: ",kept"}[tc.stored != nil] {
				t.Errorf("%d creates, converged %v, results %v; want 1 create, not converged, the new entry failed\n%s", creates, rep.Converged, got, tail(r.transcript()))
			}
			want := "the server answered the create with key cck-00002, whose key_arn is \"" + laxARN(999) + "\", not the \"" + laxARN(1) + "\" sent"
			if !strings.Contains(r.stderr, "byokctl: create AWS "+laxARN(1)+": "+want) || !strings.Contains(r.stderr, "not converged: 1 key: failed AWS "+laxARN(1)) {
				t.Errorf("stderr does not say %q for the entry, and not converged:\n%s", want, tail(r.stderr))
			}
			if strings.Contains(r.stderr, "byokctl grants cck-00002") {
				t.Errorf("grants printed for a key whose answer does not match:\n%s", tail(r.stderr))
			}
		})
	}
}
