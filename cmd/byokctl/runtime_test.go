package main

import (
	"github.com/byokctl/byok/wrapper"
)

// newTestRuntime returns the runtime of a command run in sys without cobra:
// the client from sys's environment, as with no global flag, and the -o
// format output.
func newTestRuntime(sys *system, output *enumFlag) *runtime {
	flags := &globalFlags{sys: sys}
	rt := &runtime{sys: sys, clock: sys.clock, newClient: flags.newClient, output: output}
	if rt.clock == nil {
		rt.clock = wrapper.RealClock{}
	}
	return rt
}
