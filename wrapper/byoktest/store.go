package byoktest

import (
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/byokctl/byok/api"
)

// record is one stored key. Records are changed only under store.mu's write
// lock; readers copy them (a record value is safe to use once copied: the
// pointers it holds are replaced, never written through).
type record struct {
	seq         uint64 // creation order, the listing's sort position
	id          string
	displayName *string
	kind        string          // kindAWS, kindAzure, kindGCP or one the fake does not know
	material    string          // key_arn (AWS) or key_id (Azure, GCP); "" for other kinds
	provider    api.KeyProvider // the provider of a kind the fake does not know
	details     api.KeyDetails
	state       api.KeyState
	createdAt   time.Time
	updatedAt   time.Time

	reads          int       // GETs of the key
	readsDoneAt    time.Time // when reads reached Validation.Reads
	invalidMessage string    // non-empty: validation completes INVALID
	override       *override // set by SetValidation or seeding
	deleted        bool
}

// store holds the keys in creation order with an index by id and by
// material. Listing after a cursor is a binary search plus a scan of one
// page; deletions leave tombstones that are compacted in bulk.
type store struct {
	mu         sync.RWMutex
	byID       map[string]*record
	byMaterial map[string]string
	order      []*record // sorted by seq; may hold deleted records
	dead       int       // deleted records still in order
	nextSeq    uint64
	version    uint64 // bumped on every change that can alter a listing

	totalsMu      sync.Mutex
	totals        map[string]int // cached total_size by filter, for version totalsVersion
	totalsVersion uint64
}

// providerName is the provider r's key shows.
func (r *record) providerName() api.KeyProvider {
	if p := providerOf(r.kind); p != "" {
		return p
	}
	return r.provider
}

func newStore() *store {
	return &store{byID: map[string]*record{}, byMaterial: map[string]string{}, nextSeq: 1}
}

// insert adds r, giving it the next sequence number. The caller holds mu
// and has checked that r's id and material are free.
func (s *store) insert(r *record) {
	if r.seq == 0 {
		r.seq = s.nextSeq
	}
	s.nextSeq = max(s.nextSeq, r.seq+1)
	s.byID[r.id] = r
	if r.material != "" {
		s.byMaterial[r.material] = r.id
	}
	if n := len(s.order); n > 0 && s.order[n-1].seq > r.seq {
		i := sort.Search(n, func(i int) bool { return s.order[i].seq > r.seq })
		s.order = append(s.order, nil)
		copy(s.order[i+1:], s.order[i:])
		s.order[i] = r
	} else {
		s.order = append(s.order, r)
	}
	s.version++
}

// full reports whether n more records would take sequence numbers past
// maxSeq, the largest a data file holds. The caller holds mu.
func (s *store) full(n int) bool { return s.nextSeq+uint64(n) > maxSeq }

// reserve makes room for n more records. The caller holds mu.
func (s *store) reserve(n int) {
	s.order = slices.Grow(s.order, n)
	if len(s.byID) == 0 {
		s.byID = make(map[string]*record, n)
		s.byMaterial = make(map[string]string, n)
	}
}

// mark is where the store ends: the length of order and the next sequence
// number, for rollback.
type mark struct {
	n       int
	nextSeq uint64
}

// mark returns where the store ends now. The caller holds mu.
func (s *store) mark() mark { return mark{n: len(s.order), nextSeq: s.nextSeq} }

// rollback removes the records inserted since m (inserts without a seq of
// their own append to order) and gives their sequence numbers back, as if
// they had never been inserted. The caller holds mu.
func (s *store) rollback(m mark) {
	for _, r := range s.order[m.n:] {
		delete(s.byID, r.id)
		if s.byMaterial[r.material] == r.id {
			delete(s.byMaterial, r.material)
		}
	}
	clear(s.order[m.n:])
	s.order = s.order[:m.n]
	s.nextSeq = m.nextSeq
	s.version++
}

// remove deletes r. The caller holds mu.
func (s *store) remove(r *record) {
	r.deleted = true
	delete(s.byID, r.id)
	if s.byMaterial[r.material] == r.id {
		delete(s.byMaterial, r.material)
	}
	s.dead++
	s.version++
	if s.dead > 1024 && s.dead > len(s.order)/2 {
		live := s.order[:0]
		for _, x := range s.order {
			if !x.deleted {
				live = append(live, x)
			}
		}
		clear(s.order[len(live):])
		s.order = live
		s.dead = 0
	}
}

// page returns copies of up to size live records after sequence number
// after that satisfy match, and whether more follow. The caller holds mu
// (read or write).
func (s *store) page(after uint64, size int, match func(*record) bool) (out []record, more bool) {
	i := sort.Search(len(s.order), func(i int) bool { return s.order[i].seq > after })
	out = make([]record, 0, size)
	for ; i < len(s.order); i++ {
		r := s.order[i]
		if r.deleted || (match != nil && !match(r)) {
			continue
		}
		if len(out) == size {
			return out, true
		}
		out = append(out, *r)
	}
	return out, false
}

// count returns how many live records satisfy match. When cache is true
// the count is kept under key until the store changes. The caller holds mu
// (read or write).
func (s *store) count(match func(*record) bool, key string, cache bool) int {
	if match == nil {
		return len(s.byID)
	}
	if cache {
		s.totalsMu.Lock()
		n, ok := s.totals[key]
		fresh := s.totalsVersion == s.version
		s.totalsMu.Unlock()
		if ok && fresh {
			return n
		}
	}
	n := 0
	for _, r := range s.order {
		if !r.deleted && match(r) {
			n++
		}
	}
	if cache {
		s.totalsMu.Lock()
		if s.totals == nil || s.totalsVersion != s.version || len(s.totals) >= 64 {
			s.totals, s.totalsVersion = map[string]int{}, s.version
		}
		s.totals[key] = n
		s.totalsMu.Unlock()
	}
	return n
}

// live returns copies of every live record in creation order. The caller
// holds mu.
func (s *store) live() []record {
	out := make([]record, 0, len(s.byID))
	for _, r := range s.order {
		if !r.deleted {
			out = append(out, *r)
		}
	}
	return out
}
