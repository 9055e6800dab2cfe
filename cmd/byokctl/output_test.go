package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/byokctl/byok/api"
	"github.com/byokctl/byok/wrapper"
)

// TestTableCells checks the table on keys byoktest cannot make: a kind this
// version does not know (with a key id, or only its kind's name), empty
// fields, a name with a tab and a line break, a C1 control.
func TestTableCells(t *testing.T) {
	keys := []wrapper.Key{
		{Key: api.Key{ID: "cck-1", DisplayName: "two\tcolumns\nand two lines", Provider: "OCI", State: "RETIRING", Validation: wrapper.Validation{Phase: "REVALIDATING"}}, Material: wrapper.UnknownKey{Raw: json.RawMessage(`{"kind":"OciKey","key_id":"ocid1.key.oc1..x"}`)}},
		{Key: api.Key{ID: "cck-2"}},
		{Key: api.Key{ID: "cck-3\u009b"}, Material: wrapper.UnknownKey{Raw: json.RawMessage(`{"kind":"HsmKey","slot":3}`)}},
	}
	var buf bytes.Buffer
	if err := writeTable(&buf, keys, false); err != nil {
		t.Fatal(err)
	}
	want := "" +
		"ID      DISPLAY NAME                PROVIDER   KEY                STATE      PHASE          REGION   CREATED\n" +
		"cck-1   two columns and two lines   OCI        ocid1.key.oc1..x   RETIRING   REVALIDATING   -        -\n" +
		"cck-2   -                           -          -                  -          -              -        -\n" +
		"cck-3   -                           -          HsmKey             -          -              -        -\n"
	if buf.String() != want {
		t.Errorf("table:\n%s\nwant:\n%s", buf.String(), want)
	}
}

// TestListUndecodableKey checks that a key the client cannot decode does not
// hide the others: they are listed, the bad one is reported, and the exit
// status is 1. The server is a plain loopback handler because its answer
// breaks the spec on purpose (a key without "kind").
func TestListUndecodableKey(t *testing.T) {
	page := `{"api_version":"byok/v1","kind":"KeyList","metadata":{},"data":[
	 {"id":"cck-good","metadata":{"self":"https://api.confluent.cloud/byok/v1/keys/cck-good"},
	  "key":{"kind":"GcpKey","key_id":"projects/p/locations/l/keyRings/r/cryptoKeys/k"},
	  "provider":"GCP","state":"AVAILABLE","validation":{"phase":"VALID","since":"2024-03-20T15:30:00Z"}},
	 {"id":"cck-bad","metadata":{"self":"https://api.confluent.cloud/byok/v1/keys/cck-bad"},
	  "key":{"key_id":"no kind"},
	  "provider":"GCP","state":"AVAILABLE","validation":{"phase":"VALID","since":"2024-03-20T15:30:00Z"}}]}`
	f, env := fixtureAnswering(t, page)
	r := f.runEnv(env, "list", "-o", "json")
	expect(t, r, exitFailure)
	if !strings.Contains(r.stdout, `"id": "cck-good"`) || strings.Contains(r.stdout, "cck-bad") {
		t.Errorf("stdout:\n%s\nwant the good key only", r.stdout)
	}
	if !strings.HasPrefix(r.stderr, "byokctl: key 1 of the page (cck-bad) cannot be decoded: ") || strings.Count(r.stderr, "\n") != 1 {
		t.Errorf("stderr %q", r.stderr)
	}
}

// TestGetPrintsWhatTheServerSent: -o json and -o yaml print the key as the
// server sent it, properties this version does not know included (issue 12:
// they disappeared).
func TestGetPrintsWhatTheServerSent(t *testing.T) {
	key := `{"api_version":"byok/v1","kind":"Key","id":"cck-1","purpose":"billing",
	  "metadata":{"self":"https://api.confluent.cloud/byok/v1/keys/cck-1"},
	  "key":{"kind":"AwsKey","key_arn":"arn:aws:kms:us-west-2:111122223333:key/k","key_spec":"SYMMETRIC_DEFAULT"},
	  "provider":"AWS","state":"AVAILABLE","validation":{"phase":"VALID","since":"2024-03-20T15:30:00Z"},
	  "x_future_field":{"nested":[1,2]}}`
	f, env := fixtureAnswering(t, key)
	for format, want := range map[string][]string{
		"json": {`"purpose": "billing"`, `"key_spec": "SYMMETRIC_DEFAULT"`, `"x_future_field": {`},
		"yaml": {"purpose: billing", "key_spec: SYMMETRIC_DEFAULT", "x_future_field:"},
	} {
		r := f.runEnv(env, "get", "cck-1", "-o", format)
		expect(t, r, exitOK)
		for _, w := range want {
			if !strings.Contains(r.stdout, w) {
				t.Errorf("-o %s lacks %q:\n%s", format, w, r.stdout)
			}
		}
	}
}

func TestShellQuote(t *testing.T) {
	for in, want := range map[string]string{
		"cck-12345":                     "cck-12345",
		"arn:aws:kms:us-west-2:1:key/x": "arn:aws:kms:us-west-2:1:key/x",
		"Billing cluster":               "'Billing cluster'",
		"it's":                          `'it'\''s'`,
		"":                              "''",
		"$HOME":                         "'$HOME'",
	} {
		if got := shellQuote(in); got != want {
			t.Errorf("shellQuote(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestIsCharDevice(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "out"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = f.Close() })
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Close(); _ = w.Close() })
	for name, out := range map[string]any{"a regular file": f, "a pipe": w, "a buffer": &bytes.Buffer{}} {
		if isCharDevice(out) {
			t.Errorf("%s is taken for a terminal", name)
		}
	}
}
