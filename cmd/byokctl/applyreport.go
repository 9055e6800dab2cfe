package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/byokctl/byok/wrapper"
)

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
			r.Note = joinNotes(r.Note, unlisted(c.key.ID)+"; not created again")
		case r.ID == "":
			r.ID = c.key.ID // the last listing came before the create
		}
		r.created = c.key
	}
	switch {
	case c != nil && c.untrusted:
		r.Result, r.Error = resultFailed, actCreate+": "+describe(c.err)
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
		cols[4] = joinNotes(r.Error, r.Message, r.Note)
		rows[i] = append([]string{r.Result}, cols...)
	}
	return writeRows(rt.sys.stdout, "RESULT", rows)
}
