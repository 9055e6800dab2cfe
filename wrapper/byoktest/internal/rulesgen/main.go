// Command rulesgen writes the rules of the spec for the body of a create
// (which properties a Key and each kind of key have, which are required and
// which are read-only) as Go source for package byoktest. It runs at
// generate time (`make generate`, from a go:generate line in
// wrapper/byoktest/rules.go), so that the fake follows the spec without
// parsing it at run time, and importing byoktest costs no OpenAPI library.
// `make drift` fails when the committed file differs from a fresh run.
//
// With -readonly it writes, for package wrapper, only which properties are
// read-only (a go:generate line in wrapper/key.go), so that the library's
// creates leave out what the spec's readOnly flags say, read from the same
// spec by the same code as the fake's rules.
//
// Usage:
//
//	go run ./internal/rulesgen -o rules.gen.go
//	go run ./byoktest/internal/rulesgen -readonly -o readonly.gen.go
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/byokctl/byok/openapi"
)

func main() {
	out := flag.String("o", "rules.gen.go", "the Go file to write")
	readOnly := flag.Bool("readonly", false, "write only the read-only properties, for package wrapper")
	flag.Parse()
	write := source
	if *readOnly {
		write = readOnlySource
	}
	if err := run(*out, write); err != nil {
		fmt.Fprintln(os.Stderr, "rulesgen:", err)
		os.Exit(1)
	}
}

// run writes the rules of the embedded spec to out, as write gives them.
func run(out string, write func(rules) ([]byte, error)) error {
	doc, err := openapi.Load()
	if err != nil {
		return err
	}
	rules, err := rulesOf(doc)
	if err != nil {
		return err
	}
	src, err := write(rules)
	if err != nil {
		return err
	}
	return os.WriteFile(out, src, 0o644) //nolint:gosec // a source file, readable by all as the others are
}
