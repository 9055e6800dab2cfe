package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/byokctl/byok/internal/contract"
	"github.com/byokctl/byok/internal/testkit"
	"github.com/byokctl/byok/wrapper"
	"github.com/byokctl/byok/wrapper/byoktest"
)

// laxServer is a BYOK server, AWS keys only, that byoktest will not be: it
// accepts a second key with the key ARN of one it holds, and its listing can
// end early. While brokenPages is above zero, a request for a page after the
// first answers 500 (counting one down), and the retry of that request gets
// an empty page without a next link: the listing ends there as if complete.
type laxServer struct {
	t   *testing.T
	srv *httptest.Server

	mu          sync.Mutex
	keys        []laxKey
	seq         int
	brokenPages int
	broken      bool // the last page request answered 500: its retry gets an empty last page
	creates     int
	// laterPages, when set, is the body of every page after the first.
	laterPages string
	// stored turns the key ARN of a create into the one the server keeps
	// and shows; nil keeps it as sent.
	stored func(arn string) string
	// answered turns the key ARN of a create into the one its answer
	// shows (not the one kept); nil answers with the key kept.
	answered func(arn string) string
	// afterCreate runs after each create, with the lock held: to add keys
	// behind apply's back.
	afterCreate func(arn string)
	// afterList runs after each complete listing, with the lock held.
	afterList func()
}

type laxKey struct{ id, arn, name string }

// newLaxServer starts a laxServer on loopback behind the contract validator.
func newLaxServer(t *testing.T) *laxServer {
	t.Helper()
	s := &laxServer{t: t}
	v := newValidator(t)
	s.srv = httptest.NewServer(v.Middleware(t, http.HandlerFunc(s.serve)))
	t.Cleanup(s.srv.Close)
	return s
}

// fixture returns a fixture pointing byokctl at s.
func (s *laxServer) fixture() *fixture {
	return &fixture{t: s.t, clock: testkit.NewClockAt(testEpoch()),
		env: map[string]string{envEndpoint: s.srv.URL, envAPIKey: testAPIKey, envAPISecret: testAPISecret}}
}

// addLocked stores a key; the caller holds s.mu.
func (s *laxServer) addLocked(arn, name string) laxKey {
	s.seq++
	k := laxKey{id: fmt.Sprintf("cck-%05d", s.seq), arn: arn, name: name}
	s.keys = append(s.keys, k)
	return k
}

// add stores a key with each of arns, named after it.
func (s *laxServer) add(arns ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, arn := range arns {
		s.addLocked(arn, "key "+arn[len(arn)-3:])
	}
}

// counts returns the number of creates received and of key ARNs held more
// than once.
func (s *laxServer) counts() (creates, duplicated int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := map[string]int{}
	for _, k := range s.keys {
		if n[k.arn]++; n[k.arn] == 2 {
			duplicated++
		}
	}
	return s.creates, duplicated
}

func (s *laxServer) render(k laxKey) map[string]any {
	return map[string]any{
		"api_version": "byok/v1", "kind": "Key", "id": k.id,
		"metadata": map[string]any{"self": s.srv.URL + "/byok/v1/keys/" + k.id,
			"created_at": "2024-03-20T15:30:00Z", "updated_at": "2024-03-20T15:30:00Z"},
		"display_name": k.name,
		"key":          map[string]any{"kind": "AwsKey", "key_arn": k.arn, "roles": []string{"arn:aws:iam::123456789876:role/block_storage_manager"}},
		"provider":     "AWS", "state": "AVAILABLE",
		"validation": map[string]any{"phase": "VALID", "since": "2024-03-20T15:30:00Z"},
	}
}

