package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/byokctl/byok/wrapper"
)

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
	// untrusted: the server answered a create with other key material
	// than was sent (checkCreated). The entry failed, whatever a later
	// listing shows, and is never created again.
	untrusted bool
	note      string
	key       *wrapper.Key // a created key
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
			msg := "listing the keys: " + describe(explainDeadline(err, a.limit))
			if round <= maxRounds && ctx.Err() == nil {
				a.rt.infof("retrying in the next round: %s", msg)
			} else {
				a.rt.errorf("%s", msg)
			}
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
		if err := a.confirm(ctx, p); err != nil {
			return nil, false, explainDeadline(err, a.limit)
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
			a.act(ctx, item, round < maxRounds)
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
func (a *applier) confirm(ctx context.Context, p plan) error {
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
	if err := confirmDeletion(ctx, a.rt, extra, a.flags.force); err != nil {
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

// act makes the change of item. A failure that a later round retries
// (retry: this is not the last round, and another attempt may succeed) is
// said in one "retrying" line; any other failure in an error line. The
// report says how each ended.
func (a *applier) act(ctx context.Context, item planItem, retry bool) {
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
		what := fmt.Sprintf("%s %s %s", item.Action, clean(item.Provider), clean(item.Key))
		if retry && !c.final && ctx.Err() == nil {
			a.rt.infof("retrying in the next round: %s: %s", what, describe(c.err))
		} else {
			a.rt.errorf("%s: %s", what, describe(c.err))
		}
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
		return a.created(c, key, "")
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
		return a.created(c, &found[0], "answer lost; found on the server by listing")
	case len(found) == 1:
		c.note = "the server already had it (409)"
		return nil
	case len(found) > 1:
		return followed(err, "the server has %d keys with this identifier", len(found))
	case lost:
		// apply has listed the keys: the library's advice to do so is
		// not repeated.
		return errors.New(withoutListAdvice(describe(err)) + "; listing the keys shows it was not created")
	}
	return err
}

// created records a new key and prints on stderr what to grant it (as
// create does), once checkCreated found it to hold the material of the
// entry. A key with other material is an error, final and untrusted: no
// grants are printed for it, and the entry is not created again.
func (a *applier) created(c *change, key *wrapper.Key, note string) error {
	if err := checkCreated(c.item.entry.material, *key); err != nil {
		c.final, c.untrusted = true, true
		return err
	}
	c.result, c.key, c.note = resultCreated, key, note
	a.newKeys[itemKey(c.item)] = key
	printGrantsHint(a.rt, *key)
	return nil
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
