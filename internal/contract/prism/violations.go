package prism

import (
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"strings"
)

// ViolationsHeader is the header in which Prism lists the violations of an
// exchange, at any severity.
const ViolationsHeader = "sl-violations"

// Violation is one thing Prism found wrong with an exchange.
type Violation struct {
	Location []string `json:"location"` // e.g. ["response", "body", "id"]
	Severity string   `json:"severity"` // "Error", "Warning"...
	Code     any      `json:"code,omitempty"`
	Message  string   `json:"message"`
}

func (v Violation) String() string {
	return fmt.Sprintf("%s at %s: %s", strings.ToLower(v.Severity), strings.Join(v.Location, "."), v.Message)
}

// problem is Prism's own error answer (application/problem+json).
type problem struct {
	Type       string      `json:"type"`
	Title      string      `json:"title"`
	Status     int         `json:"status"`
	Detail     string      `json:"detail"`
	Validation []Violation `json:"validation"`
}

// Violations returns what Prism found wrong with the exchange whose
// response header is h and body is body: the sl-violations header, or
// Prism's own problem+json answer (a request refused with --errors, a
// response replaced with --errors, a route Prism does not know). Upstream
// answers never use problem+json (the spec documents application/json
// only), so such a body is Prism's.
func Violations(h http.Header, body []byte) ([]Violation, error) {
	var out []Violation
	if raw := h.Get(ViolationsHeader); raw != "" {
		if err := json.Unmarshal([]byte(raw), &out); err != nil {
			return nil, fmt.Errorf("prism: reading the %s header %q: %w", ViolationsHeader, raw, err)
		}
	}
	if mt, _, err := mime.ParseMediaType(h.Get("Content-Type")); err == nil && mt == "application/problem+json" {
		var p problem
		if err := json.Unmarshal(body, &p); err != nil {
			return nil, fmt.Errorf("prism: reading its problem answer %q: %w", body, err)
		}
		switch {
		case len(p.Validation) == 0:
			out = append(out, Violation{Location: []string{"exchange"}, Severity: "Error",
				Message: fmt.Sprintf("Prism answered %d %s: %s (%s)", p.Status, p.Title, p.Detail, p.Type)})
		case h.Get(ViolationsHeader) == "":
			// The header, when there is one, lists the same violations.
			out = append(out, p.Validation...)
		}
	}
	return out, nil
}
