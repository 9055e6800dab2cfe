package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

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
incomplete: apply stops there and says so.

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
	withFormats(cmd, formatText, formatJSON, formatYAML)
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

// applier carries out a keys file's plan, round after round.
type applier struct {
	rt    *runtime
	r     remote
	kf    *keysFile
	flags applyFlags
	limit time.Duration

	// changes are the changes tried, by item (see itemKey).
	changes map[string]*change
	// newKeys are the keys this run created, by item: such an entry is
	// never created again, and every later listing must show the key.
	newKeys map[string]*wrapper.Key
	// listed are the ids of the keys a listing of this run showed for an
	// entry of the file: every later listing must show them too.
	listed map[string]bool
	// incomplete says why the rounds stopped at a listing that does not
	// show keys this run created.
	incomplete error
	// confirmed are the ids of the extra keys --prune may delete; nil
	// until the question was put (or found needless).
	confirmed map[string]bool
	// listErr is the error of the last listing that failed.
	listErr error
	// stopped is the error of the context, when it ended the rounds.
	stopped error
}

// change is what apply tried for one key, and how it went.
type change struct {
	item   planItem // as the plan stood when it was tried
	result string   // resultCreated, resultRenamed, resultDeleted; "" when not done
	err    error    // why the last attempt failed
	// final: another attempt would fail the same way (a 4xx answer).
	final bool
	note  string
	key   *wrapper.Key // a created key
}

// itemKey names the key an item is about across rounds: its entry in the
// file, by its reference (unique in a file, unlike its line: a JSON file may
// hold every entry on one line), else its id on the server.
func itemKey(item planItem) string {
	if item.entry != nil {
		ref := item.entry.ref()
		return "entry " + string(ref.provider) + " " + ref.id
	}
	return "id " + item.ID
}

// converge runs the rounds. It returns the last plan (nil when no listing
// succeeded) and whether it was made after the last change, showing nothing
// left to do. The error is a refused confirmation of --prune.
func (a *applier) converge(ctx context.Context) (last *plan, verified bool, err error) {
	for round := 1; round <= maxRounds+1 && ctx.Err() == nil; round++ {
		server, err := a.r.list(ctx, wrapper.ListKeysOptions{})
		if err != nil {
			a.listErr = err
			if isFinal(err) {
				break // another listing would be refused too
			}
			a.rt.errorf("listing the keys: %s", describe(explainDeadline(err, a.limit)))
			continue
		}
		a.listErr = nil
		if a.incomplete = a.checkComplete(server); a.incomplete != nil {
			break // what the listing shows cannot be trusted
		}
		p := makePlan(a.kf, server)
		last = &p
		for _, item := range p.Items {
			if item.entry != nil && item.ID != "" {
				a.listed[item.ID] = true
			}
		}
		if err := a.confirm(p); err != nil {
			return nil, false, err
		}
		todo := a.todo(p)
		if len(todo) == 0 {
			return last, true, nil
		}
		if round > maxRounds {
			break
		}
		for _, item := range todo {
			if ctx.Err() != nil {
				break
			}
			a.act(ctx, item)
		}
	}
	a.stopped = ctx.Err()
	return last, false, nil
}

// checkComplete returns an error when the listing server does not show
// every key this run created, or that an earlier listing showed for an
// entry: the listing is incomplete (a server that ended it early), and a
// plan made from it would create those keys again.
func (a *applier) checkComplete(server serverKeys) error {
	shown := map[string]bool{}
	for _, k := range server.keys {
		shown[k.ID] = true
	}
	for _, bad := range server.unreadable {
		shown[bad.ID] = true
	}
	var missing []string
	made := map[string]bool{}
	for _, k := range a.newKeys {
		if made[k.ID] = true; !shown[k.ID] {
			missing = append(missing, k.ID)
		}
	}
	created := true // all the missing keys are keys this run created
	for id := range a.listed {
		if !shown[id] && !made[id] {
			missing, created = append(missing, id), false
		}
	}
	if len(missing) == 0 {
		return nil
	}
	slices.Sort(missing)
	const named = 3
	ids := strings.Join(missing[:min(named, len(missing))], ", ")
	if len(missing) > named {
		ids += fmt.Sprintf(" and %d more", len(missing)-named)
	}
	which := "this run created"
	if !created {
		which = "this run created or listed before"
	}
	return fmt.Errorf("the listing of the keys is incomplete: it does not show %s %s (%s); "+
		"apply stopped rather than create them again: run it again once byokctl list shows them", countKeys(len(missing)), which, ids)
}

