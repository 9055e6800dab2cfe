package main

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/spf13/cobra"
)

// TestHelpWraps: the help of every command wraps at helpWidth, and its
// paragraphs are filled: no line ends where the next word would have fit
// (a break mid-sentence). Indented lines of a description (lists, keys
// files, commands to paste) and the examples are literal and exempt.
func TestHelpWraps(t *testing.T) {
	f := newFixture(t)
	var paths [][]string
	var walk func(c *cobra.Command, path []string)
	walk = func(c *cobra.Command, path []string) {
		paths = append(paths, path)
		for _, sub := range c.Commands() {
			if sub.Name() != "help" && !sub.Hidden { // byok, hidden, has no help: it names the byokctl form
				walk(sub, append(append([]string(nil), path...), sub.Name()))
			}
		}
	}
	walk(newRootCmd(&system{}), nil)
	if len(paths) < 15 {
		t.Fatalf("found %d commands", len(paths))
	}
	width := func(s string) int { return utf8.RuneCountInString(s) }
	for _, path := range paths {
		name := strings.Join(append([]string{"byokctl"}, path...), " ")
		r := f.run(append(path, "--help")...)
		expect(t, r, exitOK)
		long, usage, ok := strings.Cut(r.stdout, "\n\nUsage:")
		if !ok {
			long, usage = "", r.stdout
		}
		lines := strings.Split(long, "\n")
		for i, line := range lines {
			if strings.HasPrefix(line, " ") {
				continue // literal
			}
			if width(line) > helpWidth {
				t.Errorf("%s --help: line %d is %d columns wide, more than %d:\n%s", name, i+1, width(line), helpWidth, line)
			}
			if i+1 < len(lines) && line != "" && lines[i+1] != "" && !strings.HasPrefix(lines[i+1], " ") {
				words := strings.Fields(lines[i+1])
				next := words[0]
				if len(next) == 2 && next[0] == '-' && len(words) > 1 {
					next += " " + words[1] // a one-letter flag and its value
				}
				if width(line)+1+width(next) <= helpWidth {
					t.Errorf("%s --help: line %d breaks before %q, which fits on it:\n%s\n%s", name, i+1, next, line, lines[i+1])
				}
			}
		}
		examples := false
		for _, line := range strings.Split(usage, "\n") {
			switch {
			case line == "Examples:":
				examples = true
			case strings.HasSuffix(line, "Flags:") || line == "Available Commands:":
				examples = false
			}
			if !examples && width(line) > helpWidth {
				t.Errorf("%s --help: a line is %d columns wide, more than %d:\n%s", name, width(line), helpWidth, line)
			}
		}
	}
}

// TestUnknownCommandSuggestion: a mistyped command is refused with the
// command it may have meant on a line of its own.
func TestUnknownCommandSuggestion(t *testing.T) {
	f := newFixture(t)
	r := f.run("ls")
	expect(t, r, exitUsage)
	want := "byokctl: unknown command \"ls\" for \"byokctl\"\nDid you mean byokctl list?\nRun 'byokctl --help' for usage.\n"
	if r.stderr != want || r.stdout != "" {
		t.Errorf("stdout %q stderr\n%s\nwant stderr\n%s", r.stdout, r.stderr, want)
	}
	r = f.run("frobnicate")
	expect(t, r, exitUsage)
	if strings.Contains(r.stderr, "Did you mean") {
		t.Errorf("a suggestion for frobnicate:\n%s", r.stderr)
	}
}
