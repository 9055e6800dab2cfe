package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/byokctl/byok/wrapper"
)

// Retries of delete --wait while a key is still in use (409).
const (
	deleteRetryFirst = 2 * time.Second  // first pause
	deleteRetryMax   = 30 * time.Second // longest pause
	deleteMaxTries   = 1000             // a bound on the requests, whatever the clock
)

// deleteOptions are the flags and arguments of byokctl delete.
type deleteOptions struct {
	ids            []string
	force          bool
	ignoreNotFound bool
	wait           bool
}

// newDeleteCmd builds byokctl delete: it parses the flags and arguments into
// deleteOptions and calls runF with them (runDelete, or a test's fake).
func newDeleteCmd(rt *runtime, runF func(context.Context, *runtime, deleteOptions) error) *cobra.Command {
	var o deleteOptions
	cmd := &cobra.Command{
		Use:   "delete ID...",
		Short: "Delete keys",
		Long: `Delete one or more keys.

Every key is looked up before any is deleted: when one does not exist, none
is deleted, the missing ones are named and the exit status is 1. With
--ignore-not-found a missing key counts as deleted, for cleanup scripts that
run twice.

On a terminal, the keys are listed and byokctl asks before deleting them:
only "yes" deletes; any other answer deletes nothing and the exit status is
1. Ctrl-C (exit status 130), SIGTERM (143) and --timeout end the question.
Without a terminal (a script, CI), --force is needed; --force also skips the
question on a terminal. --force has no one-letter form: -f is --file, in every
command that reads a file.

A key still in use by a cluster cannot be deleted (409 Conflict); with
--wait, byokctl tries again until it can or --timeout (default 10m with
--wait, else 1m) passes.

Each deleted key gets one line on stdout, "deleted ID"; errors go to stderr
and the exit status is 1 when any delete failed.`,
		Example: `  byokctl delete cck-12345 cck-67890
  byokctl delete cck-12345 --force --ignore-not-found --wait`,
		Args: someIDs,
		RunE: func(cmd *cobra.Command, ids []string) error {
			o.ids = ids
			return runF(cmd.Context(), rt, o)
		},
		ValidArgsFunction: keyIDCompletion(rt),
	}
	f := cmd.Flags()
	f.BoolVar(&o.force, "force", false, "delete without asking (needed without a terminal)")
	f.BoolVar(&o.ignoreNotFound, "ignore-not-found", false, "treat a key that does not exist as deleted")
	f.BoolVar(&o.wait, "wait", false, "while a key is in use (409), try again until --timeout")
	return cmd
}

// runDelete checks that every key of o.ids exists, asks for confirmation,
// then deletes them.
func runDelete(ctx context.Context, rt *runtime, o deleteOptions) error {
	ids := unique(o.ids)
	if err := confirmable(rt, deleting(len(ids)), o.force); err != nil {
		return err
	}
	def := defaultTimeout
	if o.wait {
		def = defaultWaitTimeout
	}
	return rt.call(ctx, def, func(ctx context.Context, client *wrapper.Client) error {
		return deleteFound(ctx, rt, client, ids, o, rt.limit(def))
	})
}

// deleteFound deletes the keys of ids that exist, within limit.
func deleteFound(ctx context.Context, rt *runtime, client *wrapper.Client, ids []string, o deleteOptions, limit time.Duration) error {
	found, keys, missing, err := lookUp(ctx, rt, client, ids)
	if err != nil {
		return err
	}
	if len(missing) > 0 && !o.ignoreNotFound {
		return fmt.Errorf("not found: %s; nothing was deleted (--ignore-not-found deletes the others)", strings.Join(missing, ", "))
	}
	for _, id := range missing {
		rt.infof("%s: not found, nothing to delete", id)
	}
	if len(keys) == 0 {
		return nil
	}
	if err := confirmDeletion(ctx, rt, keys, o.force); err != nil {
		return err
	}
	// The deletes go to the ids the user gave, never to ids of the answers.
	failed := 0
	for _, id := range found {
		switch err := deleteKey(ctx, rt, client, id, o.wait, limit); {
		case err == nil:
			_, _ = fmt.Fprintf(rt.sys.stdout, "deleted %s\n", clean(id))
		case errors.Is(err, wrapper.ErrNotFound):
			// Deleted by someone else since it was looked up: gone all the same.
			_, _ = fmt.Fprintf(rt.sys.stdout, "deleted %s\n", clean(id))
			rt.infof("%s was already gone", clean(id))
		default:
			failed++
			rt.errorf("%s: %s", clean(id), describe(err))
		}
	}
	if failed > 0 {
		return &silentFailure{fmt.Sprintf("%d of %d deletes failed", failed, len(found))}
	}
	return nil
}

// lookUp gets the keys of ids, in order: found are the ids that exist and
// keys their keys (GetKey checks that each is the key asked for); missing
// lists the ids that do not exist. Any other error ends the lookup.
func lookUp(ctx context.Context, rt *runtime, client *wrapper.Client, ids []string) (found []string, keys []wrapper.Key, missing []string, err error) {
	for _, id := range ids {
		key, _, err := client.GetKey(ctx, id)
		switch {
		case errors.Is(err, wrapper.ErrNotFound):
			missing = append(missing, clean(id))
		case err != nil:
			return nil, nil, nil, &hinted{fmt.Sprintf("looking up %s before deleting (nothing was deleted)", clean(id)), err, false}
		default:
			found = append(found, id)
			keys = append(keys, *key)
		}
	}
	return found, keys, missing, nil
}

// deleteKey deletes key id. With wait, a 409 (the key is still in use) is
// tried again, with growing pauses, until the limit passes.
func deleteKey(ctx context.Context, rt *runtime, client *wrapper.Client, id string, wait bool, limit time.Duration) error {
	clock := rt.clock
	deadline := clock.Now().Add(limit)
	pause := deleteRetryFirst
	for try := 1; ; try++ {
		_, err := client.DeleteKey(ctx, id)
		if err == nil || !wait || !errors.Is(err, wrapper.ErrConflict) {
			return explainDeadline(err, limit)
		}
		left := deadline.Sub(clock.Now())
		if left <= 0 || try >= deleteMaxTries {
			return &hinted{fmt.Sprintf("still in use after %s (set a longer --timeout)", limit), err, true}
		}
		rt.infof("%s is in use (%s); trying again in %s", clean(id), describeBrief(err), min(pause, left).Round(time.Second))
		if err := clock.Sleep(ctx, min(pause, left)); err != nil {
			return explainDeadline(err, limit)
		}
		pause = min(2*pause, deleteRetryMax)
	}
}

// describeBrief returns the server's words of an API error, or the error.
func describeBrief(err error) string {
	var apiErr *wrapper.APIError
	if errors.As(err, &apiErr) && len(apiErr.Errors) > 0 {
		return clean(apiErr.Errors[0].String())
	}
	return describe(err)
}
