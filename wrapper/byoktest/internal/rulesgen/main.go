// Command rulesgen writes the rules of the spec for the body of a create
// (which properties a Key and each kind of key have, which are required and
// which are read-only) as Go source for package byoktest. It runs at
// generate time (`make generate`, from a go:generate line in
// wrapper/byoktest/rules.go), so that the fake follows the spec without
// parsing it at run time, and importing byoktest costs no OpenAPI library.
// `make drift` fails when the committed file differs from a fresh run.
//
// Usage:
//
//	go run ./internal/rulesgen -o rules.gen.go
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/byokctl/byok/openapi"
)

func main() {
	out := flag.String("o", "rules.gen.go", "the Go file to write")
	flag.Parse()
	if err := run(*out); err != nil {
		fmt.Fprintln(os.Stderr, "rulesgen:", err)
		os.Exit(1)
	}
}

func run(out string) error {
	doc, err := openapi.Load()
	if err != nil {
		return err
	}
	rules, err := rulesOf(doc)
	if err != nil {
		return err
	}
	src, err := source(rules)
	if err != nil {
		return err
	}
	return os.WriteFile(out, src, 0o644) //nolint:gosec // a source file, readable by all as the others are
}
