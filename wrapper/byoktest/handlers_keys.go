package byoktest

import (
	"fmt"
	"net/http"
	"time"
)

// create serves POST /byok/v1/keys.
func (h *Server) create(w http.ResponseWriter, r *http.Request, now time.Time) {
	obj, status, p := h.readObject(w, r)
	if p != nil {
		fail(w, status, *p)
		return
	}
	body, probs := h.rules.decodeCreate(obj)
	if len(probs) > 0 {
		fail(w, http.StatusUnprocessableEntity, probs...)
		return
	}
	base := h.baseFor(r)
	rec := &record{displayName: body.displayName, kind: body.kind, material: body.mat, state: StateAvailable, createdAt: now, updatedAt: now}
	h.classify(rec)

	h.store.mu.Lock()
	if id, taken := h.store.byMaterial[body.mat]; taken {
		h.store.mu.Unlock()
		w.Header().Set("Location", keyURL(base, id))
		fail(w, http.StatusConflict, problem{code: "resource_already_exists", title: "Resource Already Exists",
			detail: fmt.Sprintf("A key with %s '%s' already exists: %s.", materialName(body.kind), body.mat, id), pointer: "/key/" + materialName(body.kind)})
		return
	}
	if h.cfg.maxKeys > 0 && len(h.store.byID) >= h.cfg.maxKeys || h.store.full(1) {
		h.store.mu.Unlock()
		fail(w, http.StatusPaymentRequired, quotaProblem())
		return
	}
	rec.id = h.freshIDLocked()
	details, err := h.fillDetails(body.details, rec.id)
	if err != nil {
		h.store.mu.Unlock()
		fail(w, http.StatusUnprocessableEntity, unprocessable("/key", "The property '/key' could not be read: "+err.Error()))
		return
	}
	rec.details = details
	m := h.store.mark()
	h.store.insert(rec)
	err = h.commitLocked(func() { h.store.rollback(m) })
	c := *rec
	h.store.mu.Unlock()
	if err != nil {
		notSaved(w, "The key was not created")
		return
	}
	w.Header().Set("Location", keyURL(base, c.id))
	writeJSON(w, http.StatusCreated, h.render(&c, base, now))
}

// get serves GET /byok/v1/keys/{id}. Each GET counts as a read of the key
// for the validation progression; the reads up to its completion are saved,
// so that a restart goes on where it stopped.
func (h *Server) get(w http.ResponseWriter, r *http.Request, id string, now time.Time) {
	h.store.mu.Lock()
	rec, ok := h.store.byID[id]
	if !ok {
		h.store.mu.Unlock()
		fail(w, http.StatusNotFound, notFound(id))
		return
	}
	rec.reads++
	var err error
	if rec.override == nil && rec.reads <= h.cfg.validation.Reads {
		done := rec.reads == h.cfg.validation.Reads
		if done {
			rec.readsDoneAt = now
			h.store.version++
		}
		err = h.commitLocked(func() {
			rec.reads--
			if done {
				rec.readsDoneAt = time.Time{}
			}
		})
	}
	c := *rec
	h.store.mu.Unlock()
	if err != nil {
		notSaved(w, "The read of the key, which counts towards its validation, was not counted")
		return
	}
	writeJSON(w, http.StatusOK, h.render(&c, h.baseFor(r), now))
}

// update serves PATCH /byok/v1/keys/{id}: only display_name changes.
func (h *Server) update(w http.ResponseWriter, r *http.Request, id string, now time.Time) {
	if !h.exists(id) {
		fail(w, http.StatusNotFound, notFound(id))
		return
	}
	obj, status, p := h.readObject(w, r)
	if p != nil {
		fail(w, status, *p)
		return
	}
	name, probs := decodeUpdate(obj)
	if len(probs) > 0 {
		fail(w, http.StatusUnprocessableEntity, probs...)
		return
	}
	h.store.mu.Lock()
	rec, ok := h.store.byID[id]
	if !ok {
		h.store.mu.Unlock()
		fail(w, http.StatusNotFound, notFound(id))
		return
	}
	var err error
	if name != nil {
		oldName, oldAt := rec.displayName, rec.updatedAt
		rec.displayName, rec.updatedAt = name, now
		h.store.version++
		err = h.commitLocked(func() { rec.displayName, rec.updatedAt = oldName, oldAt })
	}
	c := *rec
	h.store.mu.Unlock()
	if err != nil {
		notSaved(w, "The key was not updated")
		return
	}
	writeJSON(w, http.StatusOK, h.render(&c, h.baseFor(r), now))
}

// delete serves DELETE /byok/v1/keys/{id}: 409 for a key IN_USE.
func (h *Server) delete(w http.ResponseWriter, r *http.Request, id string) {
	h.store.mu.Lock()
	rec, ok := h.store.byID[id]
	if !ok {
		h.store.mu.Unlock()
		fail(w, http.StatusNotFound, notFound(id))
		return
	}
	if rec.state == StateInUse {
		h.store.mu.Unlock()
		w.Header().Set("Location", keyURL(h.baseFor(r), id))
		fail(w, http.StatusConflict, problem{code: "resource_in_use", title: "Key In Use",
			detail: fmt.Sprintf("Key '%s' is in use by a cluster and cannot be deleted.", id)})
		return
	}
	// Saved without the key first: removing is not undone.
	if err := h.saveLocked(rec); err != nil {
		h.store.mu.Unlock()
		notSaved(w, "The key was not deleted")
		return
	}
	h.store.remove(rec)
	h.store.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

func (h *Server) exists(id string) bool {
	h.store.mu.RLock()
	defer h.store.mu.RUnlock()
	_, ok := h.store.byID[id]
	return ok
}

// notSaved answers 500 for a change that was not made because the data
// file could not be saved; what says which change.
func notSaved(w http.ResponseWriter, what string) {
	fail(w, http.StatusInternalServerError, problem{code: "internal_server_error", title: "Internal Server Error",
		detail: what + ": the data file could not be saved, so nothing was changed."})
}
