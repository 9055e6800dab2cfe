package wrapper

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"unicode/utf8"
)

// KeyMismatchError is a 2xx answer that is not about the key asked for:
// GetKey, UpdateKey or a check of WaitForValidation answered with another
// key's id, or with none; or CreateKey answered with no id, or with one that
// is not of the form the API gives ("cck-" and letters and digits, such as
// cck-12345). The answer is not used: the call returns no key.
//
// An update so answered was sent, and may have renamed the key asked for. A
// create so answered has been carried out, but which key it made cannot be
// told: the error also matches ErrOutcomeUnknown.
type KeyMismatchError struct {
	// Method and Path are those of the request, such as "GET" and
	// "/byok/v1/keys/cck-12345", as in APIError.
	Method, Path string
	// Asked is the id asked for; empty for a create.
	Asked string
	// Got is the id of the answer as the server sent it (a credential it
	// echoes redacted); empty when the answer has none.
	Got string
	// Response is the answer: status, request id, rate-limit figures and
	// header.
	Response *Response

	op string // the operation's name, for Error: "get key cck-12345"
}

// Error says in one line what the answer named, what was expected, and the
// request id. The server's id is quoted when it is not a plain id.
func (e *KeyMismatchError) Error() string {
	op := e.op
	if op == "" {
		op = e.Method + " " + e.Path
	}
	var b strings.Builder
	fmt.Fprintf(&b, "byok: %s: ", op)
	if e.Asked == "" {
		b.WriteString(ErrOutcomeUnknown.Error() + ": ")
	}
	status := 0
	if e.Response != nil {
		status = e.Response.StatusCode
	}
	switch {
	case e.Asked != "" && e.Got != "":
		fmt.Fprintf(&b, "the answer is about key %s, not %s", printableID(shortID(e.Got)), printableID(e.Asked))
	case e.Asked != "":
		fmt.Fprintf(&b, "the answer names no key; expected key %s", printableID(e.Asked))
	case e.Got == "":
		fmt.Fprintf(&b, "the %d answer has no key id; expected one such as cck-12345", status)
	default:
		fmt.Fprintf(&b, "the %d answer's key id %q is not of the form cck-12345", status, printable(shortID(e.Got)))
	}
	if e.Response != nil && e.Response.RequestID != "" {
		fmt.Fprintf(&b, " (request id %s)", printable(e.Response.RequestID))
	}
	switch {
	case e.Asked == "":
		b.WriteString("; the key may have been created, list the keys before creating it again")
	case e.Method == http.MethodPatch:
		fmt.Fprintf(&b, "; the answer was not used, but the update was sent and may have renamed key %s", printableID(e.Asked))
	default:
		b.WriteString("; the answer was not used")
	}
	return b.String()
}

// Is reports whether target is ErrOutcomeUnknown, for a create.
func (e *KeyMismatchError) Is(target error) bool {
	return target == ErrOutcomeUnknown && e.Method == http.MethodPost
}

// shortID returns the first 64 bytes of a server's id, with "…" when it was
// longer, so that an id of megabytes does not make the message as long.
func shortID(id string) string {
	const n = 64
	if len(id) <= n {
		return id
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(id[cut]) {
		cut--
	}
	return id[:cut] + "…"
}

// keyIDForm is the form of the key ids the API gives.
var keyIDForm = regexp.MustCompile(`^cck-[0-9A-Za-z]{1,251}$`)

// checkKeyID returns a *KeyMismatchError when the id of key, in the answer
// resp to op, is not asked (or, for a create, whose asked is empty, not of
// the API's form).
func checkKeyID(op operation, asked string, key *Key, resp *Response) error {
	if asked != "" && key.ID == asked || asked == "" && keyIDForm.MatchString(key.ID) {
		return nil
	}
	return &KeyMismatchError{Method: op.method, Path: op.path, Asked: asked, Got: key.ID, Response: resp, op: op.name}
}
