package byoktest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"mime"
	"net/http"
	"slices"
	"strings"

	"github.com/byokctl/byok/api"
)

// readObject reads r's body as a JSON object. A body that is too large,
// empty or not JSON is a 400 problem; JSON that is not an object is a 422
// problem.
func (s *Server) readObject(w http.ResponseWriter, r *http.Request) (map[string]json.RawMessage, int, *problem) {
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		p := badRequest("unsupported_media_type", fmt.Sprintf("The request body must be sent with Content-Type application/json, not %q.", r.Header.Get("Content-Type")), "")
		return nil, http.StatusBadRequest, &p
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.cfg.bodyLimit))
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		p := badRequest("request_too_large", fmt.Sprintf("The request body is larger than the limit of %d bytes.", s.cfg.bodyLimit), "")
		return nil, http.StatusBadRequest, &p
	case err != nil:
		p := badRequest("unreadable_body", "The request body could not be read: "+err.Error(), "")
		return nil, http.StatusBadRequest, &p
	}
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		p := badRequest("malformed_json", "The request body is empty; a JSON object is expected.", "")
		return nil, http.StatusBadRequest, &p
	}
	if !json.Valid(body) {
		var v any
		detail := "The request body is not valid JSON."
		if err := json.Unmarshal(body, &v); err != nil {
			detail = "The request body is not valid JSON: " + err.Error() + "."
		}
		p := badRequest("malformed_json", detail, "")
		return nil, http.StatusBadRequest, &p
	}
	var obj map[string]json.RawMessage
	if body[0] != '{' || json.Unmarshal(body, &obj) != nil {
		p := unprocessable("", "The request body must be a JSON object.")
		return nil, http.StatusUnprocessableEntity, &p
	}
	return obj, 0, nil
}

// createBody is a create request that passed validation.
type createBody struct {
	displayName *string
	details     api.KeyDetails
	kind, mat   string
}

// decodeCreate checks a create body against the spec's rules and collects
// every problem it has.
func (rules *bodyRules) decodeCreate(obj map[string]json.RawMessage) (createBody, []problem) {
	var (
		out   createBody
		probs []problem
	)
	for _, name := range slices.Sorted(maps.Keys(obj)) {
		raw := obj[name]
		switch {
		case name == "key":
		case name == "display_name":
			if isNull(raw) {
				continue
			}
			var s string
			if json.Unmarshal(raw, &s) != nil {
				probs = append(probs, unprocessable("/display_name", "The property '/display_name' must be a string."))
				continue
			}
			out.displayName = &s
		case rules.key.readOnly(name):
			probs = append(probs, unprocessable("/"+name, "The property '/"+name+"' is read-only and must not be sent."))
		case !rules.key.known(name):
			probs = append(probs, unprocessable("/"+escapePointer(name), fmt.Sprintf("The property '/%s' is not a property of a Key.", escapePointer(name))))
		}
	}
	for _, name := range rules.key.required {
		if raw, ok := obj[name]; (!ok || isNull(raw)) && name != "key" {
			probs = append(probs, unprocessable("/"+name, "The property '/"+name+"' is required."))
		}
	}
	raw, ok := obj["key"]
	if !ok || isNull(raw) {
		return out, append(probs, unprocessable("/key", "The property '/key' is required."))
	}
	var key map[string]json.RawMessage
	if bytes.TrimSpace(raw)[0] != '{' || json.Unmarshal(raw, &key) != nil {
		return out, append(probs, unprocessable("/key", "The property '/key' must be an object."))
	}
	kindRaw, ok := key["kind"]
	if !ok || isNull(kindRaw) {
		return out, append(probs, unprocessable("/key/kind", "The property '/key/kind' is required: one of "+rules.kindList()+"."))
	}
	var kind string
	_ = json.Unmarshal(kindRaw, &kind)
	v, ok := rules.variants[kind]
	if !ok {
		return out, append(probs, unprocessable("/key/kind", fmt.Sprintf("The key kind %s is not one of %s.", strings.TrimSpace(string(kindRaw)), rules.kindList())))
	}
	for _, name := range slices.Sorted(maps.Keys(key)) {
		ptr := "/key/" + escapePointer(name)
		switch {
		case name == "kind":
		case slices.Contains(v.required, name):
			var s string
			if json.Unmarshal(key[name], &s) != nil || s == "" {
				probs = append(probs, unprocessable(ptr, fmt.Sprintf("The property '%s' must be a non-empty string.", ptr)))
			}
		case v.readOnly(name):
			probs = append(probs, unprocessable(ptr, fmt.Sprintf("The property '%s' is read-only and must not be sent.", ptr)))
		case !v.known(name):
			probs = append(probs, unprocessable(ptr, fmt.Sprintf("The property '%s' is not a property of a key of kind '%s'.", ptr, kind)))
		}
	}
	for _, name := range v.required {
		if _, ok := key[name]; !ok && name != "kind" {
			probs = append(probs, unprocessable("/key/"+name, fmt.Sprintf("The property '/key/%s' is required for a key of kind '%s'.", name, kind)))
		}
	}
	if len(probs) > 0 {
		return out, probs
	}
	if err := out.details.UnmarshalJSON(raw); err != nil {
		return out, []problem{unprocessable("/key", "The property '/key' could not be read: "+err.Error())}
	}
	var err error
	if out.kind, out.mat, err = material(out.details); err != nil {
		return out, []problem{unprocessable("/key", "The property '/key' could not be read: "+err.Error())}
	}
	return out, nil
}

// decodeUpdate checks an update body: only display_name may be sent. It
// returns the new name, or nil when none was sent.
func decodeUpdate(obj map[string]json.RawMessage) (*string, []problem) {
	var (
		name  *string
		probs []problem
	)
	for _, prop := range slices.Sorted(maps.Keys(obj)) {
		raw := obj[prop]
		if prop != "display_name" {
			ptr := "/" + escapePointer(prop)
			probs = append(probs, unprocessable(ptr, fmt.Sprintf("The property '%s' cannot be changed: only display_name can be updated.", ptr)))
			continue
		}
		if isNull(raw) {
			continue
		}
		var s string
		if json.Unmarshal(raw, &s) != nil {
			probs = append(probs, unprocessable("/display_name", "The property '/display_name' must be a string."))
			continue
		}
		name = &s
	}
	return name, probs
}

func isNull(raw json.RawMessage) bool { return string(bytes.TrimSpace(raw)) == "null" }

// escapePointer escapes a property name for a JSON pointer (RFC 6901).
func escapePointer(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}
