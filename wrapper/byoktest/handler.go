package byoktest

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/byokctl/byok/api"
)

// ServeHTTP serves one request of the API (through the middleware given
// with WithMiddleware).
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.outer.ServeHTTP(w, r) }

// APIKey returns the API key accepted with HTTP Basic authentication, or ""
// when HTTP Basic authentication is off (WithToken without
// WithCredentials).
func (s *Server) APIKey() string { return s.cfg.apiKey }

// APISecret returns the API secret accepted with HTTP Basic authentication,
// or "" when HTTP Basic authentication is off.
func (s *Server) APISecret() string { return s.cfg.apiSecret }

// Token returns the bearer token accepted, or "" when Bearer authentication
// is off.
func (s *Server) Token() string { return s.cfg.token }

// Organization returns the organisation id that the keys' resource names
// (CRNs) carry.
func (s *Server) Organization() string { return s.org }

// Authorize sets accepted credentials on r: HTTP Basic authentication with
// the API key and secret, or the bearer token when HTTP Basic
// authentication is off.
func (s *Server) Authorize(r *http.Request) {
	if s.cfg.apiKey == "" {
		r.Header.Set("Authorization", "Bearer "+s.cfg.token)
		return
	}
	r.SetBasicAuth(s.cfg.apiKey, s.cfg.apiSecret)
}

