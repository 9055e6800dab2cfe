package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"time"
)

// Input files are read whole, with a size cap and within --timeout, so that
// a path to /dev/zero or to a named pipe nothing writes to fails at once
// with a message instead of filling memory or hanging.
//
// maxKeysFileSize bounds the keys file of diff and apply: 4 MiB is some
// 15,000 keys. (maxPolicySize bounds grants --policy.)
const maxKeysFileSize = 4 << 20

// readFile reads the file name, or stdin for "-", up to limit bytes, and
// gives up when ctx ends or --timeout (default 1m) passes. A larger file is
// an error naming the cap.
func readFile(ctx context.Context, rt *runtime, name string, limit int64) ([]byte, error) {
	ctx, cancel, timeout := rt.withTimeout(ctx, defaultTimeout)
	defer cancel()
	read := make(chan readResult, 1)
	go func() { read <- readAll(ctx, rt, name, limit) }()
	select {
	case r := <-read:
		if r.err != nil && ctx.Err() != nil {
			return nil, readStopped(ctx, name, timeout) // the file was closed under the read
		}
		return r.data, r.err
	case <-ctx.Done():
		// The reader may be stuck in open(2), which waits for a writer
		// of a named pipe and cannot be interrupted: leave it behind.
		return nil, readStopped(ctx, name, timeout)
	}
}

// readResult is what readAll read.
type readResult struct {
	data []byte
	err  error
}

// readAll reads name (stdin for "-") up to limit bytes. It closes the file
// when ctx ends, which ends a read waiting on a pipe.
func readAll(ctx context.Context, rt *runtime, name string, limit int64) readResult {
	r := rt.sys.stdin
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return readResult{err: err}
		}
		defer func() { _ = f.Close() }()
		stop := context.AfterFunc(ctx, func() { _ = f.Close() })
		defer stop()
		r = f
	}
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	switch {
	case err != nil:
		return readResult{err: err}
	case int64(len(b)) > limit:
		return readResult{err: fmt.Errorf("%s is larger than %s, the most byokctl reads", displayName(name), sizeText(limit))}
	}
	return readResult{data: b}
}

// readStopped says why the read of name ended early: ctx was cancelled (an
// interruption) or the time limit passed.
func readStopped(ctx context.Context, name string, timeout time.Duration) error {
	if !errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("%s: %w", displayName(name), context.Cause(ctx))
	}
	msg := fmt.Sprintf("%s: nothing more came within %s (set a longer --timeout)", displayName(name), timeout)
	if name != "-" {
		if fi, err := os.Stat(name); err == nil && fi.Mode()&fs.ModeNamedPipe != 0 {
			msg += "; it is a named pipe, read until its writer closes it"
		}
	}
	return errors.New(msg)
}

// displayName is name as messages show it.
func displayName(name string) string {
	if name == "-" {
		return "stdin"
	}
	return name
}

// sizeText writes n bytes in MiB or KiB when it is a whole number of them.
func sizeText(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}
