package main

import (
	"fmt"
	"net"
	"net/http"

	"github.com/byokctl/byok/wrapper"
	"github.com/byokctl/byok/wrapper/byoktest"
)

// accessDenied is the validation message of a key Confluent Cloud cannot
// use, in the fake of serve and demo.
const accessDenied = "Access to key denied."

// revokePattern is the route of serve --revoke-endpoint.
const revokePattern = "POST /_byoktest/keys/{id}/revoke"

// withRevokeEndpoint returns fake behind a route that makes a key lose
// access, as when its key policy is edited: POST /_byoktest/keys/ID/revoke
// turns key ID INVALID with "Access to key denied." (204; 404 for an
// unknown key). The route is not part of the API; it is offered on a
// loopback address only.
func withRevokeEndpoint(fake *byoktest.Server, addr net.Addr, logf func(string, ...any)) (http.Handler, error) {
	if !isLoopbackAddr(addr) {
		return nil, usagef("--revoke-endpoint is offered on a loopback address only; %s is not one", addr)
	}
	mux := http.NewServeMux()
	mux.HandleFunc(revokePattern, func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		status := http.StatusNotFound
		var err error
		if _, ok := fake.Key(id); !ok {
			err = fmt.Errorf("no key with id %q", id)
		} else if err = fake.SetValidation(id, wrapper.PhaseInvalid, accessDenied); err != nil {
			status = http.StatusInternalServerError // the data file could not be saved
		}
		if err != nil {
			http.Error(w, err.Error(), status)
			logf("POST %s: %d (%s)", clean(r.URL.Path), status, clean(err.Error()))
			return
		}
		w.WriteHeader(http.StatusNoContent)
		logf("key %s lost access: INVALID, %q", clean(id), accessDenied)
	})
	mux.Handle("/", fake)
	logf("POST http://%s/_byoktest/keys/ID/revoke makes key ID lose access (INVALID, %q)", displayAddr(addr), accessDenied)
	return mux, nil
}