func (s *laxServer) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id, item := strings.CutPrefix(r.URL.Path, "/byok/v1/keys/")
	switch {
	case r.URL.Path == "/byok/v1/keys" && r.Method == http.MethodGet:
		s.list(w, r)
	case r.URL.Path == "/byok/v1/keys" && r.Method == http.MethodPost:
		var body struct {
			DisplayName string `json:"display_name"`
			Key         struct {
				KeyARN string `json:"key_arn"`
			} `json:"key"`
		}
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil || body.Key.KeyARN == "" {
			laxFail(w, http.StatusBadRequest, "not an AWS key")
			return
		}
		s.creates++
		arn := body.Key.KeyARN
		if s.stored != nil {
			arn = s.stored(arn)
		}
		k := s.addLocked(arn, body.DisplayName)
		if s.afterCreate != nil {
			s.afterCreate(body.Key.KeyARN)
		}
		w.Header().Set("Location", s.srv.URL+"/byok/v1/keys/"+k.id)
		if s.answered != nil {
			k.arn = s.answered(k.arn)
		}
		laxJSON(w, http.StatusCreated, s.render(k))
	case item && r.Method == http.MethodPatch:
		var body struct {
			DisplayName string `json:"display_name"`
		}
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			laxFail(w, http.StatusBadRequest, "not a key update")
			return
		}
		for i, k := range s.keys {
			if k.id == id {
				s.keys[i].name = body.DisplayName
				laxJSON(w, http.StatusOK, s.render(s.keys[i]))
				return
			}
		}
		laxFail(w, http.StatusNotFound, "no key "+id)
	case item && r.Method == http.MethodDelete:
		for i, k := range s.keys {
			if k.id == id {
				s.keys = append(s.keys[:i], s.keys[i+1:]...)
				w.WriteHeader(http.StatusNoContent)
				return
			}
		}
		laxFail(w, http.StatusNotFound, "no key "+id)
	default:
		laxFail(w, http.StatusNotFound, "not served by this fake")
	}
}

// list serves a page: page_token is the offset of its first key.
func (s *laxServer) list(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	size, _ := strconv.Atoi(q.Get("page_size"))
	if size < 1 || size > 100 {
		size = 10
	}
	empty := map[string]any{"api_version": "byok/v1", "kind": "KeyList", "metadata": map[string]any{}, "data": []any{}}
	if tok := q.Get("page_token"); tok != "" {
		switch {
		case s.laterPages != "":
			w.Header().Set(contract.FaultHeader, "a page the spec does not allow")
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(s.laterPages))
			return
		case s.broken:
			s.broken = false
			laxJSON(w, http.StatusOK, empty)
			return
		case s.brokenPages > 0:
			s.brokenPages--
			s.broken = true
			laxFail(w, http.StatusInternalServerError, "the page could not be read")
			return
		}
	}
	from, _ := strconv.Atoi(q.Get("page_token"))
	from = min(from, len(s.keys))
	to := min(from+size, len(s.keys))
	data := []any{}
	for _, k := range s.keys[from:to] {
		data = append(data, s.render(k))
	}
	meta := map[string]any{"total_size": len(s.keys)}
	if to < len(s.keys) {
		meta["next"] = fmt.Sprintf("%s/byok/v1/keys?page_size=%d&page_token=%d", s.srv.URL, size, to)
	}
	if to == len(s.keys) && s.afterList != nil {
		s.afterList()
	}
	laxJSON(w, http.StatusOK, map[string]any{"api_version": "byok/v1", "kind": "KeyList", "metadata": meta, "data": data})
}

func laxJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func laxFail(w http.ResponseWriter, status int, detail string) {
	laxJSON(w, status, map[string]any{"errors": []any{map[string]any{
		"status": strconv.Itoa(status), "title": http.StatusText(status), "detail": detail}}})
}

// laxARN returns the i-th key ARN of the tests of this file.
func laxARN(i int) string {
	return fmt.Sprintf("arn:aws:kms:us-west-2:111122223333:key/0b1c2d3e-aaaa-bbbb-cccc-%012d", i)
}

// inSyncAndNew returns a keys file of the keys the server already holds
// (listed first, a page of them) and of fresh ones, with their ARNs.
func inSyncAndNew(t *testing.T, s *laxServer, held, fresh int) string {
	t.Helper()
	var entries, heldARNs []string
	for i := range held + fresh {
		arn := laxARN(i)
		entries = append(entries, "{provider: aws, key_arn: '"+arn+"', display_name: 'key "+arn[len(arn)-3:]+"'}")
		if i < held {
			heldARNs = append(heldARNs, arn)
		}
	}
	s.add(heldARNs...)
	return writeKeysFile(t, entries...)
}

