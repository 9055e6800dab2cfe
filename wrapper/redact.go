package wrapper

import (
	"bytes"
	"cmp"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// redactedMark replaces a credential found in what a server sent.
const redactedMark = "[redacted]"

// minRedactLen is the length below which a part of a credential is not
// redacted on its own: replacing, say, a 5-letter secret wherever it
// appears would mangle the ordinary words of the server's text, and a part
// that short protects nothing anyway. The whole Authorization value is
// always redacted (with its scheme it is longer than this).
const minRedactLen = 8

// redactor replaces the credential sent on one request attempt wherever it
// appears in what the server (or a proxy on the way) sent back: a server
// that echoes the request's Authorization header must not carry the
// credential into an error, a Response or a log line.
//
// It redacts the whole Authorization value; its credential part (the token
// after "Bearer ", the base64 after "Basic "); for Basic, the decoded
// "key:secret" and the secret alone; and each of these as it appears inside
// a JSON string or a URL query (escaped). Parts shorter than minRedactLen
// are not redacted on their own (see minRedactLen). The zero redactor
// redacts nothing.
type redactor struct {
	secrets []string // longest first, so that a longer form goes before a part of it
	bytes   [][]byte // the same, to look for in a body without converting it
}

// newRedactor returns the redactor of the Authorization values sent on an
// attempt (empty values are ignored).
func newRedactor(authorizations ...string) redactor {
	var r redactor
	for _, v := range authorizations {
		if v == "" {
			continue
		}
		r.add(v, 1)
		scheme, cred, ok := strings.Cut(v, " ")
		if !ok {
			continue
		}
		r.add(cred, minRedactLen)
		if !strings.EqualFold(scheme, "Basic") {
			continue
		}
		cred = strings.TrimSpace(cred)
		pair, err := base64.StdEncoding.DecodeString(cred)
		if err != nil {
			continue
		}
		// The same pair in base64 without padding, and in the URL
		// alphabet, as a server may write it back.
		r.add(strings.TrimRight(cred, "="), minRedactLen)
		r.add(base64.RawURLEncoding.EncodeToString(pair), minRedactLen)
		r.add(base64.URLEncoding.EncodeToString(pair), minRedactLen)
		r.add(string(pair), minRedactLen)
		if _, secret, ok := strings.Cut(string(pair), ":"); ok {
			r.add(secret, minRedactLen)
		}
	}
	slices.SortFunc(r.secrets, func(a, b string) int {
		return cmp.Or(cmp.Compare(len(b), len(a)), strings.Compare(a, b))
	})
	r.secrets = slices.Compact(r.secrets)
	for _, secret := range r.secrets {
		r.bytes = append(r.bytes, []byte(secret))
	}
	return r
}

// add adds s, when at least minLen long, with its escaped forms.
func (r *redactor) add(s string, minLen int) {
	if len(s) < minLen || strings.TrimSpace(s) == "" {
		return
	}
	r.secrets = append(r.secrets, s)
	if j := jsonEscaped(s); j != s {
		r.secrets = append(r.secrets, j)
	}
	if strings.Contains(s, "/") {
		// Some JSON encoders write "/" as "\/".
		r.secrets = append(r.secrets, strings.ReplaceAll(jsonEscaped(s), "/", `\/`))
	}
	if q := url.QueryEscape(s); q != s {
		r.secrets = append(r.secrets, q)
	}
}

// jsonEscaped returns s as it appears between the quotes of a JSON string
// written by encoding/json.
func jsonEscaped(s string) string {
	b, err := json.Marshal(s)
	if err != nil || len(b) < 2 {
		return s
	}
	return string(b[1 : len(b)-1])
}

// contains reports whether s holds a credential.
func (r redactor) contains(s string) bool {
	for _, secret := range r.secrets {
		if strings.Contains(s, secret) {
			return true
		}
	}
	return false
}

// redact returns s with every credential replaced by "[redacted]".
func (r redactor) redact(s string) string {
	for _, secret := range r.secrets {
		if strings.Contains(s, secret) {
			s = strings.ReplaceAll(s, secret, redactedMark)
		}
	}
	return s
}

// body returns the body of a successful answer, or when it holds a
// credential, a copy with the credentials redacted, so that no key, error or
// message decoded from it carries one.
func (r redactor) body(b []byte) []byte {
	for _, secret := range r.bytes {
		if bytes.Contains(b, secret) {
			return []byte(r.redact(string(b)))
		}
	}
	return b
}

// header returns h, or a copy with the credentials redacted from its values
// when it holds any.
func (r redactor) header(h http.Header) http.Header {
	if !r.headerContains(h) {
		return h
	}
	out := make(http.Header, len(h))
	for name, values := range h {
		vs := make([]string, len(values))
		for i, v := range values {
			vs[i] = r.redact(v)
		}
		out[name] = vs
	}
	return out
}

func (r redactor) headerContains(h http.Header) bool {
	if len(r.secrets) == 0 {
		return false
	}
	for _, values := range h {
		for _, v := range values {
			if r.contains(v) {
				return true
			}
		}
	}
	return false
}

// detail returns d with the credentials redacted from every text.
func (r redactor) detail(d ErrorDetail) ErrorDetail {
	for _, s := range []*string{&d.ID, &d.Status, &d.Code, &d.Title, &d.Detail, &d.Message, &d.Source.Pointer, &d.Source.Parameter} {
		*s = r.redact(*s)
	}
	return d
}

// excerpt returns excerpt(body) without the credentials. They are redacted
// before the excerpt is cut, so that one cut in two at the end cannot leave
// its first part.
func (r redactor) excerpt(body []byte) string {
	if len(r.secrets) == 0 {
		return excerpt(body)
	}
	s := string(body)
	if !r.contains(s) {
		return excerpt(body)
	}
	return excerpt([]byte(r.redact(s)))
}

// error returns err, or when its message holds a credential, an error with
// the credentials redacted from the message that still unwraps to err (so
// errors.Is and errors.As see through it).
func (r redactor) error(err error) error {
	if err == nil || len(r.secrets) == 0 {
		return err
	}
	msg := err.Error()
	if !r.contains(msg) {
		return err
	}
	return &redactedError{msg: r.redact(msg), err: err}
}

// redactedError is an error whose message had a credential redacted. It
// unwraps to the original error, so that errors.Is and errors.As keep
// working; the original's own message is not redacted, and a caller that
// prints an unwrapped error prints what the server sent.
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }
