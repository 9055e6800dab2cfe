package contract

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
)

// Violation is an exchange the spec rejects. Its message names the
// operation, the method and path, the status, and one line per offending
// field: where it is (request body, a parameter, response body, a header),
// its JSON pointer and the reason.
type Violation struct {
	Method, Path string
	OperationID  string // empty when no operation matched
	Status       int    // the response status; zero when there was none
	Request      bool   // the request, not the response, broke the spec
	Problems     []Problem
	Err          error // the validator's own error, for errors.As
}

// Problem is one reason a message breaks the spec.
type Problem struct {
	// Where is the part of the message: "request body", "query parameter
	// \"page_size\"", "response body", "response header \"Location\"",
	// "response status"...
	Where string
	// Pointer is the JSON pointer (RFC 6901) of the offending value inside
	// Where, "" for the part as a whole.
	Pointer string
	// Reason says what is wrong, without the schema dump.
	Reason string
}

// String returns "where pointer: reason".
func (p Problem) String() string {
	where := p.Where
	if p.Pointer != "" {
		where += " " + p.Pointer
	}
	if where == "" {
		return p.Reason
	}
	return where + ": " + p.Reason
}

func (e *Violation) Error() string {
	var b strings.Builder
	b.WriteString("contract: ")
	if e.OperationID != "" {
		b.WriteString(e.OperationID + " ")
	}
	b.WriteString(e.Method + " " + e.Path)
	if e.Status != 0 {
		b.WriteString(" -> " + strconv.Itoa(e.Status))
	}
	if e.Request {
		b.WriteString(": the request violates the spec")
	} else {
		b.WriteString(": the response violates the spec")
	}
	for _, p := range e.Problems {
		b.WriteString("\n    " + p.String())
	}
	return b.String()
}

// Unwrap returns the validator's own error.
func (e *Violation) Unwrap() error { return e.Err }

// problems flattens a kin-openapi validation error into its leaves: one
// Problem per offending value, without the schema dumps kin-openapi's own
// messages carry.
func problems(err error) []Problem {
	var out []Problem
	collect(err, "", &out)
	if len(out) == 0 {
		out = append(out, Problem{Reason: err.Error()})
	}
	return dedupe(out)
}

func collect(err error, where string, out *[]Problem) {
	// The tree is walked node by node on purpose: errors.As would jump to
	// the first match and lose the siblings.
	switch e := err.(type) { //nolint:errorlint // see above
	case nil:
		return
	case openapi3.MultiError:
		for _, inner := range e {
			collect(inner, where, out)
		}
	case *openapi3filter.RequestError:
		w := requestWhere(e)
		if e.Err == nil || !hasSchemaError(e.Err) {
			*out = append(*out, Problem{Where: w, Reason: shortReason(e.Reason, e.Err)})
			return
		}
		collect(e.Err, w, out)
	case *openapi3filter.ResponseError:
		w := responseWhere(e.Reason)
		if e.Err == nil || !hasSchemaError(e.Err) {
			*out = append(*out, Problem{Where: w, Reason: shortReason(e.Reason, e.Err)})
			return
		}
		collect(e.Err, w, out)
	case *openapi3.SchemaError:
		if e.Origin != nil && hasSchemaError(e.Origin) {
			collect(e.Origin, where, out)
			return
		}
		*out = append(*out, Problem{Where: where, Pointer: pointer(e.JSONPointer()), Reason: schemaReason(e)})
	default:
		if multi, ok := err.(interface{ Unwrap() []error }); ok {
			for _, inner := range multi.Unwrap() {
				collect(inner, where, out)
			}
			return
		}
		if inner := errors.Unwrap(err); inner != nil {
			collect(inner, where, out)
			return
		}
		*out = append(*out, Problem{Where: where, Reason: err.Error()})
	}
}

// hasSchemaError reports whether err holds a *openapi3.SchemaError anywhere
// in its tree (MultiError implements As over its members).
func hasSchemaError(err error) bool {
	var se *openapi3.SchemaError
	return errors.As(err, &se)
}

func requestWhere(e *openapi3filter.RequestError) string {
	switch {
	case e.Parameter != nil:
		return fmt.Sprintf("%s parameter %q", e.Parameter.In, e.Parameter.Name)
	case e.RequestBody != nil:
		return "request body"
	default:
		return "request"
	}
}

func responseWhere(reason string) string {
	switch {
	case strings.Contains(reason, "response body"):
		return "response body"
	case reason == "status is not supported":
		return "response status"
	}
	// `response header "X" doesn't match schema`, `... missing`,
	// `unable to decode header "X" value`...
	if _, rest, ok := strings.Cut(reason, "header "); ok {
		if name, err := strconv.QuotedPrefix(rest); err == nil {
			return "response header " + name
		}
	}
	return "response"
}

func shortReason(reason string, err error) string {
	switch {
	case reason == "status is not supported":
		return "not documented for this operation"
	case err == nil:
		return reason
	case reason == "" || reason == err.Error():
		return err.Error()
	default:
		return reason + ": " + err.Error()
	}
}

func schemaReason(e *openapi3.SchemaError) string {
	reason := e.Reason
	if reason == "" {
		reason = "does not match schema keyword " + strconv.Quote(e.SchemaField)
	}
	if e.Reason == "" && e.Origin != nil {
		reason += ": " + e.Origin.Error()
	}
	if got := scalar(e.Value); got != "" {
		reason += " (got " + got + ")"
	}
	return reason
}

// scalar renders a scalar JSON value briefly; objects and arrays (the
// enclosing value of a missing property, say) render as "".
func scalar(v any) string {
	switch v.(type) {
	case nil, map[string]any, []any:
		return ""
	}
	b, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	const limit = 60
	if s := string(b); len(s) <= limit {
		return s
	}
	return string(b[:limit]) + "..."
}

// pointer joins reference tokens into a JSON pointer (RFC 6901).
func pointer(tokens []string) string {
	if len(tokens) == 0 {
		return ""
	}
	var b strings.Builder
	for _, t := range tokens {
		b.WriteByte('/')
		b.WriteString(strings.NewReplacer("~", "~0", "/", "~1").Replace(t))
	}
	return b.String()
}

func dedupe(in []Problem) []Problem {
	seen := make(map[Problem]bool, len(in))
	out := in[:0]
	for _, p := range in {
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	return out
}
