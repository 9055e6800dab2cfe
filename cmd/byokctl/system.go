package main

import (
	"context"
	"io"
	"net"
	"os"
	"time"

	"github.com/byokctl/byok/wrapper"
	"github.com/byokctl/byok/wrapper/byoktest"
)

// system is everything byokctl takes from the process it runs in. main fills
// it from the os package; tests fill it with buffers, a map of environment
// variables and a loopback listener, and run every command in-process.
type system struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	// getenv returns the value of an environment variable, "" when unset.
	getenv func(string) string
	// listen opens the listener byokctl serve serves on.
	listen func(ctx context.Context, addr string) (net.Listener, error)
	// isTerminal reports whether f (stdin, stdout or stderr) is an
	// interactive terminal: progress is shown and questions are asked only
	// there.
	isTerminal func(f any) bool

	// Test seams; zero in a real run.

	// clock replaces real time (wrapper.RealClock) in the client's retry
	// back-off and polling, and in byokctl's own waits.
	clock wrapper.Clock
	// pollInterval, when positive, is the first interval of wait's polling.
	pollInterval time.Duration
	// kmsBackoff replaces the AWS SDK's back-off between retries of a
	// KMS request.
	kmsBackoff func(attempt int) time.Duration
	// fakeOptions are added to the options of the fake server that serve
	// and demo start (a seed, a clock, the contract validator).
	fakeOptions []byoktest.Option
}

// osSystem returns the system of the running process.
func osSystem() *system {
	return &system{
		stdin:      os.Stdin,
		stdout:     os.Stdout,
		stderr:     os.Stderr,
		getenv:     os.Getenv,
		listen:     listenTCP,
		isTerminal: isCharDevice,
		clock:      wrapper.RealClock{},
	}
}

func listenTCP(ctx context.Context, addr string) (net.Listener, error) {
	var lc net.ListenConfig
	return lc.Listen(ctx, "tcp", addr)
}

// isCharDevice reports whether v is a file open on a character device (a
// terminal). It needs no terminal library: a pipe or a regular file is never
// a character device.
func isCharDevice(v any) bool {
	f, ok := v.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
