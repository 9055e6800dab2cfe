//go:build unix

package wrapper

import (
	"syscall"
	"testing"
	"time"
)

// processCPU returns the CPU time the process has used, user and system, in
// all its threads.
func processCPU(b *testing.B) time.Duration {
	b.Helper()
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatalf("getrusage: %v", err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