// TestApplyIncompleteListing: a listing that ends early (page 2 answers
// 500, its retry gets an empty last page) does not show the keys apply has
// just created; apply notices that they are missing, stops, and says so.
// Before, it took the listing at its word: with every listing ending early,
// it created the 150 keys in every round (750 creates, each ARN held 5
// times); with one such listing, apply --prune --force created them twice,
// then reported converged with exit status 0 although the last listing
// showed each of them twice.
func TestApplyIncompleteListing(t *testing.T) {
	for _, tc := range []struct {
		name        string
		brokenPages int
		flags       []string
	}{
		{"every listing", 1 << 20, nil},
		{"one listing, prune", 1, []string{"--prune", "--force"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newLaxServer(t)
			file := inSyncAndNew(t, s, 100, 150)
			s.brokenPages = tc.brokenPages
			r := s.fixture().run(append([]string{"apply", "-f", file, "-o", "json"}, tc.flags...)...)
			creates, duplicated := s.counts()
			rep := decodeReport(t, r)
			t.Logf("exit %d, %d creates sent, %d ARNs held more than once, converged %v", r.code, creates, duplicated, rep.Converged)
			expect(t, r, exitFailure)
			if creates != 150 || duplicated != 0 || rep.Converged {
				t.Errorf("%d creates, %d ARNs held more than once, converged %v; want 150 creates, none twice, not converged", creates, duplicated, rep.Converged)
			}
			want := "the listing of the keys is incomplete: it does not show 150 keys this run created (cck-00101, cck-00102, cck-00103 and 147 more)"
			if !strings.Contains(r.stderr, want) {
				t.Errorf("stderr does not say %q:\n%s", want, tail(r.stderr))
			}
		})
	}
}

// TestApplyCreatesOnce: a key created in this run is not created again,
// even when every later listing shows it under another identifier than the
// one sent (here: the server answers the create with the ARN sent, and
// keeps it in upper case). Before, each round created the keys once more
// (15 creates for 3 keys).
func TestApplyCreatesOnce(t *testing.T) {
	s := newLaxServer(t)
	s.stored, s.answered = strings.ToUpper, strings.ToLower // the ARNs are in lower case
	file := inSyncAndNew(t, s, 0, 3)
	r := s.fixture().run("apply", "-f", file, "-o", "json")
	creates, _ := s.counts()
	rep := decodeReport(t, r)
	t.Logf("exit %d, %d creates sent, converged %v", r.code, creates, rep.Converged)
	expect(t, r, exitFailure)
	if creates != 3 || rep.Converged {
		t.Errorf("%d creates, converged %v; want 3 creates and not converged\n%s", creates, rep.Converged, tail(r.transcript()))
	}
	want := "not converged: 3 keys: create AWS " + laxARN(0) + " (created as cck-00001, but the last listing shows no key with this identifier)"
	if !strings.Contains(r.stderr, want) {
		t.Errorf("stderr does not say %q:\n%s", want, tail(r.stderr))
	}
}

// TestApplyVerdictFromServer: a key apply created that another client
// created too, behind apply's back, leaves two keys with one ARN. The final
// listing shows them as duplicates: apply does not converge, and the report
// keeps both the plan's action (duplicate) and what apply did (created).
// Before, the result "created" hid the duplicate and apply reported
// converged with exit status 0.
func TestApplyVerdictFromServer(t *testing.T) {
	s := newLaxServer(t)
	s.afterCreate = func(arn string) { s.addLocked(arn, "made by another client") }
	file := inSyncAndNew(t, s, 1, 1)
	r := s.fixture().run("apply", "-f", file, "-o", "json")
	rep := decodeReport(t, r)
	expect(t, r, exitFailure)
	var got []string
	for _, k := range rep.Keys {
		got = append(got, k.Action+"/"+k.Result+" "+k.ID)
	}
	if want := "in-sync/in-sync cck-00001,duplicate/created cck-00002,duplicate/duplicate cck-00003"; rep.Converged || strings.Join(got, ",") != want {
		t.Errorf("converged %v, keys %s; want not converged, %s\n%s", rep.Converged, strings.Join(got, ","), want, tail(r.transcript()))
	}
	if !strings.Contains(r.stderr, "not converged: 2 keys: duplicate AWS "+laxARN(1)) {
		t.Errorf("the message does not name the duplicates:\n%s", tail(r.stderr))
	}
}

