package main

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/spf13/cobra"
)

// helpWidth is the width, in columns, the help of every command wraps at.
const helpWidth = 80

// wrapHelp makes the help of cmd and of every command under it wrap at
// helpWidth: each paragraph of the long description is filled (see
// fillParagraphs), and the flag lists wrap their descriptions.
func wrapHelp(cmd *cobra.Command) {
	cmd.Long = fillParagraphs(cmd.Long, helpWidth)
	if !cmd.HasParent() {
		cmd.SetUsageTemplate(strings.ReplaceAll(cmd.UsageTemplate(), ".FlagUsages", ".FlagUsagesWrapped "+strconv.Itoa(helpWidth)))
	}
	for _, sub := range cmd.Commands() {
		wrapHelp(sub)
	}
}

// fillParagraphs refills every paragraph of text, a run of lines that do not
// start with a space, so that each line holds as many words as fit in width
// columns: the source may break its lines anywhere. A one-letter flag and
// its value are one word. Indented lines (lists,
// examples, commands to paste) and empty lines are kept as they are.
func fillParagraphs(text string, width int) string {
	lines := strings.Split(text, "\n")
	out := make([]string, 0, len(lines))
	var words []string
	flush := func() {
		line := ""
		for _, w := range words {
			switch {
			case line == "":
				line = w
			case utf8.RuneCountInString(line)+1+utf8.RuneCountInString(w) > width:
				out = append(out, line)
				line = w
			default:
				line += " " + w
			}
		}
		if line != "" {
			out = append(out, line)
		}
		words = nil
	}
	for _, l := range lines {
		if l == "" || strings.HasPrefix(l, " ") || strings.HasPrefix(l, "\t") {
			flush()
			out = append(out, l)
			continue
		}
		for _, w := range strings.Fields(l) {
			// A one-letter flag stays on the line of its value (-o json).
			if n := len(words); n > 0 && len(words[n-1]) == 2 && words[n-1][0] == '-' {
				words[n-1] += " " + w
				continue
			}
			words = append(words, w)
		}
	}
	flush()
	return strings.Join(out, "\n")
}
