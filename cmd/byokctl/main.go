// Command byokctl manages the customer managed keys (BYOK) of a Confluent
// Cloud organisation from a terminal or a CI script: list, get, create,
// update, delete and wait for the validation of keys, print what to grant
// Confluent Cloud in the key's cloud (grants), and keep keys as code (diff,
// apply). It also runs a fake BYOK server on loopback (serve) and a guided
// tour against it (demo).
//
// Only data goes to stdout; messages go to stderr. The exit status is 0 on
// success, 1 when the API refused or an operation failed, 2 for a mistake on
// the command line, 3 when diff finds changes pending, and 130 or 143 when
// SIGINT (Ctrl-C) or SIGTERM stopped it.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, cancel := context.WithCancelCause(context.Background())
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
	go func() {
		sig := <-signals
		// Give the default behaviour back first, so that a second signal
		// ends a slow shutdown at once.
		signal.Reset(os.Interrupt, syscall.SIGTERM)
		if s, ok := sig.(syscall.Signal); ok {
			cancel(&interruption{s})
		}
	}()
	code := run(ctx, os.Args[1:], osSystem())
	cancel(nil)
	os.Exit(code)
}
