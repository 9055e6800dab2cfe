// Command benchreport prints the ratio table of `make bench`: each of the
// wrapper's benchmarks over its baseline (decoding, round trip, the heap of a
// long listing over a short one), per round then as the median of the
// rounds, against the targets of the project; and the listing figures
// (requests per listing, keys per second, bytes per key, peak heap).
//
// It reads the output of `go test -bench` (several rounds may be
// concatenated: the n-th result of a benchmark is paired with the n-th of its
// baseline), prints the tables and, with -out, writes them to a file too:
//
//	go run ./internal/benchreport -out build/bench/ratios.txt build/bench/raw.txt
//
// It exits 1 when a benchmark of the tables has no result, and with -strict
// also when a target is missed or a listing took the wrong number of
// requests. Without -strict a miss is reported but does not fail: the
// figures of a shared, noisy machine are not a gate.
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

func main() {
	out := flag.String("out", "", "also write the tables to this file")
	strict := flag.Bool("strict", false, "exit 1 when a target is missed")
	flag.Usage = func() {
		_, _ = fmt.Fprintln(flag.CommandLine.Output(), "usage: benchreport [-out file] [-strict] go-test-bench-output...")
		flag.PrintDefaults()
	}
	flag.Parse()
	if err := run(os.Stdout, flag.Args(), *out, *strict); err != nil {
		fmt.Fprintln(os.Stderr, "benchreport:", err)
		os.Exit(1)
	}
}

func run(w io.Writer, inputs []string, out string, strict bool) error {
	if len(inputs) == 0 {
		return errors.New("no input: name the files holding the output of go test -bench")
	}
	res := results{}
	for _, name := range inputs {
		if err := readInput(res, name); err != nil {
			return err
		}
	}
	rep := newReport(res, byokComparisons(), byokListings())
	var buf bytes.Buffer
	if err := rep.write(&buf); err != nil {
		return err
	}
	if _, err := w.Write(buf.Bytes()); err != nil {
		return err
	}
	if out != "" {
		if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(out, buf.Bytes(), 0o644); err != nil {
			return err
		}
	}
	missed, noData := rep.problems()
	switch {
	case len(noData) > 0:
		return fmt.Errorf("no results for %s in %s; expected the output of the wrapper's benchmarks (make bench)", strings.Join(noData, "; "), strings.Join(inputs, ", "))
	case strict && len(missed) > 0:
		return fmt.Errorf("missed: %s", strings.Join(missed, "; "))
	}
	return nil
}

func readInput(res results, name string) error {
	f, err := os.Open(name)
	if err != nil {
		return err
	}
	defer func() { _ = f.Close() }()
	return res.parse(f, name)
}
