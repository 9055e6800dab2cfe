package byoktest

import (
	"fmt"
	"net/http"
	"time"

	"github.com/byokctl/byok/api"
)

// create serves POST /byok/v1/keys.
func (s *Server) create(w http.ResponseWriter, r *http.Request, now time.Time) {
	obj, status, p := s.readObject(w, r)
	if p != nil {
		fail(w, status, *p)
		return
	}
	body, probs := s.rules.decodeCreate(obj)
	if len(probs) > 0 {
		fail(w, http.StatusUnprocessableEntity, probs...)
		return
	}
	base := s.baseFor(r)
	rec := &record{displayName: body.displayName, kind: body.kind, material: body.mat, state: api.KeyStateAVAILABLE, createdAt: now, updatedAt: now}
	s.classify(rec)

	s.store.mu.Lock()
	if id, taken := s.store.byMaterial[body.mat]; taken {
		s.store.mu.Unlock()
		w.Header().Set("Location", keyURL(base, id))
		fail(w, http.StatusConflict, problem{code: "resource_already_exists", title: "Resource Already Exists",
			detail: fmt.Sprintf("A key with %s '%s' already exists: %s.", materialName(body.kind), body.mat, id), pointer: "/key/" + materialName(body.kind)})
		return
	}
	if s.cfg.maxKeys > 0 && len(s.store.byID) >= s.cfg.maxKeys || s.store.full(1) {
		s.store.mu.Unlock()
		fail(w, http.StatusPaymentRequired, quotaProblem())
		return
	}
	rec.id = s.freshIDLocked()
	details, err := s.fillDetails(body.details, rec.id)
	if err != nil {
		s.store.mu.Unlock()
		fail(w, http.StatusUnprocessableEntity, unprocessable("/key", "The property '/key' could not be read: "+err.Error()))
		return
	}
	rec.details = details
	m := s.store.mark()
	s.store.insert(rec)
	err = s.commitLocked(func() { s.store.rollback(m) })
	c := *rec
	s.store.mu.Unlock()
	if err != nil {
		notSaved(w, "The key was not created")
		return
	}
	w.Header().Set("Location", keyURL(base, c.id))
	writeJSON(w, http.StatusCreated, s.render(&c, base, now))
}

// get serves GET /byok/v1/keys/{id}. Each GET counts as a read of the key
// for the validation progression; the reads up to its completion are saved,
// so that a restart goes on where it stopped.
func (s *Server) get(w http.ResponseWriter, r *http.Request, id string, now time.Time) {
	s.store.mu.Lock()
	rec, ok := s.store.byID[id]
	if !ok {
		s.store.mu.Unlock()
		fail(w, http.StatusNotFound, notFound(id))
		return
	}
	rec.reads++
	var err error
	if rec.override == nil && rec.reads <= s.cfg.validation.Reads {
		done := rec.reads == s.cfg.validation.Reads
		if done {
			rec.readsDoneAt = now
			s.store.version++
		}
		err = s.commitLocked(func() {
			rec.reads--
			if done {
				rec.readsDoneAt = time.Time{}
			}
		})
	}
	c := *rec
	s.store.mu.Unlock()
	if err != nil {
		notSaved(w, "The read of the key, which counts towards its validation, was not counted")
		return
	}
	writeJSON(w, http.StatusOK, s.render(&c, s.baseFor(r), now))
}

// update serves PATCH /byok/v1/keys/{id}: only display_name changes.
func (s *Server) update(w http.ResponseWriter, r *http.Request, id string, now time.Time) {
	if !s.exists(id) {
		fail(w, http.StatusNotFound, notFound(id))
		return
	}
	obj, status, p := s.readObject(w, r)
	if p != nil {
		fail(w, status, *p)
		return
	}
	name, probs := decodeUpdate(obj)
	if len(probs) > 0 {
		fail(w, http.StatusUnprocessableEntity, probs...)
		return
	}
	s.store.mu.Lock()
	rec, ok := s.store.byID[id]
	if !ok {
		s.store.mu.Unlock()
		fail(w, http.StatusNotFound, notFound(id))
		return
	}
	var err error
	if name != nil {
		oldName, oldAt := rec.displayName, rec.updatedAt
		rec.displayName, rec.updatedAt = name, now
		s.store.version++
		err = s.commitLocked(func() { rec.displayName, rec.updatedAt = oldName, oldAt })
	}
	c := *rec
	s.store.mu.Unlock()
	if err != nil {
		notSaved(w, "The key was not updated")
		return
	}
	writeJSON(w, http.StatusOK, s.render(&c, s.baseFor(r), now))
}

// delete serves DELETE /byok/v1/keys/{id}: 409 for a key IN_USE.
func (s *Server) delete(w http.ResponseWriter, r *http.Request, id string) {
	s.store.mu.Lock()
	rec, ok := s.store.byID[id]
	if !ok {
		s.store.mu.Unlock()
		fail(w, http.StatusNotFound, notFound(id))
		return
	}
	if rec.state == api.KeyStateINUSE {
		s.store.mu.Unlock()
		w.Header().Set("Location", keyURL(s.baseFor(r), id))
		fail(w, http.StatusConflict, problem{code: "resource_in_use", title: "Key In Use",
			detail: fmt.Sprintf("Key '%s' is in use by a cluster and cannot be deleted.", id)})
		return
	}
	// Saved without the key first: removing is not undone.
	if err := s.saveLocked(rec); err != nil {
		s.store.mu.Unlock()
		notSaved(w, "The key was not deleted")
		return
	}
	s.store.remove(rec)
	s.store.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) exists(id string) bool {
	s.store.mu.RLock()
	defer s.store.mu.RUnlock()
	_, ok := s.store.byID[id]
	return ok
}

// notSaved answers 500 for a change that was not made because the data
// file could not be saved; what says which change.
func notSaved(w http.ResponseWriter, what string) {
	fail(w, http.StatusInternalServerError, problem{code: "internal_server_error", title: "Internal Server Error",
		detail: what + ": the data file could not be saved, so nothing was changed."})
}