// confirm asks, once, before --prune deletes the extra keys of plan p.
func (a *applier) confirm(p plan) error {
	if !a.flags.prune || a.confirmed != nil {
		return nil
	}
	a.confirmed = map[string]bool{}
	var extra []wrapper.Key
	for _, item := range p.Items {
		if item.Action == actExtra {
			extra = append(extra, *item.key)
		}
	}
	if len(extra) == 0 {
		return nil
	}
	if err := confirmDeletion(a.rt, extra, a.flags.force); err != nil {
		var declined *silentFailure
		if errors.As(err, &declined) {
			// The question comes before any change: say that the creates
			// and renames were not made either.
			a.rt.infof("apply stopped before any change; run it without --prune to create and rename only")
		}
		return err
	}
	for _, k := range extra {
		a.confirmed[k.ID] = true
	}
	return nil
}

// todo returns the items of p that a change may still fix.
func (a *applier) todo(p plan) []planItem {
	var todo []planItem
	for _, item := range p.Items {
		if c := a.changes[itemKey(item)]; c != nil && c.final {
			continue
		}
		switch item.Action {
		case actCreate:
			if a.newKeys[itemKey(item)] == nil {
				todo = append(todo, item)
			}
		case actRename:
			todo = append(todo, item)
		case actExtra:
			if a.confirmed[item.ID] {
				todo = append(todo, item)
			}
		}
	}
	return todo
}

// act makes the change of item.
func (a *applier) act(ctx context.Context, item planItem) {
	c := &change{item: item}
	a.changes[itemKey(item)] = c
	var err error
	switch item.Action {
	case actCreate:
		err = a.create(ctx, c)
	case actRename:
		if err = a.r.rename(ctx, item.ID, item.DisplayName); err == nil {
			c.result, c.note = resultRenamed, fmt.Sprintf("was %q", item.ServerDisplayName)
		}
	case actExtra:
		err = a.r.remove(ctx, item.ID)
		switch {
		case err == nil, errors.Is(err, wrapper.ErrNotFound):
			c.result, err = resultDeleted, nil
		case errors.Is(err, wrapper.ErrConflict):
			err, c.final = prefixed("in use by a cluster, not deleted", err), true
		}
	}
	if err != nil {
		c.err = explainDeadline(err, a.limit)
		c.final = c.final || isFinal(err)
		a.rt.errorf("%s %s %s: %s", item.Action, clean(item.Provider), clean(item.Key), describe(c.err))
	}
}

// prefixed returns err described in one line after prefix. The result keeps
// everything describe says of err (the server's words) and matches no
// sentinel: it is for the report only.
func prefixed(prefix string, err error) error {
	return errors.New(prefix + ": " + describe(err))
}

// followed returns err described in one line, followed by what came after.
func followed(err error, format string, args ...any) error {
	return errors.New(describe(err) + "; " + fmt.Sprintf(format, args...))
}

// create registers the key of item. A create whose answer was lost, or that
// the server refuses as a conflict, is settled by listing the keys with its
// identifier: found, it is done; not found, the next round creates it again
// after listing once more.
func (a *applier) create(ctx context.Context, c *change) error {
	key, err := a.r.create(ctx, *c.item.entry)
	if err == nil {
		a.created(c, key, "")
		return nil
	}
	lost := errors.Is(err, wrapper.ErrOutcomeUnknown)
	if !lost && !errors.Is(err, wrapper.ErrConflict) {
		return err
	}
	found, findErr := a.r.find(ctx, c.item.entry.ref())
	switch {
	case findErr != nil:
		return followed(err, "listing the keys to find out whether it was created failed too: %s", describe(findErr))
	case len(found) == 1 && lost:
		a.created(c, &found[0], "answer lost; found on the server by listing")
		return nil
	case len(found) == 1:
		c.note = "the server already had it (409)"
		return nil
	case len(found) > 1:
		return followed(err, "the server has %d keys with this identifier", len(found))
	case lost:
		return followed(err, "listing the keys shows it was not created")
	}
	return err
}

// created records a new key and prints on stderr what to grant it (as
// create does).
func (a *applier) created(c *change, key *wrapper.Key, note string) {
	c.result, c.key, c.note = resultCreated, key, note
	a.newKeys[itemKey(c.item)] = key
	printGrantsHint(a.rt, *key)
}

// isFinal reports whether err is an answer that another attempt would get
// again: a 4xx other than 404 and 409 (the key changed meanwhile; the next
// listing shows how) and 429.
func isFinal(err error) bool {
	var apiErr *wrapper.APIError
	if !errors.As(err, &apiErr) {
		return false
	}
	switch apiErr.StatusCode {
	case http.StatusNotFound, http.StatusConflict, http.StatusTooManyRequests:
		return false
	}
	return apiErr.StatusCode >= 400 && apiErr.StatusCode < 500
}

// applyResult is one line of apply's report. Its JSON field names are
// stable: those of the plan, and result, error and note. The plan's action
// (planItem.Action) is what the last listing shows of the key, and Result
// what apply did: neither overwrites the other.
type applyResult struct {
	planItem
	// Result is created, renamed, deleted, kept or failed, or the plan's
	// action for a key that needed no change or that apply cannot change
	// (in-sync, invalid, duplicate, unknown-kind, unreadable).
	Result string `json:"result"`
	// Error says why a change failed.
	Error string `json:"error,omitempty"`
	// Note adds what is worth knowing (a lost answer settled by listing,
	// the former display name).
	Note string `json:"note,omitempty"`

	created *wrapper.Key
}

// results turns the last plan and the changes into the report; verified
// says that the plan was made after the last change.
func (a *applier) results(p plan, verified bool) []applyResult {
	var out []applyResult
	reported := map[string]bool{}
	for _, item := range p.Items {
		k := itemKey(item)
		reported[k] = true
		out = append(out, a.result(item, a.changes[k], verified))
	}
	// Deleted keys are no longer in the listing: they come last, by id. So
	// does a key whose delete failed but that a listing after it no longer
	// shows (an attempt whose answer was lost did delete it).
	var deleted []applyResult
	for k, c := range a.changes {
		switch {
		case reported[k] || c.item.Action != actExtra:
		case c.result == resultDeleted:
			deleted = append(deleted, applyResult{planItem: c.item, Result: resultDeleted})
		default:
			deleted = append(deleted, applyResult{planItem: c.item, Result: resultDeleted,
				Note: "the last listing no longer shows it; the delete was answered: " + describe(c.err)})
		}
	}
	slices.SortFunc(deleted, func(x, y applyResult) int { return strings.Compare(x.ID, y.ID) })
	return append(out, deleted...)
}

func (a *applier) result(item planItem, c *change, verified bool) applyResult {
	r := applyResult{planItem: item, Result: item.Action}
	if c != nil && !c.about(item) {
		c = nil // another key with the entry's identifier: apply did nothing to it
	}
	if c != nil {
		r.Note = c.note
		switch {
		case c.key == nil:
		case r.ID == "" && verified:
			r.ID = c.key.ID
			r.Note = strings.Join(nonEmpty(r.Note, unlisted(c.key.ID)+"; not created again"), "; ")
		case r.ID == "":
			r.ID = c.key.ID // the last listing came before the create
		}
		r.created = c.key
	}
	switch {
	case c != nil && c.result != "":
		r.Result = c.result
	case c != nil && c.err != nil && (item.Action == actCreate || item.Action == actRename || item.Action == actExtra):
		r.Result, r.Error = resultFailed, item.Action+": "+describe(c.err)
	case item.Action == actCreate || item.Action == actRename:
		r.Result, r.Error = resultFailed, item.Action+": not done: "+a.whyNotDone()
	case item.Action == actExtra && a.flags.prune:
		r.Result, r.Note = resultKept, "appeared after the confirmation of --prune; not deleted"
	case item.Action == actExtra:
		r.Result, r.Note = resultKept, "not in the file; apply --prune deletes it"
	}
	return r
}

// unlisted says of key id, created by this run, that the last listing shows
// no key with the identifier of its entry.
func unlisted(id string) string {
	return "created as " + id + ", but the last listing shows no key with this identifier"
}

// about reports whether change c is about the key of item, an item of a
// later plan for the same entry: the key c created or changed; an item
// still to create; any key of the entry for a create that made no key (its
// error or note is the entry's). Several keys that share the entry's
// identifier are items of one entry: a change that made or changed a key is
// about one of them only.
func (c *change) about(item planItem) bool {
	switch {
	case item.ID == "", c.key == nil && c.item.ID == "":
		return true
	case c.key != nil:
		return c.key.ID == item.ID
	}
	return c.item.ID == item.ID
}

