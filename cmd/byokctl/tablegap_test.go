package main

import (
	"strings"
	"testing"
)

// TestTablesOneGap: every table byokctl prints (list, get, diff, apply, the
// list of keys delete asks about) has tableGap spaces after the widest cell
// of each column. Before, diff and apply had 2 and the key tables 3.
func TestTablesOneGap(t *testing.T) {
	f := newFixture(t)
	file := keysFilePath("example.yaml")
	id, _ := createdKey(t, f, "gcp", "--key-id", driftExtraGCP, "--display-name", "legacy")
	tables := map[string]string{
		"diff":  f.run("diff", "-f", file).stdout,
		"apply": f.run("apply", "-f", file).stdout,
		"list":  f.run("list").stdout,
		"get":   f.run("get", id).stdout,
	}
	f.terminal, f.stdin = true, "no\n"
	var confirm []string
	for _, line := range strings.Split(f.run("delete", id).stderr, "\n") {
		if strings.HasPrefix(line, "  ") {
			confirm = append(confirm, strings.TrimPrefix(line, "  "))
		}
	}
	tables["delete"] = strings.Join(confirm, "\n")
	for name, table := range tables {
		lines := strings.Split(strings.TrimRight(table, "\n"), "\n")
		if len(lines) < 2 {
			t.Errorf("%s: no table:\n%s", name, table)
			continue
		}
		for _, start := range columnStarts(lines[0]) {
			gap := start
			for _, line := range lines {
				if len(line) < start {
					t.Fatalf("%s: line %q ends before column %d", name, line, start)
				}
				gap = min(gap, start-len(strings.TrimRight(line[:start], " ")))
			}
			if gap != tableGap {
				t.Errorf("%s: %d spaces before the column at %d, want %d:\n%s", name, gap, start, tableGap, table)
			}
		}
	}
}

// columnStarts returns where the columns of a table's header line start,
// after the first: a header starts after two spaces or more (a header
// itself holds single spaces, "DISPLAY NAME").
func columnStarts(header string) []int {
	var starts []int
	for i := 2; i < len(header); i++ {
		if header[i] != ' ' && header[i-1] == ' ' && header[i-2] == ' ' {
			starts = append(starts, i)
		}
	}
	return starts
}
