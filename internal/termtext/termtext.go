// Package termtext makes text that came from a server safe to show on a
// terminal. It is the one definition of what is unsafe, shared by the
// library's error messages, its redaction of credentials and the CLI.
package termtext

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Unsafe reports whether a terminal would act on r rather than show it, or
// a reader would take it for a line break: C0 controls (ESC, BEL, line
// breaks...), DEL, C1 controls (such as U+009B, a one-character CSI), the
// bidirectional-text controls that reorder what a reader sees (U+202A to
// U+202E, U+2066 to U+2069, U+200E, U+200F, U+061C) and the line and
// paragraph separators U+2028 and U+2029.
func Unsafe(r rune) bool {
	switch {
	case unicode.IsControl(r):
		return true
	case r == '\u061c', r == '\u200e', r == '\u200f', r == '\u2028', r == '\u2029':
		return true
	case r >= '\u202a' && r <= '\u202e', r >= '\u2066' && r <= '\u2069':
		return true
	}
	return false
}

// Invisible reports whether r shows as nothing, or as mere space, once
// text is cleaned: the unsafe characters, white space, and the format
// characters (zero-width spaces and joiners, the soft hyphen, the byte order
// mark...). A word with such characters in it reads, to the eye, as the
// word without them.
func Invisible(r rune) bool {
	return Unsafe(r) || unicode.IsSpace(r) || unicode.Is(unicode.Cf, r)
}

// Clean returns s made safe for a terminal and one line long. Unsafe
// characters other than white space are removed; line breaks, tabs and
// other runs of white space become one space; invalid UTF-8 becomes U+FFFD.
// Leading and trailing space is dropped.
func Clean(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	pending := false // a space to write before the next character
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case unicode.IsSpace(r): // the line and paragraph separators too
			pending = b.Len() > 0
		case Unsafe(r):
			// dropped
		default:
			if pending {
				b.WriteByte(' ')
				pending = false
			}
			b.WriteRune(r) // an invalid byte is written as U+FFFD
		}
	}
	return b.String()
}
