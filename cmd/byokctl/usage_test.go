package main

import (
	"path/filepath"
	"regexp"
	goruntime "runtime"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

func TestUsageErrors(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		args []string
		want string // the first line of stderr, after "byokctl: "
		help string // the command whose help the hint names
	}{
		{[]string{"frobnicate"}, `unknown command "frobnicate" for "byokctl"`, "byokctl"},
		{[]string{"list", "--bogus"}, "unknown flag: --bogus", "byokctl list"},
		{[]string{"list", "extra"}, `byokctl list takes no arguments, got "extra"`, "byokctl list"},
		{[]string{"list", "--page-size", "500"}, "--page-size is 500; expected 1 to 100", "byokctl list"},
		{[]string{"list", "--page-size", "0"}, "--page-size is 0; expected 1 to 100", "byokctl list"},
		{[]string{"wait", "cck-1", "--timeout", "0s"}, "--timeout is 0s; expected a positive duration such as 30s or 10m", "byokctl wait"},
		{[]string{"wait", "cck-1", "--timeout", "-5s"}, "--timeout is -5s; expected a positive duration such as 30s or 10m", "byokctl wait"},
		{[]string{"delete", "cck-1", "-o", "json"}, "byokctl delete has no output formats; -o json is not for it", "byokctl delete"},
		{[]string{"version", "-o", "yaml"}, "byokctl version has no output formats; -o yaml is not for it", "byokctl version"},
		{[]string{"list", "--page-size", "ten"}, `--page-size is "ten"; expected a whole number`, "byokctl list"},
		{[]string{"list", "--timeout", "soon"}, `--timeout is "soon"; expected a duration such as 30s or 10m`, "byokctl list"},
		{[]string{"delete", "cck-1", "--force=maybe"}, `--force is "maybe"; expected true or false`, "byokctl delete"},
		{[]string{"get"}, "missing the key ID (for example: byokctl get cck-12345)", "byokctl get"},
		{[]string{"get", "a", "b"}, "byokctl get takes one key ID, got 2 arguments", "byokctl get"},
		{[]string{"get", ""}, "key ID number 1 is empty; IDs look like cck-12345", "byokctl get"},
		{[]string{"delete", "cck-1", " "}, "key ID number 2 is empty; IDs look like cck-12345", "byokctl delete"},
		{[]string{"wait"}, "missing the key ID (for example: byokctl wait cck-12345)", "byokctl wait"},
		{[]string{"get", "cck-1", "-o", "csv"}, `invalid argument "csv" for "-o, --output" flag: accepted values are table, text, human, json, yaml (in any case)`, "byokctl get"},
		{[]string{"version", "now"}, `byokctl version takes no arguments, got "now"`, "byokctl version"},
		{[]string{"completion", "tcsh"}, `unknown shell "tcsh": expected bash, zsh, fish or powershell`, "byokctl completion"},
		{[]string{"completion"}, "missing the shell: byokctl completion bash|zsh|fish|powershell", "byokctl completion"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			f.srv.ClearRequests()
			r := f.run(tt.args...)
			expect(t, r, exitUsage)
			want := "byokctl: " + tt.want + "\nRun '" + tt.help + " --help' for usage.\n"
			if r.stderr != want {
				t.Errorf("stderr\n%q\nwant\n%q", r.stderr, want)
			}
			if r.stdout != "" {
				t.Errorf("stdout %q, want nothing", r.stdout)
			}
			if n := len(f.srv.Requests()); n != 0 {
				t.Errorf("a usage error sent %d requests", n)
			}
		})
	}
}

func TestHelp(t *testing.T) {
	f := newFixture(t)
	for _, args := range [][]string{nil, {"--help"}, {"help", "list"}, {"create", "aws", "--help"}} {
		r := f.run(args...)
		expect(t, r, exitOK)
		if !strings.Contains(r.stdout, "Usage:") || r.stderr != "" {
			t.Errorf("byokctl %v: stdout %q stderr %q", args, r.stdout, r.stderr)
		}
	}
	r := f.run("--help")
	for _, want := range []string{"list", "get", "create", "update", "delete", "wait", "serve", "demo", "version", "completion",
		"CONFLUENT_CLOUD_API_KEY", "CONFLUENT_CLOUD_ACCESS_TOKEN", "--output table|text|human|json|yaml", "--timeout"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("byokctl --help does not mention %q", want)
		}
	}
}

