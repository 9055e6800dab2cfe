package main

import (
	"os"
	"slices"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	f, err := os.Open("testdata/two-rounds.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	res := results{}
	if err := res.parse(f, "two-rounds.txt"); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		bench, unit string
		want        []float64
	}{
		{"DecodeKeyPage", "ns/op", []float64{1100000, 1300000}},
		{"DecodeKeyPage", "allocs/op", []float64{1629, 1629}},
		{"DecodeKeyPage", "MB/s", []float64{85.97, 85.97}},
		{"GetKeyRaw", "cpu-ns/op", []float64{200000, 200000}},
		{"ListKeys/keys=10000", "req/op", []float64{100}},
		{"ListKeys/keys=100000", "peak-heap-B", []float64{105000}},
	} {
		if got := res[c.bench][c.unit]; !slices.Equal(got, c.want) {
			t.Errorf("%s %s: got %v, want %v", c.bench, c.unit, got, c.want)
		}
	}
	if len(res) != 8 {
		t.Errorf("%d benchmarks, want 8: %v", len(res), res)
	}
}

func TestParseBadNumber(t *testing.T) {
	err := results{}.parse(strings.NewReader("BenchmarkX-2 10 abc ns/op\n"), "in.txt")
	if err == nil || !strings.Contains(err.Error(), `in.txt:1: "abc" is not a number`) {
		t.Errorf("got %v", err)
	}
}

func TestTrimProcs(t *testing.T) {
	for in, want := range map[string]string{
		"GetKey-2":               "GetKey",
		"GetKey":                 "GetKey",
		"ListKeys/keys=10000":    "ListKeys/keys=10000",
		"ListKeys/keys=10000-16": "ListKeys/keys=10000",
		"Parse/with-dash":        "Parse/with-dash",
		"Parse/trailing-":        "Parse/trailing-",
		"ListKeys/keys=-5":       "ListKeys/keys=",
	} {
		if got := trimProcs(in); got != want {
			t.Errorf("trimProcs(%q) = %q, want %q", in, got, want)
		}
	}
}
