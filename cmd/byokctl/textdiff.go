package main

import (
	"fmt"
	"strings"
)

// diffContext is the number of unchanged lines around a change in a diff.
const diffContext = 3

// unifiedDiff returns the line diff of a and b in the unified format,
// with the names of the two sides; "" when they are equal. It compares
// whole lines by a longest common subsequence: for documents of some
// hundred lines, such as a key policy (32 KiB at most).
func unifiedDiff(nameA, nameB, a, b string) string {
	if a == b {
		return ""
	}
	x, y := splitLines(a), splitLines(b)
	// lcs[i][j] is the length of the longest common subsequence of x[i:]
	// and y[j:].
	lcs := make([][]int, len(x)+1)
	for i := range lcs {
		lcs[i] = make([]int, len(y)+1)
	}
	for i := len(x) - 1; i >= 0; i-- {
		for j := len(y) - 1; j >= 0; j-- {
			if x[i] == y[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	type line struct {
		op   byte // ' ', '-' or '+'
		text string
		i, j int // the line numbers (from 0) in x and y before it
	}
	var lines []line
	i, j := 0, 0
	for i < len(x) || j < len(y) {
		switch {
		case i < len(x) && j < len(y) && x[i] == y[j]:
			lines = append(lines, line{' ', x[i], i, j})
			i, j = i+1, j+1
		case i < len(x) && (j == len(y) || lcs[i+1][j] >= lcs[i][j+1]):
			lines = append(lines, line{'-', x[i], i, j})
			i++
		default:
			lines = append(lines, line{'+', y[j], i, j})
			j++
		}
	}
	var out strings.Builder
	fmt.Fprintf(&out, "--- %s\n+++ %s\n", nameA, nameB)
	for k := 0; k < len(lines); {
		if lines[k].op == ' ' {
			k++
			continue
		}
		// A hunk: from diffContext lines before the change to
		// diffContext lines after the last change that is at most
		// 2*diffContext unchanged lines from the next.
		start := max(0, k-diffContext)
		end := k
		for end < len(lines) {
			if lines[end].op != ' ' {
				end++
				continue
			}
			run := end
			for run < len(lines) && lines[run].op == ' ' {
				run++
			}
			if run == len(lines) || run-end > 2*diffContext {
				end = min(end+diffContext, len(lines))
				break
			}
			end = run
		}
		var nx, ny int
		for _, l := range lines[start:end] {
			if l.op != '+' {
				nx++
			}
			if l.op != '-' {
				ny++
			}
		}
		fmt.Fprintf(&out, "@@ -%s +%s @@\n", hunkRange(lines[start].i, nx), hunkRange(lines[start].j, ny))
		for _, l := range lines[start:end] {
			out.WriteByte(l.op)
			out.WriteString(l.text)
			out.WriteByte('\n')
		}
		k = end
	}
	return out.String()
}

// hunkRange is the range of a hunk header: the first line (from 1) and the
// count; an empty range names the line before it.
func hunkRange(from, n int) string {
	if n == 0 {
		return fmt.Sprintf("%d,0", from)
	}
	return fmt.Sprintf("%d,%d", from+1, n)
}

// splitLines splits s into lines without their newlines.
func splitLines(s string) []string {
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}
