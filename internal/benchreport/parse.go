package main

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// results are the measurements of a `go test -bench` output, by benchmark
// name (without the "Benchmark" prefix and the -GOMAXPROCS suffix, such as
// "ListKeys/keys=10000"), then by unit ("ns/op", "allocs/op", "keys/s"…),
// in the order the runs appear. The n-th value of two benchmarks comes from
// the n-th round of each.
type results map[string]map[string][]float64

// parse reads benchmark result lines ("BenchmarkX-2  100  123 ns/op  4 B/op")
// from r into res; other lines are skipped. name names r in errors.
func (res results) parse(r io.Reader, name string) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 1024*1024)
	for line := 1; sc.Scan(); line++ {
		fields := strings.Fields(sc.Text())
		if len(fields) < 4 || !strings.HasPrefix(fields[0], "Benchmark") || len(fields)%2 != 0 {
			continue
		}
		if _, err := strconv.ParseUint(fields[1], 10, 64); err != nil {
			continue // not a result line, such as "BenchmarkX-2 --- FAIL"
		}
		bench := trimProcs(strings.TrimPrefix(fields[0], "Benchmark"))
		for i := 2; i < len(fields); i += 2 {
			v, err := strconv.ParseFloat(fields[i], 64)
			if err != nil {
				return fmt.Errorf("%s:%d: %q is not a number (in %q)", name, line, fields[i], sc.Text())
			}
			if res[bench] == nil {
				res[bench] = map[string][]float64{}
			}
			res[bench][fields[i+1]] = append(res[bench][fields[i+1]], v)
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("reading %s: %w", name, err)
	}
	return nil
}

// trimProcs removes the -GOMAXPROCS suffix go test adds to a benchmark name
// ("GetKey-2" becomes "GetKey"; "ListKeys/keys=10000" stays as it is). With
// GOMAXPROCS=1 go test adds none, so a name that itself ends in a dash and
// digits would lose them: the wrapper's benchmarks have no such name.
func trimProcs(name string) string {
	i := strings.LastIndexByte(name, '-')
	if i < 0 || i == len(name)-1 {
		return name
	}
	for _, c := range name[i+1:] {
		if c < '0' || c > '9' {
			return name
		}
	}
	return name[:i]
}
