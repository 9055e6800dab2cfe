// Command coverage prints the contract coverage table of `make contract`:
// every (operation, status) pair the BYOK v1 spec documents, with how often
// the tests saw it and found it valid, added up from the records that
// contract.ForTest left in a directory. It exits 1 when a documented pair
// was never seen and found valid.
//
//	go run ./internal/contract/cmd/coverage -dir build/contract
package main

import (
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/byokctl/byok/internal/contract"
)

func main() {
	dir := flag.String("dir", os.Getenv(contract.DirEnv), "the directory holding the records (default $"+contract.DirEnv+")")
	flag.Parse()
	if err := run(os.Stdout, *dir); err != nil {
		fmt.Fprintln(os.Stderr, "coverage:", err)
		os.Exit(1)
	}
}

func run(w io.Writer, dir string) error {
	if dir == "" {
		return fmt.Errorf("no directory: pass -dir or set %s", contract.DirEnv)
	}
	v, err := contract.New()
	if err != nil {
		return err
	}
	counts, files, err := contract.ReadRecords(dir)
	if err != nil {
		return err
	}
	if _, err := fmt.Fprintf(w, "contract coverage from %d test records in %s\n", files, dir); err != nil {
		return err
	}
	missing, err := contract.WriteTable(w, v.Documented(), counts)
	if err != nil {
		return err
	}
	if len(missing) > 0 {
		return fmt.Errorf("%d of the documented pairs were never seen and valid (marked MISSING above)", len(missing))
	}
	return nil
}
