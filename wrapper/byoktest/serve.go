package byoktest

import (
	"net/http"
	"strconv"
	"time"
)

// serve is the fake's handler, inside the middleware of WithMiddleware.
func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	now := s.cfg.clock()
	seq := s.reqSeq.Add(1)
	rid := "byoktest-" + s.instance + "-" + strconv.FormatUint(seq, 10)
	w.Header().Set("X-Request-Id", rid)
	sw := &statusWriter{ResponseWriter: w}
	entry := Request{ID: rid, Time: now, Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, seq: seq}
	logged := false
	// A connection closed on purpose is logged before it is closed, so
	// that the log is complete by the time the client sees the close.
	onAbort := func() {
		s.log.add(entry)
		logged = true
	}
	defer func() {
		if !logged {
			entry.Status = sw.status
			s.log.add(entry)
		}
	}()
	_, rt := s.limiter.take(now, false)
	rt.set(w.Header())

	op, id, ok, allow := route(r)
	entry.Operation = op
	switch {
	case !ok:
		fail(sw, http.StatusNotFound, problem{code: "not_found", title: "Not Found",
			detail: "Nothing is at " + r.URL.Path + "; the API's paths are /byok/v1/keys and /byok/v1/keys/{id}."})
		return
	case allow != "":
		sw.Header().Set("Allow", allow)
		fail(sw, http.StatusMethodNotAllowed, problem{code: "method_not_allowed", title: "Method Not Allowed",
			detail: r.Method + " is not allowed on " + r.URL.Path + "; allowed: " + allow + "."})
		return
	}

	// Authentication comes first: a request without valid credentials
	// uses up no queued answer and no fault.
	if ok, present := s.authenticate(r); !ok {
		s.unauthorized(sw, present)
		return
	}
	d := s.faults.decide(op)
	entry.Fault = d.mode
	if s.before(sw, r, d.mode, rt, onAbort) {
		return
	}
	if d.status != 0 {
		s.respond(sw, op, d.status)
		return
	}
	allowed, rt := s.limiter.take(now, true)
	rt.set(w.Header())
	if !allowed {
		w.Header().Set("Retry-After", wholeSeconds(rt.reset))
		fail(sw, http.StatusTooManyRequests, tooManyProblem())
		return
	}
	if s.cfg.forbiddenOps[op] {
		fail(sw, http.StatusForbidden, forbidden("The credentials may not perform "+string(op)+"."))
		return
	}
	if d.mode == FaultDropResponse || d.mode == FaultTruncated {
		b := &buffer{w: sw}
		s.dispatch(b, r, op, id, now)
		after(sw, b, d.mode, onAbort)
		return
	}
	s.dispatch(sw, r, op, id, now)
}

// respond answers a status queued by RespondNext.
func (s *Server) respond(w http.ResponseWriter, op Operation, status int) {
	switch status {
	case http.StatusUnauthorized:
		s.unauthorized(w, true)
		return
	case http.StatusTooManyRequests:
		w.Header().Set("Retry-After", "1")
	}
	fail(w, status, genericProblem(op, status))
}

// dispatch runs the operation.
func (s *Server) dispatch(w http.ResponseWriter, r *http.Request, op Operation, id string, now time.Time) {
	switch op {
	case OpList:
		s.list(w, r, now)
		return
	case OpCreate:
		s.create(w, r, now)
		return
	}
	if !validID(id) {
		fail(w, http.StatusBadRequest, badRequest("invalid_id",
			"The key id must be 1 to 255 letters, digits, '-', '_' or '.' (such as cck-12345).", "id"))
		return
	}
	if s.cfg.forbiddenIDs[id] {
		fail(w, http.StatusForbidden, forbidden("The credentials may not access key '"+id+"'."))
		return
	}
	switch op {
	case OpGet:
		s.get(w, r, id, now)
	case OpUpdate:
		s.update(w, r, id, now)
	case OpDelete:
		s.delete(w, r, id)
	}
}

// statusWriter records the status of the answer for the request log.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (s *statusWriter) WriteHeader(status int) {
	if s.status == 0 {
		s.status = status
	}
	s.ResponseWriter.WriteHeader(status)
}

func (s *statusWriter) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection (to hijack it).
func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }
