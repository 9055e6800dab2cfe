package byoktest

import (
	"encoding/base64"
	"hash/fnv"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/byokctl/byok/api"
)

// Paging limits of the listing.
const (
	DefaultPageSize = 10
	MaxPageSize     = 100
)

// filters are the six filters of the listing; an empty value filters
// nothing.
type filters struct {
	displayName, provider, state, phase, region, key string
}

func filtersOf(q url.Values) filters {
	return filters{
		displayName: q.Get("display_name"),
		provider:    q.Get("provider"),
		state:       q.Get("state"),
		phase:       q.Get("validation_phase"),
		region:      q.Get("validation_region"),
		key:         q.Get("key"),
	}
}

func (f filters) empty() bool { return f == filters{} }

func (f filters) usesValidation() bool { return f.phase != "" || f.region != "" }

// values returns the filters as query parameters.
func (f filters) values() url.Values {
	v := url.Values{}
	for name, val := range map[string]string{"display_name": f.displayName, "provider": f.provider, "state": f.state,
		"validation_phase": f.phase, "validation_region": f.region, "key": f.key} {
		if val != "" {
			v.Set(name, val)
		}
	}
	return v
}

// matcher returns the filter as a predicate on records at now, or nil when
// it filters nothing.
func (f filters) matcher(v Validation, now time.Time) func(*record) bool {
	if f.empty() {
		return nil
	}
	return func(r *record) bool {
		if f.displayName != "" && (r.displayName == nil || !strings.Contains(*r.displayName, f.displayName)) {
			return false
		}
		if f.provider != "" && string(r.providerName()) != f.provider {
			return false
		}
		if f.state != "" && string(r.state) != f.state {
			return false
		}
		if f.key != "" && !strings.Contains(r.material, f.key) {
			return false
		}
		if f.usesValidation() {
			view := v.view(r, now)
			if f.phase != "" && string(view.phase) != f.phase || f.region != "" && view.region != f.region {
				return false
			}
		}
		return true
	}
}

// list serves GET /byok/v1/keys.
func (s *Server) list(w http.ResponseWriter, r *http.Request, now time.Time) {
	q := r.URL.Query()
	size := DefaultPageSize
	if q.Has("page_size") {
		n, err := strconv.Atoi(q.Get("page_size"))
		if err != nil || n < 1 || n > MaxPageSize {
			fail(w, http.StatusBadRequest, badRequest("invalid_page_size",
				"page_size must be a whole number from 1 to 100, got '"+q.Get("page_size")+"'.", "page_size"))
			return
		}
		size = n
	}
	var after uint64
	if tok := q.Get("page_token"); tok != "" {
		seq, ok := s.readToken(tok)
		if !ok {
			fail(w, http.StatusBadRequest, badRequest("invalid_page_token",
				"page_token is not a token this server made; use the metadata.next link of the previous page.", "page_token"))
			return
		}
		after = seq
	}
	f := filtersOf(q)
	match := f.matcher(s.cfg.validation, now)
	cacheTotal := !f.usesValidation() || !s.cfg.validation.timeDependent()

	s.store.mu.RLock()
	recs, more := s.store.page(after, size, match)
	total := s.store.count(match, f.values().Encode(), cacheTotal)
	s.store.mu.RUnlock()

	base := s.baseFor(r)
	links := f.values()
	if q.Has("page_size") {
		links.Set("page_size", strconv.Itoa(size))
	}
	first := base + collectionPath
	if len(links) > 0 {
		first += "?" + links.Encode()
	}
	list := api.KeyList{
		APIVersion: api.KeyListAPIVersionByokV1,
		Kind:       api.KeyListKindKeyList,
		Metadata:   api.ListMeta{First: first, TotalSize: int32(min(total, math.MaxInt32))},
		Data:       make([]api.Key, len(recs)),
	}
	for i := range recs {
		list.Data[i] = s.render(&recs[i], base, now)
	}
	if more {
		links.Set("page_token", s.token(recs[len(recs)-1].seq))
		list.Metadata.Next = base + collectionPath + "?" + links.Encode()
	}
	writeJSON(w, http.StatusOK, list)
}

// token makes the page token that resumes a listing after sequence number
// seq: the number and a check value tied to this server's organisation, in
// URL-safe base64.
func (s *Server) token(seq uint64) string {
	n := strconv.FormatUint(seq, 36)
	return base64.RawURLEncoding.EncodeToString([]byte("v1." + n + "." + s.tokenCheck(n)))
}

// readToken returns the sequence number a token made by token holds.
func (s *Server) readToken(tok string) (uint64, bool) {
	if len(tok) > 255 {
		return 0, false
	}
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return 0, false
	}
	parts := strings.Split(string(b), ".")
	if len(parts) != 3 || parts[0] != "v1" || parts[2] != s.tokenCheck(parts[1]) {
		return 0, false
	}
	seq, err := strconv.ParseUint(parts[1], 36, 64)
	// Only the token's own spelling: base64 with other padding bits, or
	// the number with leading zeros, decodes the same but was not made
	// here.
	return seq, err == nil && s.token(seq) == tok
}

func (s *Server) tokenCheck(n string) string {
	f := fnv.New32a()
	_, _ = f.Write([]byte(s.org + "/" + n))
	return strconv.FormatUint(uint64(f.Sum32()), 36)
}
