package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/byokctl/byok/internal/testkit"
	"github.com/byokctl/byok/wrapper"
)

// checkOutput is the -o json output of check.
type checkOutput struct {
	Healthy bool `json:"healthy"`
	Keys    []struct {
		ID, Status, Reason, Provider, Key string
		DisplayName                       string   `json:"display_name"`
		ValidationPhase                   string   `json:"validation_phase"`
		Line                              int      `json:"line"`
		Problems                          []string `json:"problems"`
		Policy                            *struct {
			Status     string           `json:"status"`
			Statements []statementCheck `json:"statements"`
			Warnings   []string         `json:"warnings"`
			Error      string           `json:"error"`
		} `json:"policy"` // with --cloud
	} `json:"keys"`
}

func decodeCheck(t *testing.T, stdout string) checkOutput {
	t.Helper()
	var out checkOutput
	if err := json.Unmarshal([]byte(stdout), &out); err != nil {
		t.Fatalf("%v in\n%s", err, stdout)
	}
	return out
}

// twoKeys returns a fixture holding two VALID keys, and their ids.
func twoKeys(t *testing.T) (*fixture, string, string) {
	t.Helper()
	f := newFixture(t)
	a, _ := createdKey(t, f, "aws", "--key-arn", exampleARN, "--display-name", "billing")
	b, _ := createdKey(t, f, "gcp", "--key-id", exampleGCPKey, "--display-name", "analytics")
	for _, id := range []string{a, b} {
		if err := f.srv.SetValidation(id, wrapper.PhaseValid, ""); err != nil {
			t.Fatal(err)
		}
	}
	return f, a, b
}

// TestCheckHealthy: every key VALID is exit status 0, nothing on stdout, a
// summary on stderr, and only GET requests.
func TestCheckHealthy(t *testing.T) {
	f, _, _ := twoKeys(t)
	f.srv.ClearRequests()
	r := f.run("check")
	expect(t, r, exitOK)
	if r.stdout != "" || r.stderr != "2 keys, all healthy\n" {
		t.Errorf("want nothing on stdout and the summary on stderr:\n%s", r.transcript())
	}
	for _, req := range f.srv.Requests() {
		if req.Method != http.MethodGet {
			t.Errorf("check sent %s %s", req.Method, req.Path)
		}
	}
}

// TestCheckInvalid: a key that lost access is exit status 4; the text names
// it, the server's message and the command to look further; -o json has one
// entry per key with its status and reason.
func TestCheckInvalid(t *testing.T) {
	f, a, b := twoKeys(t)
	if err := f.srv.SetValidation(b, wrapper.PhaseInvalid, "Access to key denied."); err != nil {
		t.Fatal(err)
	}
	r := f.run("check")
	expect(t, r, exitUnhealthy)
	want := b + " (analytics): INVALID: Access to key denied. (look further: byokctl describe " + b + ")\n"
	if r.stdout != want || r.stderr != "byokctl: 1 of 2 keys unhealthy\n" {
		t.Errorf("got\n%s\nwant stdout %q", r.transcript(), want)
	}

	r = f.run("check", "-o", "json")
	expect(t, r, exitUnhealthy)
	out := decodeCheck(t, r.stdout)
	if out.Healthy || len(out.Keys) != 2 {
		t.Fatalf("want healthy false and 2 keys:\n%s", r.stdout)
	}
	got := map[string]string{}
	for _, k := range out.Keys {
		got[k.ID] = k.Status + "|" + strings.Join(k.Problems, ",") + "|" + k.Reason + "|" + k.ValidationPhase
	}
	if got[a] != "healthy|||VALID" || got[b] != "unhealthy|invalid|INVALID: Access to key denied.|INVALID" {
		t.Errorf("got %v", got)
	}
}

// TestCheckInitializing: a key INITIALIZING for --initializing-for (1h by
// default) is unhealthy; for less, healthy.
func TestCheckInitializing(t *testing.T) {
	f, _, b := twoKeys(t)
	if err := f.srv.SetValidation(b, wrapper.PhaseInitializing, ""); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(90 * time.Minute)
	r := f.run("check")
	expect(t, r, exitUnhealthy)
	if !strings.Contains(r.stdout, b+" (analytics): INITIALIZING for 1h30m0s, longer than 1h0m0s") {
		t.Errorf("got\n%s", r.transcript())
	}
	expect(t, f.run("check", "--initializing-for", "2h"), exitOK)
}

