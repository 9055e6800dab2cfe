package byoktest

import (
	"crypto/subtle"
	"net/http"
	"strings"
)

const realm = `realm="Confluent Cloud"`

// authenticate reports whether r carries accepted credentials, and whether
// it carries any.
func (s *Server) authenticate(r *http.Request) (ok, present bool) {
	auth := r.Header.Get("Authorization")
	if auth == "" {
		return false, false
	}
	if key, secret, isBasic := r.BasicAuth(); isBasic {
		return s.cfg.apiKey != "" && equal(key, s.cfg.apiKey) && equal(secret, s.cfg.apiSecret), true
	}
	scheme, token, found := strings.Cut(auth, " ")
	if found && strings.EqualFold(scheme, "Bearer") && s.cfg.token != "" {
		return equal(strings.TrimSpace(token), s.cfg.token), true
	}
	return false, true
}

func equal(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }

func unauthenticatedProblem(present bool) problem {
	if present {
		return problem{code: "user_unauthenticated", title: "Authentication Required",
			detail: "The API key and secret, or the bearer token, are not valid."}
	}
	return problem{code: "user_unauthenticated", title: "Authentication Required",
		detail: "Valid authentication credentials must be provided."}
}

// unauthorized answers 401 with the challenges the server accepts.
func (s *Server) unauthorized(w http.ResponseWriter, present bool) {
	basic, bearer := "Basic "+realm, "Bearer "+realm
	if present {
		basic += `, error="invalid_key", error_description="The API key or secret is invalid"`
		bearer += `, error="invalid_token"`
	}
	if s.cfg.apiKey != "" {
		w.Header().Add("WWW-Authenticate", basic)
	}
	if s.cfg.token != "" {
		w.Header().Add("WWW-Authenticate", bearer)
	}
	fail(w, http.StatusUnauthorized, unauthenticatedProblem(present))
}
