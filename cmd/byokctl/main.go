// Command byokctl manages the customer managed keys (BYOK) of a Confluent
// Cloud organisation from a terminal or a CI script: list, get, create,
// update, delete and wait for the validation of keys, print what to grant
// Confluent Cloud in the key's cloud (grants), and keep keys as code (diff,
// apply). It also runs a fake BYOK server on loopback (serve) and a guided
// tour against it (demo).
//
// Only data goes to stdout; messages go to stderr. The exit status is 0 on
// success, 1 when the API refused or an operation failed, 2 for a mistake on
// the command line, and 3 when diff finds changes pending.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		// After the first signal, give the default behaviour back so that a
		// second Ctrl-C ends a slow shutdown at once.
		<-ctx.Done()
		stop()
	}()
	code := run(ctx, os.Args[1:], osSystem())
	stop()
	os.Exit(code)
}
