package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The tests here paste what byokctl prints as shell commands into bash,
// dash, zsh and fish, with stubs in place of az, gcloud and aws that record
// their arguments. Nothing but a stub may run, and a stub must see each
// value as one argument. make shells installs the shells; a shell that is
// not installed is skipped, and the subtest says so.

// pasteStub records its name and arguments, NUL-separated after their
// count, in $STUB_LOG. "show" and "describe" (az ad sp show, gcloud iam
// roles describe) fail, so that the command after || runs too.
const pasteStub = `#!/bin/sh
printf '%s\0' "$#" "${0##*/}" "$@" >> "$STUB_LOG"
case "$3" in show|describe) exit 1 ;; esac
exit 0
`

// paster pastes scripts into shells.
type paster struct {
	dir, bin, work, log string
}

// newPaster installs the stubs in a temporary directory.
func newPaster(t *testing.T) *paster {
	t.Helper()
	dir := t.TempDir()
	p := &paster{dir: dir, bin: filepath.Join(dir, "bin"), work: filepath.Join(dir, "work"), log: filepath.Join(dir, "argv")}
	for _, d := range []string{p.bin, p.work, filepath.Join(dir, "home")} {
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range []string{"az", "gcloud", "aws", "stub"} {
		if err := os.WriteFile(filepath.Join(p.bin, name), []byte(pasteStub), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	return p
}

// eachShell runs test in a subtest for each of bash, dash, zsh and fish,
// with the shell's path; one that is not installed is skipped.
func eachShell(t *testing.T, test func(t *testing.T, shell string)) {
	for _, name := range []string{"bash", "dash", "zsh", "fish"} {
		t.Run(name, func(t *testing.T) {
			path, err := exec.LookPath(name)
			if err != nil {
				t.Skipf("%s is not installed, so commands pasted into it are not checked: make shells installs it (apt-get install %s)", name, name)
			}
			test(t, path)
		})
	}
}

// paste runs script in shell as if pasted at its prompt (read from
// stdin, without the user's configuration) and returns the stubs'
// invocations. It fails the test when the shell wrote to stderr or
// exited with an error, and when anything appeared in the working
// directory (a touch pwned that ran).
func (p *paster) paste(t *testing.T, shell, script string) [][]string {
	t.Helper()
	if err := os.WriteFile(p.log, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	var args []string
	switch filepath.Base(shell) {
	case "zsh":
		args = []string{"-f", "-s"}
	case "fish":
		args = []string{"--no-config"}
	default:
		args = []string{"-s"}
	}
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, shell, args...)
	home := filepath.Join(p.dir, "home")
	cmd.Env = []string{"PATH=" + p.bin + ":/usr/bin:/bin", "HOME=" + home, "XDG_CONFIG_HOME=" + home, "XDG_DATA_HOME=" + home,
		"STUB_LOG=" + p.log, "LC_ALL=C.UTF-8"}
	cmd.Dir = p.work
	cmd.Stdin = strings.NewReader(script)
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	if err := cmd.Run(); err != nil || stderr.Len() > 0 {
		t.Errorf("%s: %v, output:\n%s\nscript:\n%s", filepath.Base(shell), err, stderr.String(), script)
	}
	if left, _ := os.ReadDir(p.work); len(left) > 0 {
		t.Errorf("%s: the script made %s in the working directory:\n%s", filepath.Base(shell), left[0].Name(), script)
		_ = os.RemoveAll(p.work)
		_ = os.Mkdir(p.work, 0o700)
	}
	return p.invocations(t)
}

// invocations reads the stubs' log.
func (p *paster) invocations(t *testing.T) [][]string {
	t.Helper()
	b, err := os.ReadFile(p.log)
	if err != nil {
		t.Fatal(err)
	}
	fields := strings.Split(string(b), "\x00")
	var out [][]string
	for len(fields) > 1 {
		n, err := strconv.Atoi(fields[0])
		if err != nil || len(fields) < n+2 {
			t.Fatalf("stub log %q", b)
		}
		out = append(out, fields[1:n+2])
		fields = fields[n+2:]
	}
	return out
}

// hostileValues are values that mean something to one shell or another.
func hostileValues() []string {
	return []string{
		"", " ", "a b", "\t", "'", `\`, `\'`, `\\'`, `'\''`, `app\';touch pwned;'`, `'; touch pwned; '`,
		"$(touch pwned)", "`touch pwned`", "(touch pwned)", "{touch pwned}", "; touch pwned", "a && touch pwned",
		"| touch pwned", "a\ntouch pwned", "a\n'\ntouch pwned\n'", `"; touch pwned; "`, `"$(touch pwned)"`,
		"-rf", "--help", "-", "=touch", "%self", "~", "~root", "*", "?", "[a]", "{a,b}", "!!", "#x", "$HOME", "${HOME}",
		"a\\\nb", "é", "^x", "x=1",
	}
}

// TestShellQuoteInEveryShell: a value quoted by shellQuote or
// shellQuoteAlways reaches the command as it is, in every shell.
func TestShellQuoteInEveryShell(t *testing.T) {
	p := newPaster(t)
	var script strings.Builder
	var want [][]string
	for _, v := range hostileValues() {
		script.WriteString("stub " + shellQuote(v) + " " + shellQuoteAlways(v) + "\n")
		want = append(want, []string{"stub", v, v})
	}
	eachShell(t, func(t *testing.T, shell string) {
		got := p.paste(t, shell, script.String())
		for i, w := range want {
			if i >= len(got) || !slices.Equal(got[i], w) {
				var g []string
				if i < len(got) {
					g = got[i]
				}
				t.Errorf("%s: %s\nran stub with %q, want %q", filepath.Base(shell), strings.SplitAfter(script.String(), "\n")[i], g, w)
			}
		}
		if len(got) != len(want) {
			t.Errorf("%s: %d invocations, want %d", filepath.Base(shell), len(got), len(want))
		}
	})
}

// TestGrantsCommandsInEveryShell pastes what grants prints for a key of
// each provider, with values that pass the checks but that a careless
// quoting or ordering breaks (a GCP key named "-k", a project with "." and
// ":", a resource group with parentheses), into every shell: the stubs see
// exactly the commands meant, and no value where an option is read.
func TestGrantsCommandsInEveryShell(t *testing.T) {
	p := newPaster(t)
	const (
		app     = "8F5E2B1C-3D4A-4B6E-9F0A-1C2D3E4F5A6B"
		tenant  = "00000000-0000-0000-0000-00000000000a"
		vault   = "/subscriptions/8f5e2b1c-3d4a-4b6e-9f0a-1c2d3e4f5a6b/resourceGroups/rg(1).x_-/providers/Microsoft.KeyVault/vaults/Vault-Name"
		gcpKey  = "projects/example.com:p-1/locations/us-central1/keyRings/r_1/cryptoKeys/-k"
		group   = "a.b+c-d@example.co.uk"
		awsARN  = "arn:aws-us-gov:kms:us-gov-west-1:111122223333:key/mrk-1234abcd12ab34cd56ef1234567890ab"
		awsRole = "arn:aws-us-gov:iam::111122223333:role/path/cc+byok=1,2.@_-"
		role    = "confluentCloudByokKeyUser"
	)
	perms := strings.Join(gcpPermissions(), ",")
	cases := []struct {
		name     string
		material map[string]any
		args     []string // of grants, after the id
		want     [][]string
		// from picks the commands out of what grants printed.
		from func(r result) string
	}{
		{"azure", map[string]any{"kind": "AzureKey", "key_id": exampleAzureKey, "key_vault_id": vault, "tenant_id": tenant, "application_id": app}, nil,
			[][]string{
				{"az", "ad", "sp", "show", "--id", app, "--output", "none"},
				{"az", "ad", "sp", "create", "--id", app, "--output", "none"},
				{"az", "role", "assignment", "create", "--assignee", app, "--role", "e147488a-f6f5-4113-8e2d-b22465e65bf6", "--scope", vault},
				{"az", "role", "assignment", "create", "--assignee", app, "--role", "21090545-7ca7-4776-b22c-e363652d74d2", "--scope", vault},
			}, func(r result) string { return r.stdout }},
		{"azure login", map[string]any{"kind": "AzureKey", "key_id": exampleAzureKey, "key_vault_id": vault, "tenant_id": tenant, "application_id": app}, nil,
			[][]string{{"az", "login", "--tenant", tenant}},
			func(r result) string {
				_, login, _ := strings.Cut(r.stdout, "tenant: ")
				line, _, _ := strings.Cut(login, "\n")
				return line + "\n"
			}},
		{"gcp", map[string]any{"kind": "GcpKey", "key_id": gcpKey + "/cryptoKeyVersions/3", "security_group": group}, nil,
			[][]string{
				{"gcloud", "iam", "roles", "describe", role, "--project", "example.com:p-1"},
				{"gcloud", "iam", "roles", "create", role, "--project", "example.com:p-1", "--title", "Confluent Cloud BYOK key user",
					"--permissions", perms, "--stage", "GA"},
				{"gcloud", "kms", "keys", "add-iam-policy-binding", gcpKey, "--member", "group:" + group, "--role", "projects/example.com:p-1/roles/" + role},
			}, func(r result) string { return r.stdout }},
		{"aws policy", map[string]any{"kind": "AwsKey", "key_arn": awsARN, "roles": []string{awsRole}}, []string{"--policy", "-"},
			[][]string{{"aws", "kms", "put-key-policy", "--key-id", awsARN, "--policy-name", "default", "--policy", "file://POLICY.json"}},
			func(r result) string {
				_, cmd, _ := strings.Cut(r.stderr, "apply the policy with:\n")
				return cmd
			}},
	}
	options := []string{"--id", "--output", "--assignee", "--role", "--scope", "--tenant", "--project", "--title", "--permissions",
		"--stage", "--member", "--key-id", "--policy-name", "--policy"}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f, env := fixtureAnswering(t, keyJSON(t, "cck-paste", c.material))
			f.stdin = "{}"
			r := f.runEnv(env, append([]string{"grants", "cck-paste"}, c.args...)...)
			expect(t, r, exitOK)
			script := c.from(r)
			eachShell(t, func(t *testing.T, shell string) {
				got := p.paste(t, shell, script)
				if !slices.EqualFunc(got, c.want, slices.Equal) {
					t.Errorf("%s ran\n%q\nwant\n%q\nscript:\n%s", filepath.Base(shell), got, c.want, script)
				}
				for _, argv := range got {
					for _, a := range argv[1:] {
						if strings.HasPrefix(a, "-") && !slices.Contains(options, a) {
							t.Errorf("%s: %q stands where %s reads an option: %q", filepath.Base(shell), a, argv[0], argv)
						}
					}
				}
			})
		})
	}
}

// keyJSON returns a key as the API sends it, with material as its "key".
func keyJSON(t *testing.T, id string, material map[string]any) string {
	t.Helper()
	provider := map[string]string{"AwsKey": "AWS", "AzureKey": "Azure", "GcpKey": "GCP"}[material["kind"].(string)]
	b, err := json.Marshal(map[string]any{
		"api_version": "byok/v1", "kind": "Key", "id": id,
		"metadata": map[string]any{"self": "https://api.confluent.cloud/byok/v1/keys/" + id, "created_at": "2024-03-20T15:30:00Z"},
		"key":      material, "provider": provider, "state": "AVAILABLE",
		"validation": map[string]any{"phase": "VALID", "since": "2024-03-20T15:30:00Z"},
	})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
