package contract

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
)

// ReadRecords adds up the pair counts of every record ForTest left in dir.
// It returns the sums and the number of records read.
func ReadRecords(dir string) (map[Pair]Count, int, error) {
	names, err := filepath.Glob(filepath.Join(dir, "pairs-*.json"))
	if err != nil {
		return nil, 0, err
	}
	sums := map[Pair]Count{}
	for _, name := range names {
		b, err := os.ReadFile(name)
		if err != nil {
			return nil, 0, err
		}
		var rec record
		if err := json.Unmarshal(b, &rec); err != nil {
			return nil, 0, fmt.Errorf("reading %s: %w", name, err)
		}
		for _, e := range rec.Pairs {
			p := Pair{e.OperationID, e.Status}
			c := sums[p]
			c.Seen += e.Seen
			c.Valid += e.Valid
			sums[p] = c
		}
	}
	return sums, len(names), nil
}

// WriteTable prints one line per documented pair with how often it was
// seen and found valid, then any undocumented pair that was seen, then a
// summary line, and returns the documented pairs never seen and found valid.
func WriteTable(w io.Writer, documented []Pair, counts map[Pair]Count) ([]Pair, error) {
	tw := &errWriter{w: w}
	tw.printf("%-16s %6s %6s %6s\n", "operation", "status", "seen", "valid")
	known := make(map[Pair]bool, len(documented))
	for _, p := range documented {
		known[p] = true
		c := counts[p]
		mark := ""
		if c.Valid == 0 {
			mark = "MISSING"
		}
		tw.row(p, c, mark)
	}
	var extra []Pair
	for p := range counts {
		if !known[p] {
			extra = append(extra, p)
		}
	}
	sort.Slice(extra, func(i, j int) bool { return extra[i].less(extra[j]) })
	for _, p := range extra {
		mark := "UNDOCUMENTED"
		if Deviation(p) {
			mark = "DEVIATION (answered by the live API, not in its reference)"
		}
		tw.row(p, counts[p], mark)
	}
	missing := Missing(documented, counts)
	tw.printf("%d/%d documented (operation, status) pairs seen and valid\n", len(documented)-len(missing), len(documented))
	return missing, tw.err
}

// errWriter keeps the first write error.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) printf(format string, args ...any) {
	if e.err == nil {
		_, e.err = fmt.Fprintf(e.w, format, args...)
	}
}

func (e *errWriter) row(p Pair, c Count, mark string) {
	line := fmt.Sprintf("%-16s %6d %6d %6d", p.OperationID, p.Status, c.Seen, c.Valid)
	if mark != "" {
		line += "  " + mark
	}
	e.printf("%s\n", line)
}
