package main

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// clean makes text that came from a server safe for a terminal and one
// line long. Every such text goes through it before it is printed: table
// cells, error lines, wait progress, grants and hints.
//
// Control characters are removed: C0 (ESC, BEL...), DEL and C1 (such as
// U+009B, a one-character CSI), and the bidirectional-text controls that
// reorder what a reader sees (U+202A to U+202E, U+2066 to U+2069, U+200E,
// U+200F, U+061C). Line breaks, tabs and other white space become one space;
// invalid UTF-8 becomes U+FFFD. Leading and trailing space is dropped.
func clean(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	pending := false // a space to write before the next character
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case unicode.IsSpace(r):
			pending = b.Len() > 0
		case unicode.IsControl(r), isBidiControl(r):
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

// isBidiControl reports whether r is one of Unicode's explicit
// bidirectional formatting characters.
func isBidiControl(r rune) bool {
	switch {
	case r == '\u061c', r == '\u200e', r == '\u200f':
		return true
	case r >= '\u202a' && r <= '\u202e', r >= '\u2066' && r <= '\u2069':
		return true
	}
	return false
}