// TestCheckKeysFile: with -f, an entry missing on the server and a key the
// file lists that lost access are problems; the keys only on the server are
// checked too.
func TestCheckKeysFile(t *testing.T) {
	f := driftFixture(t)
	r := f.run("check", "-f", keysFilePath("drift.yaml"), "-o", "json")
	expect(t, r, exitUnhealthy)
	var got []string
	for _, k := range decodeCheck(t, r.stdout).Keys {
		got = append(got, k.Status+" "+strings.Join(k.Problems, ",")+" "+k.Provider)
	}
	want := "healthy  AWS|healthy  GCP|unhealthy invalid AWS|healthy  GCP|unhealthy missing Azure"
	if strings.Join(got, "|") != want {
		t.Errorf("got  %s\nwant %s", strings.Join(got, "|"), want)
	}
	r = f.run("check", "-f", keysFilePath("drift.yaml"))
	expect(t, r, exitUnhealthy)
	if !strings.Contains(r.stdout, "Azure key https://vault-name.vault.azure.net/keys/key-name: listed in "+
		keysFilePath("drift.yaml")+":12, not on the server (look further: byokctl diff -f "+keysFilePath("drift.yaml")+")\n") {
		t.Errorf("the missing entry is not named:\n%s", r.transcript())
	}
}

// TestCheckOddServer: two keys sharing an entry's identifier are
// duplicates, a key that cannot be decoded is unhealthy, and the server's
// texts reach the terminal without control characters.
func TestCheckOddServer(t *testing.T) {
	page, err := os.ReadFile(keysFilePath("odd-server-page.json"))
	if err != nil {
		t.Fatal(err)
	}
	f, env := fixtureAnswering(t, string(page))
	r := f.runEnv(env, "check", "-f", keysFilePath("odd.yaml"), "-o", "json")
	expect(t, r, exitUnhealthy)
	got := map[string]string{}
	for _, k := range decodeCheck(t, r.stdout).Keys {
		got[k.ID] = strings.Join(k.Problems, ",")
	}
	for id, want := range map[string]string{"cck-azur1": "duplicate", "cck-azur2": "duplicate", "cck-gcp01": "invalid", "cck-nokind": "unreadable", "cck-enum1": ""} {
		if got[id] != want {
			t.Errorf("%s: problems %q; want %q (all: %v)", id, got[id], want, got)
		}
	}
	r = f.runEnv(env, "check", "-f", keysFilePath("odd.yaml"))
	expect(t, r, exitUnhealthy)
	if strings.Contains(r.stdout+r.stderr, "\x1b") || !strings.Contains(r.stdout, "cck-azur1") {
		t.Errorf("a control character reached the terminal, or a duplicate is not named:\n%q", r.stdout)
	}
}

// TestCheckCouldNotBeMade: refused credentials and an unreachable API are
// exit status 1, not the unhealthy status; a mistake on the command line is
// 2.
func TestCheckCouldNotBeMade(t *testing.T) {
	f, _, _ := twoKeys(t)
	env := map[string]string{envEndpoint: f.srv.URL(), envAPIKey: testAPIKey, envAPISecret: wrongSecret}
	r := f.runEnv(env, "check")
	expect(t, r, exitFailure)
	if r.stdout != "" || !strings.Contains(r.stderr, "401") {
		t.Errorf("want the refusal on stderr only:\n%s", r.transcript())
	}
	env = map[string]string{envEndpoint: testkit.RefusedURL(t), envAPIKey: testAPIKey, envAPISecret: testAPISecret}
	expect(t, f.runEnv(env, "check", "--timeout", "2s"), exitFailure)

	for _, args := range [][]string{
		{"check", "--initializing-for", "0s"},
		{"check", "-o", "csv"},
		{"check", "extra-arg"},
		{"check", "-f", "no-such-file.yaml"},
	} {
		if r := f.run(args...); r.code != exitUsage {
			t.Errorf("byokctl %s: exit status %d, want %d\n%s", strings.Join(args, " "), r.code, exitUsage, r.transcript())
		}
	}
}

// TestRunCheck calls check's run function without cobra.
func TestRunCheck(t *testing.T) {
	f, _, b := twoKeys(t)
	if err := f.srv.SetValidation(b, wrapper.PhaseInvalid, "Access to key denied."); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	rt := newTestRuntime(f.system(f.env, &stdout, &stderr), newEnumFlag(formatHuman, formatHuman, formatJSON))
	err := runCheck(t.Context(), rt, checkOptions{initializingFor: time.Hour})
	if exitCode(err) != exitUnhealthy || !strings.Contains(stdout.String(), b) {
		t.Errorf("got %v (exit status %d), stdout %q", err, exitCode(err), stdout.String())
	}
}