func TestVersion(t *testing.T) {
	f := newFixture(t)
	r := f.run("version")
	expect(t, r, exitOK)
	want := regexp.MustCompile(`^byokctl \S+ \(` + regexp.QuoteMeta(goruntime.Version()+" "+goruntime.GOOS+"/"+goruntime.GOARCH) + `\)\n$`)
	if !want.MatchString(r.stdout) || r.stderr != "" {
		t.Errorf("stdout %q stderr %q, want stdout matching %s", r.stdout, r.stderr, want)
	}
}

func TestCompletion(t *testing.T) {
	f := newFixture(t)
	for shell, marker := range map[string]string{
		"bash":       "__start_byokctl",
		"zsh":        "#compdef byokctl",
		"fish":       "complete -c byokctl",
		"powershell": "Register-ArgumentCompleter",
	} {
		r := f.run("completion", shell)
		expect(t, r, exitOK)
		if !strings.Contains(r.stdout, marker) {
			t.Errorf("completion %s lacks %q", shell, marker)
		}
	}
	// The enum flags complete their values.
	r := f.run("__complete", "list", "--provider", "")
	expect(t, r, exitOK)
	if !strings.HasPrefix(r.stdout, "AWS\nAzure\nGCP\n:4\n") {
		t.Errorf("completion of --provider:\n%s", r.stdout)
	}
}

// TestGlobalFlagDefaults: the help of -o says that the human format is the
// default, as it is of every command with output formats, and the help of
// --timeout names every command with the longer default.
func TestGlobalFlagDefaults(t *testing.T) {
	root := newRootCmd(&system{})
	usage := root.PersistentFlags().Lookup("output").Usage
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if formats := c.Annotations[formatsAnnotation]; formats != "" {
			if def, _, _ := strings.Cut(formats, ","); def != formatHuman {
				t.Errorf("%s defaults to -o %s; the -o usage %q says the human format is the default", c.CommandPath(), def, usage)
			}
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)

	timeout := root.PersistentFlags().Lookup("timeout").Usage
	for _, cmd := range []string{"wait", "create --wait", "delete --wait", "apply"} {
		if !strings.Contains(timeout, cmd) {
			t.Errorf("--timeout usage %q does not name %s, whose default is %s", timeout, cmd, defaultWaitTimeout)
		}
	}
}

// TestHumanFormatNames: -o table and -o text are one format, the default,
// for every command with output formats; and completion of -o offers what
// the command accepts, nothing for a command without formats.
func TestHumanFormatNames(t *testing.T) {
	f := newFixture(t)
	ids := seedKeys(t, f)
	keys := filepath.Join(t.TempDir(), "keys.yaml")
	writeFile(t, keys, "keys: []\n")
	for _, args := range [][]string{
		{"list"}, {"get", ids[0]}, {"wait", ids[0]}, {"update", ids[0], "--display-name", "renamed"},
		{"grants", ids[0]}, {"diff", "--file", keys}, {"check"},
	} {
		t.Run(args[0], func(t *testing.T) {
			def := f.run(args...)
			for _, name := range humanNames() {
				r := f.run(append(args, "-o", name)...)
				if r.code != def.code || r.stdout != def.stdout {
					t.Errorf("byokctl %s -o %s differs from its default output:\n%s\nwant\n%s",
						strings.Join(args, " "), name, r.transcript(), def.transcript())
				}
			}
		})
	}
	for cmd, want := range map[string]string{
		"list":    "table\ntext\nhuman\njson\nyaml\n:4\n",
		"grants":  "table\ntext\nhuman\njson\nyaml\n:4\n",
		"delete":  ":4\n",
		"version": ":4\n",
	} {
		r := f.run("__complete", cmd, "-o", "")
		expect(t, r, exitOK)
		if !strings.HasPrefix(r.stdout, want) {
			t.Errorf("completion of %s -o:\n%s\nwant\n%s", cmd, r.stdout, want)
		}
	}
}

// TestShortFlagF: -f is --file in every command that has it, and nothing
// else: a slip of one letter never means --force.
func TestShortFlagF(t *testing.T) {
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if fl := c.Flags().ShorthandLookup("f"); fl != nil && fl.Name != "file" {
			t.Errorf("%s: -f is --%s, want --file only", c.CommandPath(), fl.Name)
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(newRootCmd(&system{}))
	f := newFixture(t)
	r := f.run("delete", "cck-1", "-f")
	expect(t, r, exitUsage)
	if !strings.Contains(r.stderr, "unknown shorthand flag: 'f' in -f") {
		t.Errorf("delete -f: %s", r.stderr)
	}
}
