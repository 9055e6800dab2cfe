package main

import (
	"strings"
	"testing"
)

// TestUnifiedDiff checks hunks, their headers and context against diffs
// worked out by hand (as diff -u writes them).
func TestUnifiedDiff(t *testing.T) {
	lines := func(n ...string) string { return strings.Join(n, "\n") + "\n" }
	for _, c := range []struct{ name, a, b, want string }{
		{"equal", "a\nb\n", "a\nb\n", ""},
		{"one line changed", "x\n", "y\n", "--- A\n+++ B\n@@ -1,1 +1,1 @@\n-x\n+y\n"},
		{"added in the middle, context of 3",
			lines("1", "2", "3", "4", "5", "6", "7", "8"), lines("1", "2", "3", "4", "new", "5", "6", "7", "8"),
			"--- A\n+++ B\n@@ -2,6 +2,7 @@\n 2\n 3\n 4\n+new\n 5\n 6\n 7\n"},
		{"two hunks",
			lines("a", "1", "2", "3", "4", "5", "6", "7", "8", "b"), lines("A", "1", "2", "3", "4", "5", "6", "7", "8", "B"),
			"--- A\n+++ B\n@@ -1,4 +1,4 @@\n-a\n+A\n 1\n 2\n 3\n@@ -7,4 +7,4 @@\n 6\n 7\n 8\n-b\n+B\n"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := unifiedDiff("A", "B", c.a, c.b); got != c.want {
				t.Errorf("diff\n%s\nwant\n%s", got, c.want)
			}
		})
	}
}
