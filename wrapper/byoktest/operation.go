package byoktest

import (
	"net/http"
	"net/url"
	"strings"
)

// Operation names one of the five operations of the API by its operationId.
type Operation string

// The five operations.
const (
	OpList   Operation = "listByokV1Keys"
	OpCreate Operation = "createByokV1Key"
	OpGet    Operation = "getByokV1Key"
	OpUpdate Operation = "updateByokV1Key"
	OpDelete Operation = "deleteByokV1Key"
)

// Operations lists the five operations.
func Operations() []Operation { return []Operation{OpList, OpCreate, OpGet, OpUpdate, OpDelete} }

func (op Operation) valid() bool {
	switch op {
	case OpList, OpCreate, OpGet, OpUpdate, OpDelete:
		return true
	}
	return false
}

const (
	collectionPath = "/byok/v1/keys"
	itemPrefix     = collectionPath + "/"
)

// route maps a request to its operation and (unescaped) key id. ok is false
// when the path names no resource of the API; allow lists the methods the
// path accepts when the method is wrong.
func route(r *http.Request) (op Operation, id string, ok bool, allow string) {
	p := r.URL.EscapedPath()
	switch {
	case p == collectionPath:
		switch r.Method {
		case http.MethodGet:
			return OpList, "", true, ""
		case http.MethodPost:
			return OpCreate, "", true, ""
		}
		return "", "", true, "GET, POST"
	case strings.HasPrefix(p, itemPrefix):
		raw := p[len(itemPrefix):]
		if raw == "" || strings.Contains(raw, "/") {
			return "", "", false, ""
		}
		id, err := url.PathUnescape(raw)
		if err != nil {
			id = raw // kept as sent; validID rejects it
		}
		switch r.Method {
		case http.MethodGet:
			return OpGet, id, true, ""
		case http.MethodPatch:
			return OpUpdate, id, true, ""
		case http.MethodDelete:
			return OpDelete, id, true, ""
		}
		return "", id, true, "GET, PATCH, DELETE"
	}
	return "", "", false, ""
}

// validID reports whether id is a plausible key id: 1..255 letters, digits,
// '-', '_' or '.'.
func validID(id string) bool {
	if id == "" || len(id) > 255 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.'
		if !ok {
			return false
		}
	}
	return true
}
