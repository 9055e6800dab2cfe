package main

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/byokctl/byok/wrapper"
)

// maxRounds bounds the rounds of apply. Each round lists the keys and
// carries out what the listing shows is still to do; a last listing checks
// the outcome.
const maxRounds = 5

// What apply did for one key, besides the plan's actions for the keys it
// cannot change (in-sync, invalid, duplicate, unknown-kind, unreadable).
const (
	resultCreated = "created"
	resultRenamed = "renamed"
	resultDeleted = "deleted"
	// resultKept: an extra key left alone (no --prune).
	resultKept = "kept"
	// resultFailed: a change that could not be made.
	resultFailed = "failed"
)

type applyFlags struct {
	file  string
	prune bool
	force bool
	wait  bool
}

// newApplyCmd builds byokctl apply: it parses the flags into applyFlags (its
// options) and calls runF with them (runApply, or a test's fake).
func newApplyCmd(rt *runtime, runF func(context.Context, *runtime, applyFlags) error) *cobra.Command {
	var af applyFlags
	cmd := &cobra.Command{
		Use:   "apply -f FILE",
		Short: "Make the keys on the server those of a keys file",
		Long: `Create the keys of a keys file that are not on the server and rename those
whose display name differs, as byokctl diff shows. Keys on the server that are
not in the file are left alone, unless --prune is given: then they are deleted
with the safety of byokctl delete (asked on a terminal; --force is needed
without one). Keys of a kind byokctl does not know and keys that share their
identifier with another are never touched.

A key is matched by its key ARN or key id, never by its display name, so
running apply again after an interrupted run, a timeout or a lost answer
finishes the job without creating a key twice: a create whose answer was lost
is settled by listing the keys before any new attempt. apply works in rounds
(at most 5): each lists the keys and does what is still to do. An entry
created in this run is never created again, and a listing that does not show
a key this run created, or that an earlier listing showed for an entry, is
incomplete: apply stops there and says so. A change that failed and that the
next round tries again is said in a "retrying in the next round" line on
stderr; the report says how it ended. A create answered with other key
material than the entry's (as create checks it) fails the entry and the run,
and is not tried again.

What to grant each new key is printed on stderr; with --wait, apply then waits
for the validation of the new keys. The report on stdout has one line per key
(-o text, the default; -o json or yaml with stable field names). The command gives up after --timeout
(default 10m).

` + keysFileHelp + `

Exit status:
  0  converged: the server holds the keys of the file, valid or still
     validating
  1  not converged (a change failed, a key is INVALID or shares its identifier
     with another, or the last listing was incomplete or still shows a change
     to make); the message names them
  2  a usage error, a keys file that cannot be read or has a mistake`,
		Example: "  byokctl apply -f keys.yaml\n  byokctl apply -f keys.yaml --wait\n  byokctl apply -f keys.yaml --prune --force",
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runF(cmd.Context(), rt, af)
		},
	}
	withFormats(cmd, formatHuman, formatJSON, formatYAML)
	f := cmd.Flags()
	f.StringVarP(&af.file, "file", "f", "", "the keys file, YAML or JSON (required)")
	f.BoolVar(&af.prune, "prune", false, "delete the keys on the server that are not in the file")
	f.BoolVar(&af.force, "force", false, "with --prune: delete without asking")
	f.BoolVar(&af.wait, "wait", false, "wait for the validation of the new keys")
	_ = cmd.MarkFlagRequired("file")
	return cmd
}

// apply carries out the plan of the keys file.
func runApply(ctx context.Context, rt *runtime, af applyFlags) error {
	if af.force && !af.prune {
		return usagef("--force goes with --prune; apply deletes nothing without --prune")
	}
	if af.prune && !af.force && !rt.canAsk() {
		return usagef("--prune asks before deleting the keys that are not in the file, and there is no terminal to ask on: give --force to delete without asking")
	}
	kf, r, err := keysFileAndRemote(ctx, rt, af.file)
	if err != nil {
		return err
	}
	ctx, cancel, limit := rt.withTimeout(ctx, defaultWaitTimeout)
	defer cancel()
	a := &applier{rt: rt, r: r, kf: kf, flags: af, limit: limit, changes: map[string]*change{},
		newKeys: map[string]*wrapper.Key{}, listed: map[string]bool{}}
	p, verified, err := a.converge(ctx)
	if err != nil {
		return err
	}
	if p == nil {
		return prefixed("nothing was changed: listing the keys failed", explainDeadline(a.listErr, limit))
	}
	results := a.results(*p, verified)
	if af.wait {
		a.waitNew(ctx, results)
	}
	if err := printResults(rt, kf.name, results, verified); err != nil {
		return err
	}
	return a.verdict(results, verified)
}
