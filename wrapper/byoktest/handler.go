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
func (h *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.outer.ServeHTTP(w, r) }

// APIKey returns the API key accepted with HTTP Basic authentication, or ""
// when HTTP Basic authentication is off (WithToken without
// WithCredentials).
func (h *Server) APIKey() string { return h.cfg.apiKey }

// APISecret returns the API secret accepted with HTTP Basic authentication,
// or "" when HTTP Basic authentication is off.
func (h *Server) APISecret() string { return h.cfg.apiSecret }

// Token returns the bearer token accepted, or "" when Bearer authentication
// is off.
func (h *Server) Token() string { return h.cfg.token }

// Organization returns the organisation id that the keys' resource names
// (CRNs) carry.
func (h *Server) Organization() string { return h.org }

// Authorize sets accepted credentials on r: HTTP Basic authentication with
// the API key and secret, or the bearer token when HTTP Basic
// authentication is off.
func (h *Server) Authorize(r *http.Request) {
	if h.cfg.apiKey == "" {
		r.Header.Set("Authorization", "Bearer "+h.cfg.token)
		return
	}
	r.SetBasicAuth(h.cfg.apiKey, h.cfg.apiSecret)
}

// baseFor returns the base URL for links in the answer to r.
func (h *Server) baseFor(r *http.Request) string {
	if b := h.base.Load(); b != nil {
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
func (h *Server) AddKey(k api.Key) (api.Key, error) {
	now := h.cfg.clock()
	kind, mat, err := material(k.Key)
	if err != nil {
		return api.Key{}, fmt.Errorf("byoktest: AddKey: %w", err)
	}
	if known(kind) && mat == "" {
		return api.Key{}, fmt.Errorf("byoktest: AddKey: the key's %s is empty", materialName(kind))
	}
	r := &record{kind: kind, material: mat, state: StateAvailable, createdAt: now, updatedAt: now}
	if !known(kind) && k.Provider != nil {
		r.provider = *k.Provider
	}
	if k.DisplayName != nil {
		name := *k.DisplayName
		r.displayName = &name
	}
	if k.State != nil && *k.State != "" {
		r.state = *k.State
	}
	if m := k.Metadata; m != nil {
		if m.CreatedAt != nil {
			r.createdAt = *m.CreatedAt
		}
		if m.UpdatedAt != nil {
			r.updatedAt = *m.UpdatedAt
		}
	}
	if v := k.Validation; v != nil {
		o := &override{phase: v.Phase, since: v.Since}
		if v.Message != nil {
			o.message = *v.Message
		}
		if o.since.IsZero() {
			o.since = now
		}
		r.override = o
	}
	h.classify(r)
	h.store.mu.Lock()
	defer h.store.mu.Unlock()
	if h.store.full(1) {
		return api.Key{}, errors.New("byoktest: AddKey: the store is full: its sequence numbers are used up")
	}
	if k.Id != nil {
		if !validID(*k.Id) {
			return api.Key{}, fmt.Errorf("byoktest: AddKey: id %q is not a key id (1 to 255 letters, digits, '-', '_' or '.')", *k.Id)
		}
		if _, taken := h.store.byID[*k.Id]; taken {
			return api.Key{}, fmt.Errorf("byoktest: AddKey: a key with id %q exists", *k.Id)
		}
		r.id = *k.Id
	} else {
		r.id = h.freshIDLocked()
	}
	if id, taken := h.store.byMaterial[mat]; mat != "" && taken {
		return api.Key{}, fmt.Errorf("byoktest: AddKey: key %s already has %s %q", id, materialName(kind), mat)
	}
	if r.details, err = h.fillDetails(k.Key, r.id); err != nil {
		return api.Key{}, fmt.Errorf("byoktest: AddKey: %w", err)
	}
	m := h.store.mark()
	h.store.insert(r)
	if err := h.commitLocked(func() { h.store.rollback(m) }); err != nil {
		return api.Key{}, fmt.Errorf("byoktest: AddKey: %w", err)
	}
	return h.snapshot(r, now), nil
}

// classify marks r INVALID-to-be when WithInvalidKeys matches its material.
func (h *Server) classify(r *record) {
	if h.cfg.invalidMatch != nil && h.cfg.invalidMatch(r.material) {
		r.invalidMessage = h.cfg.invalidMessage
	}
}

// freshIDLocked returns a key id not in use. The caller holds store.mu.
func (h *Server) freshIDLocked() string {
	for {
		id := h.ids.keyID()
		if _, taken := h.store.byID[id]; !taken {
			return id
		}
	}
}

// snapshot renders r for a caller of the Go API: it shares no memory with
// the store.
func (h *Server) snapshot(r *record, now time.Time) api.Key {
	k := h.render(r, h.baseFor(nil), now)
	k.Key = cloneDetails(k.Key)
	if k.DisplayName != nil {
		name := *k.DisplayName
		k.DisplayName = &name
	}
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
func (h *Server) Seed(n int) []string {
	if n <= 0 {
		return nil
	}
	now := h.cfg.clock()
	regions := []string{"us-west-2", "us-east-1", "eu-west-1", "ap-southeast-1"}
	gcpRegions := []string{"us-central1", "europe-west1", "asia-east1"}
	ids := make([]string, 0, n)
	h.store.mu.Lock()
	if h.store.full(n) {
		h.store.mu.Unlock()
		return nil
	}
	h.store.reserve(n)
	m := h.store.mark()
	start := h.store.nextSeq
	for i := range n {
		seq := start + uint64(i)
		r := &record{state: StateAvailable, createdAt: now, updatedAt: now, override: &override{phase: PhaseValid, since: now}}
		r.id = h.freshIDLocked()
		name := "seed key " + strconv.FormatUint(seq, 10)
		r.displayName = &name
		var v any
		switch i % 3 {
		case 0:
			r.kind = kindAWS
			r.material = "arn:aws:kms:" + regions[i%len(regions)] + ":" + h.awsAccount + ":key/seed-" + strconv.FormatUint(seq, 10) + "-" + r.id
			v = api.AwsKey{Kind: api.AwsKeyKindAwsKey, KeyArn: r.material, Roles: []string{"arn:aws:iam::" + h.awsAccount + ":role/cc-byok-" + r.id}}
		case 1:
			r.kind = kindAzure
			vault := "seed-vault-" + strconv.FormatUint(seq, 10)
			r.material = "https://" + vault + ".vault.azure.net/keys/" + r.id
			app := h.org
			v = api.AzureKey{Kind: api.AzureKeyKindAzureKey, KeyId: r.material, ApplicationId: &app, TenantId: h.org,
				KeyVaultId: "/subscriptions/" + h.org + "/resourceGroups/seed/providers/Microsoft.KeyVault/vaults/" + vault}
		default:
			r.kind = kindGCP
			r.material = "projects/seed/locations/" + gcpRegions[i%len(gcpRegions)] + "/keyRings/seed/cryptoKeys/" + r.id + "-" + strconv.FormatUint(seq, 10)
			g := "cc-byok-" + r.id + "@groups.byoktest.invalid"
			v = api.GcpKey{Kind: api.GcpKeyKindGcpKey, KeyId: r.material, SecurityGroup: &g}
		}
		if _, taken := h.store.byMaterial[r.material]; taken {
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
		h.store.insert(r)
		ids = append(ids, r.id)
	}
	err := h.commitLocked(func() { h.store.rollback(m) })
	h.store.mu.Unlock()
	if err != nil {
		return nil
	}
	return ids
}

// SetState sets the state of key id (AVAILABLE, IN_USE or any other value:
// the list is extensible). An IN_USE key cannot be deleted.
func (h *Server) SetState(id, state string) error {
	if state == "" {
		return errors.New("byoktest: SetState: state must not be empty")
	}
	err := h.change(id, func(r *record, _ time.Time) { r.state = state })
	if err != nil {
		return fmt.Errorf("byoktest: SetState: %w", err)
	}
	return nil
}

// SetValidation fixes the validation of key id at phase (INITIALIZING, VALID,
// INVALID or any other value) with message (may be empty), since now; the
// configured progression no longer applies to it.
func (h *Server) SetValidation(id, phase, message string) error {
	if phase == "" {
		return errors.New("byoktest: SetValidation: phase must not be empty")
	}
	err := h.change(id, func(r *record, now time.Time) { r.override = &override{phase: phase, message: message, since: now} })
	if err != nil {
		return fmt.Errorf("byoktest: SetValidation: %w", err)
	}
	return nil
}

// change applies f to key id and saves it; when the save fails the key is
// left as it was.
func (h *Server) change(id string, f func(*record, time.Time)) error {
	now := h.cfg.clock()
	h.store.mu.Lock()
	defer h.store.mu.Unlock()
	r, ok := h.store.byID[id]
	if !ok {
		return fmt.Errorf("no key with id %q", id)
	}
	old := *r
	f(r, now)
	h.store.version++
	return h.commitLocked(func() { *r = old })
}

// Keys returns every key, in creation order, as a GET would show it now
// (without counting as a read).
func (h *Server) Keys() []api.Key {
	now := h.cfg.clock()
	h.store.mu.RLock()
	recs := h.store.live()
	h.store.mu.RUnlock()
	out := make([]api.Key, len(recs))
	for i := range recs {
		out[i] = h.snapshot(&recs[i], now)
	}
	return out
}

// IDs returns the ids of every key, in creation order.
func (h *Server) IDs() []string {
	h.store.mu.RLock()
	defer h.store.mu.RUnlock()
	ids := make([]string, 0, len(h.store.byID))
	for _, r := range h.store.order {
		if !r.deleted {
			ids = append(ids, r.id)
		}
	}
	return ids
}

// Key returns key id as a GET would show it now (without counting as a
// read), and whether it exists.
func (h *Server) Key(id string) (api.Key, bool) {
	now := h.cfg.clock()
	h.store.mu.RLock()
	r, ok := h.store.byID[id]
	var c record
	if ok {
		c = *r
	}
	h.store.mu.RUnlock()
	if !ok {
		return api.Key{}, false
	}
	return h.snapshot(&c, now), true
}

// Len returns the number of keys.
func (h *Server) Len() int {
	h.store.mu.RLock()
	defer h.store.mu.RUnlock()
	return len(h.store.byID)
}
