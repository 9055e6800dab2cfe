package main

import (
	"fmt"
	goruntime "runtime"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// buildVersion returns byokctl's module version as recorded by the Go
// toolchain: a tag for `go install ...@v1.2.3`, a pseudo-version or
// "(devel)" for a build from a working tree.
func buildVersion() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok || bi.Main.Version == "" {
		return "(devel)"
	}
	return bi.Main.Version
}

func newVersionCmd(rt *runtime) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print byokctl's version",
		Args:  noArgs,
		RunE: func(*cobra.Command, []string) error {
			return runVersion(rt)
		},
	}
}

// runVersion prints byokctl's version and the Go it was built with.
func runVersion(rt *runtime) error {
	_, err := fmt.Fprintf(rt.sys.stdout, "byokctl %s (%s %s/%s)\n", buildVersion(), goruntime.Version(), goruntime.GOOS, goruntime.GOARCH)
	return err
}