// TestApplyPageWithoutData: a page after the first without "data", or with
// "data": null and a next link, fails the listing: apply changes nothing.
// Before, the listing ended there as if complete, and apply created the keys
// the server held on the pages it did not read.
func TestApplyPageWithoutData(t *testing.T) {
	for name, body := range map[string]string{
		"no data":   `{"api_version":"byok/v1","kind":"KeyList","metadata":{}}`,
		"null data": `{"api_version":"byok/v1","kind":"KeyList","metadata":{"next":"http://127.0.0.1/byok/v1/keys?page_token=200"},"data":null}`,
	} {
		t.Run(name, func(t *testing.T) {
			s := newLaxServer(t)
			file := inSyncAndNew(t, s, 150, 0)
			s.laterPages = body
			r := s.fixture().run("apply", "-f", file)
			creates, _ := s.counts()
			expect(t, r, exitFailure)
			if creates != 0 || !strings.Contains(r.stderr, "nothing was changed: listing the keys failed") {
				t.Errorf("%d creates; want none, and the listing reported failed:\n%s", creates, tail(r.transcript()))
			}
		})
	}
}

// tail returns the end of a long transcript: the grants hints of 150 keys
// would bury the message.
func tail(s string) string {
	const keep = 2000
	if len(s) <= keep {
		return s
	}
	return "…" + s[len(s)-keep:]
}

// TestApplyPruneDeleteAnswerLost: a delete carried out whose answers all
// failed (the first dropped, the retries 502) leaves a key that the next
// listing no longer shows. The report says it is deleted, from what the
// listing shows; before, the key was left out of the report.
func TestApplyPruneDeleteAnswerLost(t *testing.T) {
	f := newFixture(t)
	file := keysFilePath("example.yaml")
	expect(t, f.run("apply", "-f", file), exitOK)
	extraID, _ := createdKey(t, f, "gcp", "--key-id", exampleGCPKey)
	if err := f.srv.FailNext(1, byoktest.FaultDropResponse, byoktest.OpDelete); err != nil {
		t.Fatal(err)
	}
	// The retries of the delete all get 502: it fails, though it happened.
	if err := f.srv.FailNext(wrapper.DefaultRetryPolicy().MaxAttempts-1, byoktest.FaultBadGateway, byoktest.OpDelete); err != nil {
		t.Fatal(err)
	}
	r := f.run("apply", "-f", file, "--prune", "--force", "-o", "json")
	expect(t, r, exitOK)
	var got []string
	for _, k := range decodeReport(t, r).Keys {
		if k.ID == extraID {
			got = append(got, k.Result+": "+k.Note)
		}
	}
	if f.srv.Len() != 3 || len(got) != 1 || !strings.HasPrefix(got[0], "deleted: the last listing no longer shows it; the delete was answered: ") ||
		!strings.Contains(got[0], "the last error: DELETE /byok/v1/keys/"+extraID+": 502 Bad Gateway") {
		t.Errorf("%d keys on the server; the report says of %s: %q\n%s", f.srv.Len(), extraID, got, r.transcript())
	}
}

// TestApplyIncompleteListingRename: keys an earlier listing showed for
// entries of the file (here, to rename) are missing from a later listing
// that ends early. apply stops instead of creating them: before, it created
// the 50 keys of page 2 a second time.
func TestApplyIncompleteListingRename(t *testing.T) {
	s := newLaxServer(t)
	var entries, arns []string
	for i := range 150 {
		arns = append(arns, laxARN(i))
		entries = append(entries, "{provider: aws, key_arn: '"+laxARN(i)+"', display_name: 'renamed "+strconv.Itoa(i)+"'}")
	}
	s.add(arns...)
	file := writeKeysFile(t, entries...)
	// The first listing is complete; every later one ends early.
	s.afterList = func() { s.brokenPages = 1 << 20 }
	r := s.fixture().run("apply", "-f", file)
	creates, duplicated := s.counts()
	t.Logf("exit %d, %d creates sent, %d ARNs held more than once", r.code, creates, duplicated)
	expect(t, r, exitFailure)
	want := "the listing of the keys is incomplete: it does not show 50 keys this run created or listed before (cck-00101, cck-00102, cck-00103 and 47 more)"
	if creates != 0 || !strings.Contains(r.stderr, want) {
		t.Errorf("%d creates; want none, and stderr saying %q:\n%s", creates, want, tail(r.stderr))
	}
}
