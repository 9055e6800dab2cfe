package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/byokctl/byok/api"
	"github.com/byokctl/byok/internal/testkit"
	"github.com/byokctl/byok/wrapper"
)

// FuzzOutputFormats writes keys whose every text is arbitrary as a table,
// JSON and YAML: none fails, none lets a character a terminal acts on
// through, the table keeps one line per key, and JSON and YAML read back
// the same text.
func FuzzOutputFormats(f *testing.F) {
	f.Add("seed key 1", "arn:aws:kms:us-west-2:111122223333:key/1", "Access to key denied.", "AwsKey")
	f.Add("a\x7fb", "\x1b]0;title\x07\x1b[2J", "\u009b31m", "OciKey")
	f.Add("\u202eevil\u202c", "yes", "- x: y", "")
	f.Add("two\tcolumns\nand lines", "'quoted'", `"double"`, "Kind\x00")
	f.Add("byokctlunsafe0end", "\xff\xfe", "\u2028", "#")
	f.Fuzz(func(t *testing.T, name, identifier, message, kind string) {
		raw, err := json.Marshal(map[string]string{"kind": kind, "key_id": identifier, name: message})
		if err != nil {
			t.Skip() // invalid UTF-8 in a key of the raw object: not JSON
		}
		keys := []wrapper.Key{
			{Key: api.Key{ID: name, DisplayName: name, Provider: wrapper.Provider(kind), State: wrapper.State(message), Validation: wrapper.Validation{Phase: wrapper.Phase(message), Message: message, Region: identifier}}, Material: wrapper.AWSKey{KeyARN: identifier, Roles: []string{name, message}}},
			{Key: api.Key{ID: "cck-2", DisplayName: message}, Material: wrapper.UnknownKey{Raw: raw}},
			{Key: api.Key{ID: "cck-3", DisplayName: identifier}, Material: wrapper.GCPKey{KeyID: identifier, SecurityGroup: name}},
		}
		var table bytes.Buffer
		if err := writeTable(&table, keys, true); err != nil {
			t.Fatal(err)
		}
		assertTerminalSafe(t, "table", table.String())
		if n := strings.Count(table.String(), "\n"); n != len(keys)+1 {
			t.Errorf("table of %d keys has %d lines", len(keys), n)
		}

		out, err := encodeJSON(keys, "  ")
		if err != nil {
			t.Fatalf("JSON: %v", err)
		}
		assertTerminalSafe(t, "JSON", string(out))
		var back []struct {
			DisplayName string `json:"display_name"`
		}
		if err := json.Unmarshal(out, &back); err != nil {
			t.Fatalf("JSON does not read back: %v", err)
		}
		want, _ := json.Marshal(name) // what the JSON of name is: invalid UTF-8 replaced
		var wantName string
		_ = json.Unmarshal(want, &wantName)
		if len(back) != len(keys) || back[0].DisplayName != wantName {
			t.Errorf("JSON reads back %q, want %q", back, wantName)
		}

		out, err = encodeYAML(keys)
		if err != nil {
			t.Fatalf("YAML: %v", err)
		}
		assertTerminalSafe(t, "YAML", string(out))
		back = nil
		if err := yaml.Unmarshal(out, &back); err != nil {
			t.Fatalf("YAML does not read back: %v\n%.2000q", err, out)
		}
		if len(back) != len(keys) || back[0].DisplayName != wantName {
			t.Errorf("YAML reads back %q, want %q", back, wantName)
		}

		text, err := grantsText(keys[0])
		if err == nil {
			assertTerminalSafe(t, "grants", text)
		}
	})
}

// FuzzArgs runs byokctl with arbitrary arguments, one per line of the
// input. Whatever they are, it exits with 0, 1 or 2, a usage error ends
// with the hint to the help, and an error line holds nothing a terminal
// acts on. Nothing leaves the machine: the endpoint is a closed loopback
// port, nothing can listen, and the arguments that choose an endpoint or
// read a file are skipped.
func FuzzArgs(f *testing.F) {
	for _, seed := range []string{
		"list\n--provider\nOCI",
		"create\nAWS\n--key-arn\nnot-an-arn",
		"create\nazure\n--key-id\nhttps://v.vault.azure.net/keys/k/0123456789abcdef0123456789abcdef",
		"delete\ncck-1\ncck-2\n--force\n--ignore-not-found",
		"wait\ncck-1\n--timeout\n0s",
		"list\n--page-size\n0",
		"grants\ncck-1\n-o\nyaml",
		"get\n\x1b[2J",
		"__complete\nget\n",
		"--api-key\nk\n--api-secret\ns\nget\ncck-1",
		"serve",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, input string) {
		if strings.Contains(input, "endpoint") || strings.Contains(input, "policy") {
			t.Skip()
		}
		args := strings.Split(input, "\n")
		var stdout, stderr bytes.Buffer
		sys := &system{
			stdin:  strings.NewReader(""),
			stdout: &stdout,
			stderr: &stderr,
			getenv: func(name string) string {
				if name == envEndpoint {
					return "http://127.0.0.1:1"
				}
				return ""
			},
			listen: func(context.Context, string) (net.Listener, error) {
				return nil, errors.New("no listening in a fuzz test")
			},
			isTerminal: func(any) bool { return false },
			clock:      testkit.NewClock(),
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		code := run(ctx, args, sys)
		switch {
		case code != exitOK && code != exitFailure && code != exitUsage:
			t.Errorf("exit status %d", code)
		case code == exitUsage && !strings.HasSuffix(stderr.String(), " --help' for usage.\n"):
			t.Errorf("usage error without the hint: %.500q", stderr.String())
		}
		if code != exitOK {
			assertTerminalSafe(t, "an error", lastLines(stderr.String()))
		}
		_, _ = io.Copy(io.Discard, &stdout)
	})
}

// lastLines returns the error lines of stderr: those run prints, starting
// with "byokctl: " (help and usage text echo the command line).
func lastLines(stderr string) string {
	var b strings.Builder
	for _, line := range strings.Split(stderr, "\n") {
		if strings.HasPrefix(line, "byokctl: ") {
			b.WriteString(line + "\n")
		}
	}
	return b.String()
}