// baseFor returns the base URL for links in the answer to r.
func (s *Server) baseFor(r *http.Request) string {
	if b := s.base.Load(); b != nil {
		return *b
	}
	if r == nil {
		return ""
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// AddKey stores k as if it had been created, and returns it as stored. The
// body rules of create apply to k.Key of a kind the fake knows (required
// fields); a key of another kind (to test a client's handling of kinds it
// does not know) is stored as given, shows k.Provider and its validation
// never completes VALID unless k.Validation says so. The read-only fields
// may be given: Id (else one is made), State (else AVAILABLE), Validation
// (fixes the validation as SetValidation does; else it progresses as
// configured), Metadata.CreatedAt and UpdatedAt (else now), and the key's
// roles, application_id or security_group (else filled). AddKey ignores the
// quota. With a data file that cannot be saved, nothing is added and the
// error says why.
func (s *Server) AddKey(k api.Key) (api.Key, error) {
	now := s.cfg.clock()
	kind, mat, err := material(k.Key)
	if err != nil {
		return api.Key{}, fmt.Errorf("byoktest: AddKey: %w", err)
	}
	if known(kind) && mat == "" {
		return api.Key{}, fmt.Errorf("byoktest: AddKey: the key's %s is empty", materialName(kind))
	}
	r := &record{kind: kind, material: mat, state: api.KeyStateAVAILABLE, createdAt: now, updatedAt: now}
	if !known(kind) {
		r.provider = k.Provider
	}
	if k.DisplayName != "" {
		name := k.DisplayName
		r.displayName = &name
	}
	if k.State != "" {
		r.state = k.State
	}
	if m := k.Metadata; !m.CreatedAt.IsZero() {
		r.createdAt = m.CreatedAt
	}
	if m := k.Metadata; !m.UpdatedAt.IsZero() {
		r.updatedAt = m.UpdatedAt
	}
	if v := k.Validation; v != (api.KeyValidation{}) {
		o := &override{phase: v.Phase, message: v.Message, since: v.Since}
		if o.since.IsZero() {
			o.since = now
		}
		r.override = o
	}
	s.classify(r)
	s.store.mu.Lock()
	defer s.store.mu.Unlock()
	if s.store.full(1) {
		return api.Key{}, errors.New("byoktest: AddKey: the store is full: its sequence numbers are used up")
	}
	if k.ID != "" {
		if !validID(k.ID) {
			return api.Key{}, fmt.Errorf("byoktest: AddKey: id %q is not a key id (1 to 255 letters, digits, '-', '_' or '.')", k.ID)
		}
		if _, taken := s.store.byID[k.ID]; taken {
			return api.Key{}, fmt.Errorf("byoktest: AddKey: a key with id %q exists", k.ID)
		}
		r.id = k.ID
	} else {
		r.id = s.freshIDLocked()
	}
	if id, taken := s.store.byMaterial[mat]; mat != "" && taken {
		return api.Key{}, fmt.Errorf("byoktest: AddKey: key %s already has %s %q", id, materialName(kind), mat)
	}
	if r.details, err = s.fillDetails(k.Key, r.id); err != nil {
		return api.Key{}, fmt.Errorf("byoktest: AddKey: %w", err)
	}
	m := s.store.mark()
	s.store.insert(r)
	if err := s.commitLocked(func() { s.store.rollback(m) }); err != nil {
		return api.Key{}, fmt.Errorf("byoktest: AddKey: %w", err)
	}
	return s.snapshot(r, now), nil
}

// classify marks r INVALID-to-be when WithInvalidKeys matches its material.
func (s *Server) classify(r *record) {
	if s.cfg.invalidMatch != nil && s.cfg.invalidMatch(r.material) {
		r.invalidMessage = s.cfg.invalidMessage
	}
}

// freshIDLocked returns a key id not in use. The caller holds store.mu.
func (s *Server) freshIDLocked() string {
	for {
		id := s.ids.keyID()
		if _, taken := s.store.byID[id]; !taken {
			return id
		}
	}
}

// snapshot renders r for a caller of the Go API: it shares no memory with
// the store.
func (s *Server) snapshot(r *record, now time.Time) api.Key {
	k := s.render(r, s.baseFor(nil), now)
	k.Key = cloneDetails(k.Key)
	return k
}

// Seed adds n keys, cycling through AWS, Azure and GCP, with display names
// "seed key N", N counting on from the keys created before ("seed key 1" …
// "seed key n" in a new store), state AVAILABLE and a validation already
// completed VALID. It returns their ids in creation order; with n of zero
// or less, a data file that cannot be saved, or a store whose sequence
// numbers are used up, it adds none and returns nil. It takes one lock for
// all n keys and no JSON round trip per key, so that benchmarks can seed
// 100,000 keys (see BenchmarkSeed).
func (s *Server) Seed(n int) []string {
	if n <= 0 {
		return nil
	}
	now := s.cfg.clock()
	regions := []string{"us-west-2", "us-east-1", "eu-west-1", "ap-southeast-1"}
	gcpRegions := []string{"us-central1", "europe-west1", "asia-east1"}
	ids := make([]string, 0, n)
	s.store.mu.Lock()
	if s.store.full(n) {
		s.store.mu.Unlock()
		return nil
	}
	s.store.reserve(n)
	m := s.store.mark()
	start := s.store.nextSeq
	for i := range n {
		seq := start + uint64(i)
		r := &record{state: api.KeyStateAVAILABLE, createdAt: now, updatedAt: now, override: &override{phase: api.KeyValidationPhaseVALID, since: now}}
		r.id = s.freshIDLocked()
		name := "seed key " + strconv.FormatUint(seq, 10)
		r.displayName = &name
		var v any
		switch i % 3 {
		case 0:
			r.kind = kindAWS
			r.material = "arn:aws:kms:" + regions[i%len(regions)] + ":" + s.awsAccount + ":key/seed-" + strconv.FormatUint(seq, 10) + "-" + r.id
			v = api.AwsKey{Kind: api.AwsKeyKindAwsKey, KeyARN: r.material, Roles: []string{"arn:aws:iam::" + s.awsAccount + ":role/cc-byok-" + r.id}}
		case 1:
			r.kind = kindAzure
			vault := "seed-vault-" + strconv.FormatUint(seq, 10)
			r.material = "https://" + vault + ".vault.azure.net/keys/" + r.id
			v = api.AzureKey{Kind: api.AzureKeyKindAzureKey, KeyID: r.material, ApplicationID: s.org, TenantID: s.org,
				KeyVaultID: "/subscriptions/" + s.org + "/resourceGroups/seed/providers/Microsoft.KeyVault/vaults/" + vault}
		default:
			r.kind = kindGCP
			r.material = "projects/seed/locations/" + gcpRegions[i%len(gcpRegions)] + "/keyRings/seed/cryptoKeys/" + r.id + "-" + strconv.FormatUint(seq, 10)
			v = api.GcpKey{Kind: api.GcpKeyKindGcpKey, KeyID: r.material, SecurityGroup: "cc-byok-" + r.id + "@groups.byoktest.invalid"}
		}
		if _, taken := s.store.byMaterial[r.material]; taken {
			continue // cannot happen: the material holds the fresh id
		}
		b, err := json.Marshal(v)
		if err == nil {
			err = r.details.UnmarshalJSON(b)
		}
		if err != nil {
			continue // cannot happen: the variants always marshal
		}
		r.seq = seq
		s.store.insert(r)
		ids = append(ids, r.id)
	}
	err := s.commitLocked(func() { s.store.rollback(m) })
	s.store.mu.Unlock()
	if err != nil {
		return nil
	}
	return ids
}

// SetState sets the state of key id: AVAILABLE, IN_USE (the constants of
// the generated type, which wrapper.StateAvailable and wrapper.StateInUse
// are) or any other value, the list being extensible. An IN_USE key cannot
// be deleted.
func (s *Server) SetState(id string, state api.KeyState) error {
	if state == "" {
		return errors.New("byoktest: SetState: state must not be empty")
	}
	err := s.change(id, func(r *record, _ time.Time) { r.state = state })
	if err != nil {
		return fmt.Errorf("byoktest: SetState: %w", err)
	}
	return nil
}

// SetValidation fixes the validation of key id at phase (INITIALIZING, VALID,
// INVALID, such as wrapper.PhaseValid, or any other value) with message (may
// be empty), since now; the configured progression no longer applies to it.
func (s *Server) SetValidation(id string, phase api.KeyValidationPhase, message string) error {
	if phase == "" {
		return errors.New("byoktest: SetValidation: phase must not be empty")
	}
	err := s.change(id, func(r *record, now time.Time) { r.override = &override{phase: phase, message: message, since: now} })
	if err != nil {
		return fmt.Errorf("byoktest: SetValidation: %w", err)
	}
	return nil
}

// change applies f to key id and saves it; when the save fails the key is
// left as it was.
func (s *Server) change(id string, f func(*record, time.Time)) error {
	now := s.cfg.clock()
	s.store.mu.Lock()
	defer s.store.mu.Unlock()
	r, ok := s.store.byID[id]
	if !ok {
		return fmt.Errorf("no key with id %q", id)
	}
	old := *r
	f(r, now)
	s.store.version++
	return s.commitLocked(func() { *r = old })
}

// Keys returns every key, in creation order, as a GET would show it now
// (without counting as a read).
func (s *Server) Keys() []api.Key {
	now := s.cfg.clock()
	s.store.mu.RLock()
	recs := s.store.live()
	s.store.mu.RUnlock()
	out := make([]api.Key, len(recs))
	for i := range recs {
		out[i] = s.snapshot(&recs[i], now)
	}
	return out
}

// IDs returns the ids of every key, in creation order.
func (s *Server) IDs() []string {
	s.store.mu.RLock()
	defer s.store.mu.RUnlock()
	ids := make([]string, 0, len(s.store.byID))
	for _, r := range s.store.order {
		if !r.deleted {
			ids = append(ids, r.id)
		}
	}
	return ids
}

// Key returns key id as a GET would show it now (without counting as a
// read), and whether it exists.
func (s *Server) Key(id string) (api.Key, bool) {
	now := s.cfg.clock()
	s.store.mu.RLock()
	r, ok := s.store.byID[id]
	var c record
	if ok {
		c = *r
	}
	s.store.mu.RUnlock()
	if !ok {
		return api.Key{}, false
	}
	return s.snapshot(&c, now), true
}

// Len returns the number of keys.
func (s *Server) Len() int {
	s.store.mu.RLock()
	defer s.store.mu.RUnlock()
	return len(s.store.byID)
}
