package main

import (
	"net/url"
	"strings"
	"testing"

	"github.com/byokctl/byok/wrapper"
	"github.com/byokctl/byok/wrapper/byoktest"
)

// seedKeys adds four keys (AWS, Azure, GCP, AWS) to the fixture's server:
// the second IN_USE, the third INVALID.
func seedKeys(t *testing.T, f *fixture) []string {
	t.Helper()
	ids := f.srv.Seed(4)
	if err := f.srv.SetState(ids[1], wrapper.StateInUse); err != nil {
		t.Fatal(err)
	}
	if err := f.srv.SetValidation(ids[2], wrapper.PhaseInvalid, "Access to key denied."); err != nil {
		t.Fatal(err)
	}
	return ids
}

func TestListFormats(t *testing.T) {
	f := newFixture(t)
	seedKeys(t, f)
	for _, format := range []string{"table", "json", "yaml"} {
		t.Run(format, func(t *testing.T) {
			r := f.run("list", "-o", format)
			expect(t, r, exitOK)
			if r.stderr != "" {
				t.Errorf("stderr is not empty:\n%s", r.stderr)
			}
			golden(t, "list-"+format, r.transcript())
		})
	}
	// The default format is the table.
	if def, table := f.run("list"), f.run("list", "-o", "table"); def.stdout != table.stdout {
		t.Errorf("list without -o:\n%s\nwant the table:\n%s", def.stdout, table.stdout)
	}
}

func TestListEmpty(t *testing.T) {
	f := newFixture(t)
	for format, want := range map[string]string{
		"table": "ID   DISPLAY NAME   PROVIDER   KEY   STATE   PHASE   REGION   CREATED\n",
		"json":  "[]\n",
		"yaml":  "[]\n",
	} {
		r := f.run("list", "-o", format)
		expect(t, r, exitOK)
		if r.stdout != want {
			t.Errorf("list -o %s with no keys printed %q, want %q", format, r.stdout, want)
		}
	}
}

func TestListAllPages(t *testing.T) {
	f := newFixture(t)
	ids := f.srv.Seed(25)
	f.srv.ClearRequests()
	r := f.run("list", "--page-size", "10", "-o", "json")
	expect(t, r, exitOK)
	for _, id := range ids {
		if strings.Count(r.stdout, `"id": "`+id+`"`) != 1 {
			t.Errorf("key %s is not listed exactly once", id)
		}
	}
	lists := 0
	for _, req := range f.srv.Requests() {
		if req.Operation == byoktest.OpList {
			lists++
		}
	}
	if lists != 3 {
		t.Errorf("listing 25 keys 10 at a time took %d requests, want 3", lists)
	}
}

