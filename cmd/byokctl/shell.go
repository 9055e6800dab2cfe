package main

import "strings"

// The quoting below is read alike by the shells byokctl completes for:
// bash, zsh and fish, and by POSIX sh (dash). Inside single quotes POSIX
// shells take every character as it is, but fish reads \' and \\ as
// escapes; so a quote or a backslash is never written inside single
// quotes: each closes them, is escaped with a backslash outside, and opens
// them again, which all of these shells read as the one character.

// shellJoin quotes args for a shell where needed.
func shellJoin(args []string) string {
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = shellQuote(a)
	}
	return strings.Join(out, " ")
}

// shellQuote quotes s for a shell where it needs it.
func shellQuote(s string) string {
	// A word that starts with = is a command's path in zsh (=ls), one that
	// starts with % a process id in fish (%self).
	if s != "" && strings.IndexFunc(s, needsQuoting) < 0 && s[0] != '=' && s[0] != '%' {
		return s
	}
	return shellQuoteAlways(s)
}

// shellQuoteAlways quotes s for a shell, in single quotes.
func shellQuoteAlways(s string) string {
	return "'" + strings.NewReplacer(`'`, `'\''`, `\`, `'\\'`).Replace(s) + "'"
}

// needsQuoting reports whether r means something to a shell.
func needsQuoting(r rune) bool {
	switch {
	case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		return false
	}
	return !strings.ContainsRune("-_./:=@,+%", r)
}
