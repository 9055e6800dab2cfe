package main

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"text/tabwriter"
)

// Verdicts of a row.
const (
	verdictOK     = "ok"
	verdictMissed = "MISSED"
	verdictNoData = "NO DATA"
	verdictWrong  = "WRONG"
)

// ratioRow is a comparison as measured.
type ratioRow struct {
	comparison
	benchMedian, baseMedian float64
	ratio                   float64 // median of the per-round ratios
	lo, hi                  float64 // their range
	rounds                  int
	verdict                 string // verdictOK, verdictMissed, verdictNoData, or "" for a figure without target
}

// compare measures c in res. Round n of the benchmark is paired with round n
// of the baseline, so that a ratio is taken between runs made back to back.
func compare(res results, c comparison) ratioRow {
	row := ratioRow{comparison: c}
	a, b := res[c.bench][c.unit], res[c.base][c.unit]
	n := min(len(a), len(b))
	var ratios []float64
	for i := range n {
		if b[i] != 0 {
			ratios = append(ratios, a[i]/b[i])
		}
	}
	row.rounds = len(ratios)
	if row.rounds == 0 {
		row.verdict = verdictNoData
		return row
	}
	row.benchMedian, row.baseMedian = median(a), median(b)
	row.ratio = median(ratios)
	row.lo, row.hi = slices.Min(ratios), slices.Max(ratios)
	switch {
	case c.target == 0:
	case row.ratio <= c.target+1e-9: // 1e-9: (1.1+1.3)/2 is 1.2000000000000002
		row.verdict = verdictOK
	default:
		row.verdict = verdictMissed
	}
	return row
}

// listingRow is a listing as measured: medians of its runs.
type listingRow struct {
	listing
	requests                    []float64 // of every run, each must be wantRequests
	keysPerSec, bytesPerKey, pk float64
	runs                        int
	verdict                     string // verdictOK, verdictWrong or verdictNoData
}

func measureListing(res results, l listing) listingRow {
	m := res[l.bench]
	row := listingRow{listing: l, requests: m["req/op"], runs: len(m["ns/op"])}
	if row.runs == 0 || len(row.requests) == 0 {
		row.verdict = verdictNoData
		return row
	}
	row.keysPerSec, row.bytesPerKey, row.pk = median(m["keys/s"]), median(m["B/key"]), median(m["peak-heap-B"])
	row.verdict = verdictOK
	for _, r := range row.requests {
		if r != float64(l.wantRequests()) {
			row.verdict = verdictWrong
		}
	}
	return row
}

// median returns the median of v (NaN when v is empty).
func median(v []float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	s := slices.Sorted(slices.Values(v))
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// report is the ratio table and the listing table.
type report struct {
	ratios   []ratioRow
	listings []listingRow
}

func newReport(res results, cs []comparison, ls []listing) report {
	var r report
	for _, c := range cs {
		r.ratios = append(r.ratios, compare(res, c))
	}
	for _, l := range ls {
		r.listings = append(r.listings, measureListing(res, l))
	}
	return r
}

// problems returns the missed targets and wrong request counts (missed),
// and the rows the input had no data for (noData).
func (r report) problems() (missed, noData []string) {
	for _, row := range r.ratios {
		switch row.verdict {
		case verdictMissed:
			missed = append(missed, fmt.Sprintf("%s, %s: %s > %s", row.what, measureName(row.unit), ratio(row.ratio), ratio(row.target)))
		case verdictNoData:
			noData = append(noData, fmt.Sprintf("%s over %s (%s)", row.bench, row.base, row.unit))
		}
	}
	for _, row := range r.listings {
		switch row.verdict {
		case verdictWrong:
			missed = append(missed, fmt.Sprintf("%s: requests per listing %v, want %d", row.bench, row.requests, row.wantRequests()))
		case verdictNoData:
			noData = append(noData, row.bench)
		}
	}
	return missed, noData
}

// write prints the report.
func (r report) write(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	p := func(format string, args ...any) { _, _ = fmt.Fprintf(tw, format, args...) }
	p("Each ratio is a benchmark's measure over its baseline's, taken per round (a round\n")
	p("runs both back to back), then the median of the rounds, with their range. The\n")
	p("machines are shared and noisy: a range that straddles the target means the run\n")
	p("could not tell; run again.\n\n")
	p("WHAT\tMEASURE\tBENCHMARK\tBASELINE\tRATIO\tRANGE\tROUNDS\tTARGET\tVERDICT\n")
	for _, row := range r.ratios {
		target := "-"
		if row.target > 0 {
			target = "<= " + ratio(row.target)
		}
		if row.rounds == 0 {
			p("%s\t%s\t%s\t%s\t-\t-\t0\t%s\t%s\n", row.what, measureName(row.unit), row.bench, row.base, target, row.verdict)
			continue
		}
		verdict := row.verdict
		if verdict == "" {
			verdict = "-"
		}
		p("%s\t%s\t%s\t%s\t%s\t%s - %s\t%d\t%s\t%s\n", row.what, measureName(row.unit),
			value(row.unit, row.benchMedian), value(row.unit, row.baseMedian),
			ratio(row.ratio), ratio(row.lo), ratio(row.hi), row.rounds, target, verdict)
	}
	p("\nListings (medians; time and allocations are of the whole process: the client and\n")
	p("the in-process byoktest server; peak heap is the live heap above the start)\n\n")
	p("BENCHMARK\tREQUESTS\tWANT\tKEYS/S\tB/KEY\tPEAK HEAP\tRUNS\tVERDICT\n")
	for _, row := range r.listings {
		if row.verdict == verdictNoData {
			p("%s\t-\t%d\t-\t-\t-\t0\t%s\n", row.bench, row.wantRequests(), row.verdict)
			continue
		}
		p("%s\t%s\t%d\t%s\t%s\t%s\t%d\t%s\n", row.bench, value("req/op", median(row.requests)), row.wantRequests(),
			value("keys/s", row.keysPerSec), value("B/key", row.bytesPerKey), value("peak-heap-B", row.pk), row.runs, row.verdict)
	}
	return tw.Flush()
}

// measureName names a unit for the table.
func measureName(unit string) string {
	switch unit {
	case "ns/op":
		return "time/op"
	case "cpu-ns/op":
		return "CPU time/op"
	case "peak-heap-B":
		return "peak heap"
	}
	return unit
}

func ratio(r float64) string { return strconv.FormatFloat(r, 'f', 2, 64) + "x" }

// value formats a measure of unit.
func value(unit string, v float64) string {
	switch unit {
	case "ns/op", "cpu-ns/op":
		switch {
		case v < 1e3:
			return fmt.Sprintf("%.0fns", v)
		case v < 1e6:
			return fmt.Sprintf("%.1fµs", v/1e3)
		case v < 1e9:
			return fmt.Sprintf("%.2fms", v/1e6)
		}
		return fmt.Sprintf("%.2fs", v/1e9)
	case "B/op", "B/key", "peak-heap-B":
		switch {
		case v < 1<<10:
			return fmt.Sprintf("%.0f B", v)
		case v < 1<<20:
			return fmt.Sprintf("%.1f KiB", v/(1<<10))
		}
		return fmt.Sprintf("%.1f MiB", v/(1<<20))
	}
	if v >= 100 || v == math.Trunc(v) {
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	return strconv.FormatFloat(v, 'g', 3, 64)
}
