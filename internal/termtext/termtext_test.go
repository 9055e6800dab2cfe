package termtext_test

import (
	"testing"
	"unicode"

	"github.com/byokctl/byok/internal/termtext"
)

func TestClean(t *testing.T) {
	for in, want := range map[string]string{
		"plain text":                             "plain text",
		"\x1b]0;pwned\x07\x1b[2Jafter":           "]0;pwned[2Jafter",
		"csi\u009b31mred":                        "csi31mred",
		"del\x7fete":                             "delete",
		"bidi \u202egnp.exe\u202c \u2066x\u2069": "bidi gnp.exe x",
		"marks\u200e\u200f\u061c":                "marks",
		"two\tcolumns\nand\r\nlines":             "two columns and lines",
		"  padded  ":                             "padded",
		"nel\u0085line\u2028sep":                 "nel line sep",
		"bad \xff utf-8":                         "bad \ufffd utf-8",
		"emoji 👩‍💻 and accents é":                "emoji 👩‍💻 and accents é",
		"zero\u200bwidth\u00adsoft":              "zero\u200bwidth\u00adsoft",
		"":                                       "",
	} {
		if got := termtext.Clean(in); got != want {
			t.Errorf("Clean(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestInvisible: what Clean removes or turns into a space is invisible, and
// so are the format characters it keeps, which show as nothing; letters,
// digits, punctuation and the replacement character are not.
func TestInvisible(t *testing.T) {
	for _, r := range "\x00\x01\x1b\x7f\u0085\u009b \t\n\u00a0\u00ad\u061c\u200b\u200c\u200d\u200e\u200f\u2028\u2029\u202a\u202e\u2060\u2066\u2069\ufeff" {
		if !termtext.Invisible(r) {
			t.Errorf("Invisible(%U) = false", r)
		}
	}
	for r := rune(0); r < 0x3000; r++ {
		if termtext.Unsafe(r) && !termtext.Invisible(r) {
			t.Errorf("%U is unsafe but not invisible", r)
		}
		if (unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsPunct(r)) && termtext.Invisible(r) {
			t.Errorf("Invisible(%U) = true", r)
		}
	}
}