// whyNotDone says why a change was not tried.
func (a *applier) whyNotDone() string {
	if a.stopped != nil {
		return describe(explainDeadline(a.stopped, a.limit))
	}
	if a.listErr != nil {
		return "listing the keys failed: " + describe(explainDeadline(a.listErr, a.limit))
	}
	return fmt.Sprintf("still to do after %d rounds", maxRounds)
}

// waitNew waits for the validation of the keys created, one after the
// other, and records how each ended.
func (a *applier) waitNew(ctx context.Context, results []applyResult) {
	for i := range results {
		r := &results[i]
		if r.created == nil {
			continue
		}
		key, err := waitForValidation(ctx, a.rt, a.r.client, r.created.ID)
		err = explainDeadline(err, a.limit)
		var invalid *wrapper.ValidationError
		switch {
		case err == nil:
			r.ValidationPhase = string(key.Validation.Phase)
		case errors.As(err, &invalid):
			r.ValidationPhase, r.Message = string(wrapper.PhaseInvalid), invalid.Key.Validation.Message
		default:
			r.Result, r.Error = resultFailed, "wait: "+describe(err)
		}
	}
}

// verdict returns nil when the server holds the keys of the file, else an
// error naming what did not converge. It is made from the last listing
// (the plan's actions), never from what a change reported.
func (a *applier) verdict(results []applyResult, verified bool) error {
	var bad []string
	for _, r := range unsettled(results, verified) {
		what := r.Result
		switch {
		case r.Action == actDuplicate:
			what = actDuplicate
		case r.ValidationPhase == string(wrapper.PhaseInvalid):
			what = actInvalid
		case r.Result != resultFailed:
			what = r.Action
		}
		line := fmt.Sprintf("%s %s %s", what, r.Provider, r.Key)
		if r.Action == actCreate && r.created != nil {
			line += " (" + unlisted(r.ID) + ")"
		}
		bad = append(bad, line)
	}
	if len(bad) == 0 && verified {
		return nil
	}
	msg := "not converged"
	if a.stopped != nil {
		msg = describe(explainDeadline(a.stopped, a.limit)) + ", " + msg
	}
	switch {
	case a.incomplete != nil:
		msg += ": " + a.incomplete.Error()
	case !verified:
		msg += " (the last listing did not confirm the changes)"
	}
	if len(bad) > 0 {
		const named = 3
		msg += fmt.Sprintf(": %s: %s", countKeys(len(bad)), strings.Join(bad[:min(named, len(bad))], "; "))
		if len(bad) > named {
			msg += fmt.Sprintf("; and %d more (see the report)", len(bad)-named)
		}
	}
	return errors.New(clean(msg))
}

// unsettled returns the results that keep apply from converging: failed
// changes, keys sharing their identifier (however that came about), keys of
// the file that are INVALID, and, when the last listing came after the last
// change (verified), entries it still shows to create or rename.
func unsettled(results []applyResult, verified bool) []applyResult {
	var out []applyResult
	for _, r := range results {
		switch {
		case r.Result == resultFailed, r.Action == actDuplicate,
			r.entry != nil && r.ValidationPhase == string(wrapper.PhaseInvalid),
			verified && (r.Action == actCreate || r.Action == actRename):
			out = append(out, r)
		}
	}
	return out
}

// printResults writes the report to stdout in the -o format.
func printResults(rt *runtime, file string, results []applyResult, verified bool) error {
	if results == nil {
		results = []applyResult{}
	}
	if structured(rt) {
		converged := verified && len(unsettled(results, verified)) == 0
		return printStructured(rt, struct {
			File      string        `json:"file"`
			Converged bool          `json:"converged"`
			Keys      []applyResult `json:"keys"`
		}{file, converged, results})
	}
	rows := make([][]string, len(results))
	for i, r := range results {
		cols := r.columns()
		switch {
		case r.Result == resultRenamed:
			cols[3] = r.DisplayName
		case r.Result == resultFailed, r.Action == actCreate:
		default:
			cols[3] = r.ServerDisplayName
		}
		cols[4] = strings.Join(nonEmpty(r.Error, r.Message, r.Note), "; ")
		rows[i] = append([]string{r.Result}, cols...)
	}
	return writeRows(rt.sys.stdout, "RESULT", rows)
}

func nonEmpty(values ...string) []string {
	var out []string
	for _, v := range values {
		if v != "" {
			out = append(out, v)
		}
	}
	return out
}