// TestListFilters checks that each filter is sent, and that enum values in
// any case are sent in the API's spelling.
func TestListFilters(t *testing.T) {
	f := newFixture(t)
	ids := seedKeys(t, f)
	tests := []struct {
		args      []string
		param     string // the query parameter sent
		value     string // its value
		wantIDs   []string
		wantCount int
	}{
		{[]string{"--provider", "aws"}, "provider", "AWS", []string{ids[0], ids[3]}, 2},
		{[]string{"--provider", "AZURE"}, "provider", "Azure", []string{ids[1]}, 1},
		{[]string{"--provider", "Gcp"}, "provider", "GCP", []string{ids[2]}, 1},
		{[]string{"--state", "in-use"}, "state", "IN_USE", []string{ids[1]}, 1},
		{[]string{"--state", "available"}, "state", "AVAILABLE", []string{ids[0], ids[2], ids[3]}, 3},
		{[]string{"--validation-phase", "Invalid"}, "validation_phase", "INVALID", []string{ids[2]}, 1},
		{[]string{"--validation-phase", "initializing"}, "validation_phase", "INITIALIZING", nil, 0},
		{[]string{"--validation-region", "us-west-2"}, "validation_region", "us-west-2", []string{ids[0]}, 1},
		{[]string{"--display-name", "seed key 2"}, "display_name", "seed key 2", []string{ids[1]}, 1},
		{[]string{"--key", ids[3]}, "key", ids[3], []string{ids[3]}, 1},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, "="), func(t *testing.T) {
			f.srv.ClearRequests()
			r := f.run(append([]string{"list", "-o", "json"}, tt.args...)...)
			expect(t, r, exitOK)
			reqs := f.srv.Requests()
			if len(reqs) != 1 {
				t.Fatalf("%d requests, want 1", len(reqs))
			}
			q, err := url.ParseQuery(reqs[0].Query)
			if err != nil {
				t.Fatal(err)
			}
			if got := q.Get(tt.param); got != tt.value {
				t.Errorf("sent %s=%q, want %q (query %q)", tt.param, got, tt.value, reqs[0].Query)
			}
			if got := strings.Count(r.stdout, `"id": "cck-`); got != tt.wantCount {
				t.Errorf("listed %d keys, want %d:\n%s", got, tt.wantCount, r.stdout)
			}
			for _, id := range tt.wantIDs {
				if !strings.Contains(r.stdout, `"id": "`+id+`"`) {
					t.Errorf("key %s is missing:\n%s", id, r.stdout)
				}
			}
		})
	}
}

// TestEnumFlagsPassUnknownValues checks that provider, state and phase,
// extensible in the API, take a value byokctl does not know: it is sent as
// it is, with a note on stderr; a known value in any case is sent in the
// API's spelling. -o, a closed list, refuses an unknown value before any
// request.
func TestEnumFlagsPassUnknownValues(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		args         []string
		param, value string
		note         string
	}{
		{[]string{"--provider", "OCI"}, "provider", "OCI", "note: --provider OCI is not a value this byokctl knows (AWS, Azure, GCP); it is passed to the server as it is\n"},
		{[]string{"--state", "DELETED"}, "state", "DELETED", "note: --state DELETED is not a value this byokctl knows (AVAILABLE, IN_USE); it is passed to the server as it is\n"},
		{[]string{"--validation-phase", "revalidating"}, "validation_phase", "revalidating", "note: --validation-phase revalidating is not a value this byokctl knows (INITIALIZING, VALID, INVALID); it is passed to the server as it is\n"},
		{[]string{"--provider", "azure"}, "provider", "Azure", ""},
		{[]string{"--state", "in-use"}, "state", "IN_USE", ""},
		{[]string{"--validation-phase", "Valid"}, "validation_phase", "VALID", ""},
	}
	for _, tt := range tests {
		f.srv.ClearRequests()
		r := f.run(append([]string{"list", "-o", "json"}, tt.args...)...)
		expect(t, r, exitOK)
		if r.stderr != tt.note {
			t.Errorf("byokctl list %s: stderr %q, want %q", strings.Join(tt.args, " "), r.stderr, tt.note)
		}
		reqs := f.srv.Requests()
		if len(reqs) != 1 {
			t.Fatalf("%d requests, want 1", len(reqs))
		}
		if q, _ := url.ParseQuery(reqs[0].Query); q.Get(tt.param) != tt.value {
			t.Errorf("byokctl list %s sent %s=%q, want %q", strings.Join(tt.args, " "), tt.param, q.Get(tt.param), tt.value)
		}
	}

	f.srv.ClearRequests()
	for _, args := range [][]string{{"list", "-o", "xml"}, {"list", "--provider", " "}} {
		r := f.run(args...)
		expect(t, r, exitUsage)
		if !strings.Contains(r.stderr, "Run 'byokctl list --help' for usage.") || r.stdout != "" {
			t.Errorf("byokctl %s: stdout %q stderr %q", strings.Join(args, " "), r.stdout, r.stderr)
		}
	}
	if n := len(f.srv.Requests()); n != 0 {
		t.Errorf("usage errors sent %d requests, want none", n)
	}
}
