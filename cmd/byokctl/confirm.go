package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/byokctl/byok/wrapper"
)

// confirmation is a question byokctl asks on a terminal before a change
// (a delete, a key policy written); --force answers it, and without a
// terminal --force is needed.
type confirmation struct {
	what     string // what needs it: "deleting 2 keys"
	force    string // what --force does: "delete without asking"
	question string // the question: "Delete it?", "Delete them?"
	declined string // what a "no" leaves: "nothing was deleted"
}

// confirmable returns a usage error (exit 2, with a hint) when c could not
// be asked: no force and no terminal to ask on. Commands check it before
// any request, as every usage error.
func confirmable(rt *runtime, c confirmation, force bool) error {
	if force || rt.canAsk() {
		return nil
	}
	return usagef("%s needs a confirmation, and there is no terminal to ask on: give --force to %s", c.what, c.force)
}

// confirm asks c on the terminal, unless force. Only "yes", what the
// question asks for, confirms; anything else is a "no": a silent failure
// (exit status 1) after saying what it left. The wait for the answer ends
// with ctx: a signal (exit status 130 or 143) or --timeout.
func confirm(ctx context.Context, rt *runtime, c confirmation, force bool) error {
	if force {
		return nil
	}
	if err := confirmable(rt, c, force); err != nil {
		return err
	}
	_, _ = io.WriteString(rt.sys.stderr, c.question+" Type yes to confirm: ")
	answer, err := readAnswer(ctx, rt.sys.stdin)
	switch {
	case ctx.Err() != nil:
		_, _ = io.WriteString(rt.sys.stderr, "\n") // end the question's line
		return &noAnswer{declined: c.declined, cause: context.Cause(ctx)}
	case err != nil:
		return fmt.Errorf("reading the answer: %w", err)
	case strings.TrimSpace(answer) != "yes":
		rt.infof("Not confirmed: %s.", c.declined)
		return &silentFailure{"not confirmed"}
	}
	return nil
}

// noAnswer is a question whose wait ended with its context (--timeout or a
// signal) before an answer came. Its message leaves the cause out: the
// caller's explanation (explainDeadline's "gave up after 30s", the line of
// an interruption) says it, once.
type noAnswer struct {
	declined string // what was left: "nothing was deleted"
	cause    error  // the context's cause
}

func (e *noAnswer) Error() string { return "no answer; " + e.declined }
func (e *noAnswer) Unwrap() error { return e.cause }

// readAnswer reads one line from r, or what r holds before its end, until
// ctx ends. A read still waiting then is left behind (a terminal's read
// cannot be interrupted); the command ends next.
func readAnswer(ctx context.Context, r io.Reader) (string, error) {
	read := make(chan readResult, 1)
	go func() {
		line, err := bufio.NewReader(r).ReadString('\n')
		if errors.Is(err, io.EOF) {
			err = nil
		}
		read <- readResult{data: []byte(line), err: err}
	}()
	select {
	case got := <-read:
		return string(got.data), got.err
	case <-ctx.Done():
		return "", context.Cause(ctx)
	}
}

// deleting is the confirmation of a deletion of n keys: "Delete it?" for
// one, "Delete them?" for more.
func deleting(n int) confirmation {
	question := "Delete them?"
	if n == 1 {
		question = "Delete it?"
	}
	return confirmation{what: "deleting " + countKeys(n), force: "delete without asking", question: question, declined: "nothing was deleted"}
}

// confirmDeletion asks on a terminal before deleting keys; without a terminal it needs force (see confirmable).
func confirmDeletion(ctx context.Context, rt *runtime, keys []wrapper.Key, force bool) error {
	if force {
		return nil
	}
	if err := confirmable(rt, deleting(len(keys)), force); err != nil {
		return err
	}
	rt.infof("About to delete %s:", countKeys(len(keys)))
	rows := make([][]string, len(keys))
	for i, k := range keys {
		rows[i] = []string{k.ID, k.DisplayName, string(k.Provider), keyColumn(k), string(k.State)}
	}
	var table strings.Builder
	_ = writeCells(&table, "ID\tDISPLAY NAME\tPROVIDER\tKEY\tSTATE", rows)
	for _, line := range strings.Split(strings.TrimSuffix(table.String(), "\n"), "\n") {
		rt.infof("  %s", line)
	}
	return confirm(ctx, rt, deleting(len(keys)), force)
}
