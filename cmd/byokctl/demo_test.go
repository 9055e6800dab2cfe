package main

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/byokctl/byok/internal/testkit"
)

// TestDemo runs the demo end to end (against its own fake, seeded and on a
// fixed clock) and keeps its whole transcript, stdout and stderr
// interleaved as a terminal shows them, in a golden file.
func TestDemo(t *testing.T) {
	f := newFixture(t)
	port := regexp.MustCompile(`http://127\.0\.0\.1:\d+`)

	var out testkit.SyncBuffer
	ctx, cancel := context.WithTimeout(t.Context(), runTimeout)
	defer cancel()
	code := run(ctx, []string{"demo"}, f.system(nil, &out, &out))
	transcript := port.ReplaceAllString(out.String(), "http://127.0.0.1:PORT")
	if code != exitOK {
		t.Fatalf("demo exited with %d:\n%s", code, transcript)
	}
	golden(t, "demo", transcript)

	// Run apart, stdout holds no messages and stderr no data.
	r := f.runEnv(nil, "demo")
	expect(t, r, exitOK)
	for _, msg := range []string{"byokctl: key", "created cck-", "Confluent Cloud can use the key once it has access"} {
		if strings.Contains(r.stdout, msg) {
			t.Errorf("stdout holds the message %q", msg)
		}
		if !strings.Contains(r.stderr, msg) {
			t.Errorf("stderr lacks the message %q", msg)
		}
	}
	for _, data := range []string{"$ byokctl", "ID   ", "api_version: byok/v1", "deleted cck-"} {
		if strings.Contains(r.stderr, data) {
			t.Errorf("stderr holds %q", data)
		}
	}
}

// TestDemoIgnoresUserCredentials checks that the demo neither uses nor
// prints the user's credentials from the environment: its fake uses its
// built-in ones.
func TestDemoIgnoresUserCredentials(t *testing.T) {
	f := newFixture(t)
	env := map[string]string{envAPIKey: "USERKEY", envAPISecret: testAPISecret, envAccessToken: testToken}
	r := f.runEnv(env, "demo")
	expect(t, r, exitOK) // runEnv fails the test if a secret was printed
	if strings.Contains(r.stdout, "USERKEY") {
		t.Errorf("the demo used the user's API key:\n%s", r.stdout)
	}
}

// TestDemoOwnFlags: demo offers only its --debug in its help and refuses
// every global flag, which it would ignore, before starting anything.
func TestDemoOwnFlags(t *testing.T) {
	f := newFixture(t)
	r := f.run("demo", "--help")
	expect(t, r, exitOK)
	for _, unwanted := range []string{"Global Flags", "--timeout", "--endpoint", "--insecure-http", "--api-key", "--api-secret", "--token", "--output"} {
		if strings.Contains(r.stdout, unwanted) {
			t.Errorf("demo --help offers %q:\n%s", unwanted, r.stdout)
		}
	}
	if !strings.Contains(r.stdout, "--debug") {
		t.Errorf("demo --help does not offer --debug:\n%s", r.stdout)
	}
	for _, args := range [][]string{
		{"--timeout", "1s"}, {"--endpoint", "http://127.0.0.1:1"}, {"--insecure-http"},
		{"--api-key", "USERKEY", "--api-secret", testAPISecret}, {"--token", testToken}, {"-o", "json"},
	} {
		r := f.run(append([]string{"demo"}, args...)...)
		name := args[0]
		if name == "-o" {
			name = "--output"
		}
		want := "byokctl: byokctl demo has no " + name + " flag\nRun 'byokctl demo --help' for usage.\n"
		if r.code != exitUsage || r.stderr != want || r.stdout != "" {
			t.Errorf("demo %s: exit status %d, stdout %q, stderr %q; want %d and %q", strings.Join(args, " "), r.code, r.stdout, r.stderr, exitUsage, want)
		}
	}
}
