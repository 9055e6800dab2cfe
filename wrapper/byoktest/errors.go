package byoktest

import (
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/byokctl/byok/api"
)

// problem is one entry of a Failure body.
type problem struct {
	code, title, detail string
	pointer             string // JSON pointer into the request body
	parameter           string // query or path parameter
}

// writeJSON writes v as the JSON body of an answer with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b = []byte(`{"errors":[{"status":"500","code":"encoding_failed","title":"Internal Server Error","detail":"The answer could not be encoded."}]}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// fail writes a Failure body with one error per problem. Each error's id is
// the request id and its position, so that it is unique and traceable.
func fail(w http.ResponseWriter, status int, ps ...problem) {
	rid := w.Header().Get("X-Request-Id")
	st := strconv.Itoa(status)
	f := api.Failure{Errors: make([]api.Error, len(ps))}
	for i, p := range ps {
		id := rid + "-" + strconv.Itoa(i+1)
		f.Errors[i] = api.Error{ID: id, Status: st, Code: p.code, Title: p.title, Detail: p.detail,
			Source: api.ErrorSource{Pointer: p.pointer, Parameter: p.parameter}}
	}
	writeJSON(w, status, f)
}

// The problems the fake answers with, by status.

func badRequest(code, detail, parameter string) problem {
	return problem{code: code, title: "Bad Request", detail: detail, parameter: parameter}
}

func unprocessable(pointer, detail string) problem {
	return problem{code: "invalid_configuration", title: "Validation Failed", detail: detail, pointer: pointer}
}

func notFound(id string) problem {
	return problem{code: "resource_not_found", title: "Not Found", detail: "Key '" + id + "' was not found."}
}

func forbidden(detail string) problem {
	return problem{code: "user_unauthorized", title: "User Access Unauthorized", detail: detail}
}

func quotaProblem() problem {
	return problem{code: "quota_exceeded", title: "BYOK Keys Per Org Quota Exceeded",
		detail: "The request would exceed the quota: byok.max_keys.per_org"}
}

func tooManyProblem() problem {
	return problem{code: "too_many_requests", title: "Rate Limit Exceeded",
		detail: "Too many requests; retry after the rate-limit window resets."}
}

func serverErrorProblem() problem {
	return problem{code: "internal_server_error", title: "Internal Server Error",
		detail: "Something went wrong on the server; the request may be retried."}
}

// genericProblem returns the problem RespondNext answers with for status.
func genericProblem(op Operation, status int) problem {
	switch status {
	case http.StatusBadRequest:
		return badRequest("bad_request", "The request was refused as malformed (injected by RespondNext).", "")
	case http.StatusUnauthorized:
		return unauthenticatedProblem(true)
	case http.StatusPaymentRequired:
		return quotaProblem()
	case http.StatusForbidden:
		return forbidden("The credentials may not perform " + string(op) + ".")
	case http.StatusNotFound:
		return problem{code: "resource_not_found", title: "Not Found", detail: "The key was not found."}
	case http.StatusConflict:
		return problem{code: "conflict", title: "Conflict", detail: "The request conflicts with the current state of the key."}
	case http.StatusUnprocessableEntity:
		return unprocessable("", "The request body was refused (injected by RespondNext).")
	case http.StatusTooManyRequests:
		return tooManyProblem()
	}
	return serverErrorProblem()
}
