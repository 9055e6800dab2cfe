package main

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCompare(t *testing.T) {
	res := results{
		"A": {"ns/op": {2, 4, 6, 8}},
		"B": {"ns/op": {1, 2, 2}}, // a missing round: only 3 pairs
	}
	// Ratios by round: 2/1, 4/2, 6/2 = 2, 2, 3.
	row := compare(res, comparison{bench: "A", base: "B", unit: "ns/op", target: 2.5})
	if row.rounds != 3 || row.ratio != 2 || row.lo != 2 || row.hi != 3 {
		t.Errorf("rounds %d, ratio %v in [%v, %v]; want 3, 2 in [2, 3]", row.rounds, row.ratio, row.lo, row.hi)
	}
	if row.benchMedian != 5 || row.baseMedian != 2 {
		t.Errorf("medians %v and %v, want 5 and 2", row.benchMedian, row.baseMedian)
	}
	if row.verdict != verdictOK {
		t.Errorf("verdict %q at target 2.5", row.verdict)
	}
	if v := compare(res, comparison{bench: "A", base: "B", unit: "ns/op", target: 1.9}).verdict; v != verdictMissed {
		t.Errorf("verdict %q at target 1.9", v)
	}
	if v := compare(res, comparison{bench: "A", base: "B", unit: "ns/op"}).verdict; v != "" {
		t.Errorf("verdict %q without a target", v)
	}
	if v := compare(res, comparison{bench: "A", base: "B", unit: "B/op", target: 2}).verdict; v != verdictNoData {
		t.Errorf("verdict %q for a unit without results", v)
	}
	if v := compare(res, comparison{bench: "A", base: "C", unit: "ns/op", target: 2}).verdict; v != verdictNoData {
		t.Errorf("verdict %q for a missing baseline", v)
	}
}

func TestMedian(t *testing.T) {
	for _, c := range []struct {
		in   []float64
		want float64
	}{
		{[]float64{3}, 3},
		{[]float64{5, 1, 3}, 3},
		{[]float64{4, 1, 3, 2}, 2.5},
	} {
		if got := median(c.in); got != c.want {
			t.Errorf("median(%v) = %v, want %v", c.in, got, c.want)
		}
	}
	if !math.IsNaN(median(nil)) {
		t.Error("median of nothing is not NaN")
	}
}

func TestMeasureListing(t *testing.T) {
	res := results{
		"L": {"ns/op": {1, 1}, "req/op": {100, 100}, "keys/s": {10, 30}, "B/key": {5, 7}, "peak-heap-B": {1000, 3000}},
		"W": {"ns/op": {1}, "req/op": {101}},
	}
	row := measureListing(res, listing{"L", 10_000})
	if row.verdict != verdictOK || row.keysPerSec != 20 || row.bytesPerKey != 6 || row.pk != 2000 || row.runs != 2 {
		t.Errorf("got %+v", row)
	}
	if v := measureListing(res, listing{"W", 10_000}).verdict; v != verdictWrong {
		t.Errorf("101 requests for 10,000 keys: verdict %q", v)
	}
	if v := measureListing(res, listing{"X", 10_000}).verdict; v != verdictNoData {
		t.Errorf("no results: verdict %q", v)
	}
	if got := (listing{keys: 100_001}).wantRequests(); got != 1001 {
		t.Errorf("100,001 keys want %d requests", got)
	}
}

func TestRun(t *testing.T) {
	out := filepath.Join(t.TempDir(), "bench", "ratios.txt")
	var buf bytes.Buffer
	err := run(&buf, []string{"testdata/two-rounds.txt"}, out, false)
	if err != nil {
		t.Fatal(err)
	}
	written, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(written, buf.Bytes()) {
		t.Error("the file differs from what was printed")
	}
	// Figures worked out from testdata/two-rounds.txt by hand.
	for _, want := range []string{
		// Decoding time: rounds 1.1ms/1.0ms and 1.3ms/1.0ms: ratios 1.10
		// and 1.30, median 1.20, within the 1.3 target.
		"time/op      1.20ms     1.00ms     1.20x  1.10x - 1.30x  2       <= 1.30x  ok",
		// CPU time: 1.15 and 1.25, median 1.20.
		"CPU time/op  1.20ms     1.00ms     1.20x  1.15x - 1.25x  2       <= 1.30x  ok",
		"allocs/op    1629       1523       1.07x  1.07x - 1.07x  2       <= 1.50x  ok",
		// Peak heap: 105000/100000.
		"peak heap    102.5 KiB  97.7 KiB   1.05x  1.05x - 1.05x  1       <= 1.10x  ok",
		// Round trip: 120/100 and 105/100: median 1.125, missed.
		"time/op      112.5µs    100.0µs    1.12x  1.05x - 1.20x  2       <= 1.10x  MISSED",
		"ListKeys/keys=100000     1000      1000  50000   5.5 KiB  102.5 KiB  1     ok",
	} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("the report lacks %q:\n%s", want, buf.String())
		}
	}

	buf.Reset()
	err = run(&buf, []string{"testdata/two-rounds.txt"}, "", true)
	if err == nil || !strings.Contains(err.Error(), "missed: GetKey round trip vs net/http + encoding/json, time/op: 1.12x > 1.10x") {
		t.Errorf("strict run: got %v", err)
	}
}

func TestRunWithoutData(t *testing.T) {
	empty := filepath.Join(t.TempDir(), "empty.txt")
	if err := os.WriteFile(empty, []byte("PASS\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	err := run(&buf, []string{empty}, "", false)
	if err == nil || !strings.Contains(err.Error(), "no results for DecodeKeyPage over DecodeKeyPageStdlib (ns/op)") {
		t.Errorf("got %v", err)
	}
	if !strings.Contains(buf.String(), "NO DATA") {
		t.Errorf("the table does not say NO DATA:\n%s", buf.String())
	}
	if err := run(&buf, nil, "", false); err == nil || !strings.Contains(err.Error(), "no input") {
		t.Errorf("no input: got %v", err)
	}
	if err := run(&buf, []string{filepath.Join(t.TempDir(), "missing.txt")}, "", false); err == nil {
		t.Error("a missing input file: no error")
	}
}
