package byoktest

import (
	"crypto/subtle"
	"net/http"
	"strings"
)

const realm = `realm="Confluent Cloud"`

// authenticate reports whether r carries accepted credentials, and whether
// it carries any.
func (h *Server) authenticate(r *http.Request) (ok, present bool) {
	auth := r.Header.Get("Authorization")
	if auth == "" {
		return false, false
	}
	if key, secret, isBasic := r.BasicAuth(); isBasic {
		return h.cfg.apiKey != "" && equal(key, h.cfg.apiKey) && equal(secret, h.cfg.apiSecret), true
	}
	scheme, token, found := strings.Cut(auth, " ")
	if found && strings.EqualFold(scheme, "Bearer") && h.cfg.token != "" {
		return equal(strings.TrimSpace(token), h.cfg.token), true
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
func (h *Server) unauthorized(w http.ResponseWriter, present bool) {
	basic, bearer := "Basic "+realm, "Bearer "+realm
	if present {
		basic += `, error="invalid_key", error_description="The API key or secret is invalid"`
		bearer += `, error="invalid_token"`
	}
	if h.cfg.apiKey != "" {
		w.Header().Add("WWW-Authenticate", basic)
	}
	if h.cfg.token != "" {
		w.Header().Add("WWW-Authenticate", bearer)
	}
	fail(w, http.StatusUnauthorized, unauthenticatedProblem(present))
}
