package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/byokctl/byok/api"
	"github.com/byokctl/byok/wrapper"
	"github.com/byokctl/byok/wrapper/byoktest"
)

// applyReport is apply's -o json output.
type applyReport struct {
	Converged bool `json:"converged"`
	Keys      []struct {
		Action, ID, Provider, Key, Result, Error, Note string
		DisplayName                                    string `json:"display_name"`
	} `json:"keys"`
}

func decodeReport(t *testing.T, r result) applyReport {
	t.Helper()
	var rep applyReport
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("apply -o json: %v\n%s", err, r.transcript())
	}
	return rep
}

// results lists "result key" for each line of the report.
func (rep applyReport) results() []string {
	var out []string
	for _, k := range rep.Keys {
		out = append(out, k.Result+" "+k.Key)
	}
	return out
}

// serverIdentifiers returns the identifier of every key on the fake, in
// creation order.
func serverIdentifiers(t *testing.T, srv *byoktest.Server) []string {
	t.Helper()
	var ids []string
	for _, k := range srv.Keys() {
		ids = append(ids, identifierOf(t, k))
	}
	return ids
}

func identifierOf(t *testing.T, k api.Key) string {
	t.Helper()
	b, err := json.Marshal(k.Key)
	if err != nil {
		t.Fatal(err)
	}
	var ids struct {
		KeyARN string `json:"key_arn"`
		KeyID  string `json:"key_id"`
	}
	if err := json.Unmarshal(b, &ids); err != nil {
		t.Fatal(err)
	}
	return ids.KeyARN + ids.KeyID
}

// methods counts the requests the fake received, by method.
func methods(srv *byoktest.Server) map[string]int {
	n := map[string]int{}
	for _, req := range srv.Requests() {
		n[req.Method]++
	}
	return n
}

// writeKeysFile writes a keys file of the given entries (YAML mappings in
// flow style) and returns its path.
func writeKeysFile(t *testing.T, entries ...string) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("keys:\n")
	for _, e := range entries {
		b.WriteString("  - " + e + "\n")
	}
	path := filepath.Join(t.TempDir(), "keys.yaml")
	writeFile(t, path, b.String())
	return path
}

// TestApplyLifecycle: apply creates the keys of a file and prints their
// grants; a second apply changes nothing; a changed display name is a
// rename; a key created outside the file is kept without --prune and
// deleted with it.
func TestApplyLifecycle(t *testing.T) {
	f := newFixture(t)
	file := keysFilePath("example.yaml")
	r := f.run("apply", "-f", file)
	expect(t, r, exitOK)
	golden(t, "apply-create", r.transcript())
	want := []string{fileARN, fileAzure, fileGCP}
	if got := serverIdentifiers(t, f.srv); !slices.Equal(got, want) {
		t.Fatalf("the server holds %q, want %q", got, want)
	}

	f.srv.ClearRequests()
	r = f.run("apply", "-f", file, "-o", "json")
	expect(t, r, exitOK)
	if rep := decodeReport(t, r); !rep.Converged || !slices.Equal(rep.results(), []string{
		"in-sync " + fileARN, "in-sync " + fileAzure, "in-sync " + fileGCP}) {
		t.Errorf("second apply: converged %v, %q; want all in sync", rep.Converged, rep.results())
	}
	if m := methods(f.srv); len(m) != 1 || m[http.MethodGet] != 1 {
		t.Errorf("second apply sent %v, want one GET", m)
	}

	renamed := writeKeysFile(t,
		"{provider: aws, key_arn: '"+fileARN+"', display_name: invoicing}",
		"{provider: azure, key_id: '"+fileAzure+"', key_vault_id: '"+exampleAzureVault+"', tenant_id: '"+exampleTenant+"'}",
		"{provider: gcp, key_id: '"+fileGCP+"'}")
	expect(t, f.run("diff", "-f", renamed), exitDrift)
	r = f.run("apply", "-f", renamed)
	expect(t, r, exitOK)
	golden(t, "apply-rename", r.transcript())
	expect(t, f.run("diff", "-f", renamed), exitOK)

	expect(t, f.run("create", "gcp", "--key-id", exampleGCPKey, "--display-name", "made by hand"), exitOK)
	r = f.run("apply", "-f", renamed)
	expect(t, r, exitOK)
	if !strings.Contains(r.stdout, "kept ") || f.srv.Len() != 4 {
		t.Errorf("the extra key is not kept (%d keys on the server):\n%s", f.srv.Len(), r.transcript())
	}
	expect(t, f.run("diff", "-f", renamed), exitDrift)

	r = f.run("apply", "-f", renamed, "--prune", "--force")
	expect(t, r, exitOK)
	golden(t, "apply-prune", r.transcript())
	if got := serverIdentifiers(t, f.srv); !slices.Equal(got, want) {
		t.Errorf("after --prune the server holds %q, want %q", got, want)
	}
}

// TestApplyDrift: apply renames, creates and keeps the extra key; an
// INVALID key keeps it from converging, and the message names it.
func TestApplyDrift(t *testing.T) {
	f := driftFixture(t)
	r := f.run("apply", "-f", keysFilePath("drift.yaml"))
	expect(t, r, exitFailure)
	golden(t, "apply-drift", r.transcript())
	if m := methods(f.srv); m[http.MethodPost] != 1 || m[http.MethodPatch] != 1 || m[http.MethodDelete] != 0 {
		t.Errorf("requests %v, want one create and one rename", m)
	}
}

// TestApplyLostAnswer: a create whose answer is lost is settled by listing
// before any new attempt: found, it is not sent again; not found, it is.
// Never two keys, never a create the server refuses as a duplicate.
func TestApplyLostAnswer(t *testing.T) {
	for _, tc := range []struct {
		mode    byoktest.FaultMode
		applied bool // the fake carried out the create before breaking the answer
	}{
		{byoktest.FaultDropResponse, true},
		{byoktest.FaultTruncated, true},
		{byoktest.FaultBadGateway, false},
		{byoktest.FaultHTML, false},
	} {
		t.Run(string(tc.mode), func(t *testing.T) {
			f := newFixture(t)
			if err := f.srv.FailNext(1, tc.mode, byoktest.OpCreate); err != nil {
				t.Fatal(err)
			}
			r := f.run("apply", "-f", keysFilePath("example.yaml"), "-o", "json")
			expect(t, r, exitOK)
			checkExactly(t, f.srv, []string{fileARN, fileAzure, fileGCP})
			posts, conflicts := 0, 0
			for _, req := range f.srv.Requests() {
				if req.Operation == byoktest.OpCreate {
					posts++
					if req.Status == http.StatusConflict {
						conflicts++
					}
				}
			}
			wantPosts := 3
			if !tc.applied {
				wantPosts = 4
			}
			if posts != wantPosts || conflicts != 0 {
				t.Errorf("%d creates (%d refused as duplicates), want %d and none", posts, conflicts, wantPosts)
			}
			// Not created: apply listed the keys, so it does not tell the
			// user to.
			if !tc.applied && (!strings.Contains(r.stderr, "; listing the keys shows it was not created") ||
				strings.Contains(r.stderr, "list the keys before creating it again")) {
				t.Errorf("stderr %q", r.stderr)
			}
			rep := decodeReport(t, r)
			if got := rep.Keys[0]; got.Result != resultCreated || (got.Note != "") != tc.applied {
				t.Errorf("first key: %+v", got)
			}
		})
	}
}

// TestApplyConflict: a create the server refuses as a conflict is settled
// by listing, like a lost answer.
func TestApplyConflict(t *testing.T) {
	f := newFixture(t)
	if err := f.srv.RespondNext(byoktest.OpCreate, http.StatusConflict); err != nil {
		t.Fatal(err)
	}
	r := f.run("apply", "-f", keysFilePath("example.yaml"))
	expect(t, r, exitOK)
	if f.srv.Len() != 3 || !strings.Contains(r.stderr, "409 Conflict") {
		t.Errorf("%d keys on the server, want 3, and the 409 reported:\n%s", f.srv.Len(), r.transcript())
	}
}

// TestApplyPrune: --prune asks, and without a terminal needs --force; a key
// in use is reported, not deleted, and apply does not converge.
func TestApplyPrune(t *testing.T) {
	f := newFixture(t)
	file := keysFilePath("example.yaml")
	expect(t, f.run("apply", "-f", file), exitOK)
	extraID, _ := createdKey(t, f, "gcp", "--key-id", exampleGCPKey)

	f.srv.ClearRequests()
	r := f.run("apply", "-f", file, "--prune")
	expect(t, r, exitUsage)
	if m := methods(f.srv); len(m) != 0 || f.srv.Len() != 4 {
		t.Errorf("without --force and without a terminal: %v, %d keys; want no request:\n%s", m, f.srv.Len(), r.transcript())
	}

	// Declined on a terminal: nothing changes, and apply says so.
	f.terminal, f.stdin = true, "no\n"
	r = f.run("apply", "-f", file, "--prune")
	expect(t, r, exitFailure)
	if !strings.Contains(r.stderr, "apply stopped before any change") || f.srv.Len() != 4 {
		t.Errorf("declined: %d keys:\n%s", f.srv.Len(), r.transcript())
	}
	f.terminal, f.stdin = false, ""

	if err := f.srv.SetState(extraID, wrapper.StateInUse); err != nil {
		t.Fatal(err)
	}
	r = f.run("apply", "-f", file, "--prune", "--force")
	expect(t, r, exitFailure)
	if f.srv.Len() != 4 || !strings.Contains(oneSpaced(r.stdout), "failed "+extraID+" GCP "+exampleGCPKey+" - extra: in use by a cluster, not deleted: DELETE") ||
		!strings.Contains(r.stderr, "not converged: 1 key: failed GCP "+exampleGCPKey) {
		t.Errorf("a key in use:\n%s", r.transcript())
	}
	if n := methods(f.srv)[http.MethodDelete]; n != 1 {
		t.Errorf("%d deletes of the key in use, want 1", n)
	}
}

// faultModes are the faults of the fault suite: all but FaultSlow, which
// would make the suite wait in real time.
func faultModes() []byoktest.FaultMode {
	var modes []byoktest.FaultMode
	for _, m := range byoktest.FaultModes() {
		if m != byoktest.FaultSlow {
			modes = append(modes, m)
		}
	}
	return modes
}

// manyKeys returns the entries of a keys file of n keys, AWS, Azure and GCP
// in turn, and their identifiers.
func manyKeys(n int) (entries, ids []string) {
	for i := range n {
		var e, id string
		switch i % 3 {
		case 0:
			id = fmt.Sprintf("arn:aws:kms:us-west-2:111122223333:key/0b1c2d3e-aaaa-bbbb-cccc-%012d", i)
			e = "{provider: aws, key_arn: '" + id + "'"
		case 1:
			id = fmt.Sprintf("https://vault-name.vault.azure.net/keys/key-%d", i)
			e = "{provider: azure, key_id: '" + id + "', key_vault_id: '" + exampleAzureVault + "', tenant_id: '" + exampleTenant + "'"
		default:
			id = fmt.Sprintf("projects/p/locations/us-central1/keyRings/r/cryptoKeys/k%d", i)
			e = "{provider: gcp, key_id: '" + id + "'"
		}
		entries = append(entries, fmt.Sprintf("%s, display_name: 'key %d'}", e, i))
		ids = append(ids, id)
	}
	return entries, ids
}

// checkExactly fails the test unless the fake holds exactly one key of each
// identifier of want, and no other.
func checkExactly(t *testing.T, srv *byoktest.Server, want []string) {
	t.Helper()
	got := serverIdentifiers(t, srv)
	count := map[string]int{}
	for _, id := range got {
		count[id]++
	}
	duplicates, missing := 0, 0
	for _, id := range want {
		switch n := count[id]; {
		case n == 0:
			missing++
		case n > 1:
			duplicates += n - 1
		}
		delete(count, id)
	}
	if duplicates > 0 || missing > 0 || len(count) > 0 {
		t.Errorf("the server holds %d keys: %d duplicates, %d entries missing, %d keys not in the file",
			len(got), duplicates, missing, len(count))
	}
}

// TestApplyUnderFaults: with 20% of the requests failing (5xx, resets,
// dropped and cut answers, 429 bursts), apply of 50 keys ends with exactly
// those 50 keys, and a second apply finds them all in sync. Seeded, on the
// injected clock: the same seed gives the same run.
func TestApplyUnderFaults(t *testing.T) {
	const keys = 50
	entries, ids := manyKeys(keys)
	file := writeKeysFile(t, entries...)
	for _, seed := range []int64{20240320, 7, 1234} {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			f := newFixture(t, byoktest.WithFaults(byoktest.Faults{Seed: seed, Rate: 0.2, Modes: faultModes()}))
			r := f.run("apply", "-f", file, "-o", "json")
			expect(t, r, exitOK)
			checkExactly(t, f.srv, ids)
			rep := decodeReport(t, r)
			lost := 0
			for _, k := range rep.Keys {
				if strings.HasPrefix(k.Note, "answer lost") {
					lost++
				}
			}

			reqs := f.srv.Requests()
			faults, unknown, conflicts := 0, 0, 0
			for _, req := range reqs {
				if req.Fault != "" {
					faults++
				}
				if req.Operation != byoktest.OpCreate {
					continue
				}
				switch req.Fault {
				case byoktest.FaultDropResponse, byoktest.FaultTruncated, byoktest.FaultBadGateway, byoktest.FaultHTML, byoktest.FaultReset:
					unknown++
				}
				if req.Status == http.StatusConflict {
					conflicts++
				}
			}
			absent := strings.Count(r.stderr, "listing the keys shows it was not created")
			later := strings.Count(r.stderr, "listing the keys to find out whether it was created failed too")
			t.Logf("seed %d: %d requests, %d faults injected, %d creates of unknown outcome: %d found created by listing, %d found absent and sent again, %d settled by the next round's listing; %d creates refused as duplicates",
				seed, len(reqs), faults, unknown, lost, absent, later, conflicts)
			if lost+absent+later != unknown {
				t.Errorf("%d creates of unknown outcome on the server, %d settled by apply", unknown, lost+absent+later)
			}
			if conflicts > 0 {
				t.Errorf("%d creates of keys already on the server", conflicts)
			}
			// Fault-free, apply sends 1 listing, 50 creates and 1 listing;
			// each request is tried at most 4 times and each round lists
			// again, so 4 times that is far more than any seed needs.
			if limit := 4 * (keys + 2); len(reqs) > limit {
				t.Errorf("%d requests, more than %d", len(reqs), limit)
			}

			r = f.run("apply", "-f", file, "-o", "json")
			expect(t, r, exitOK)
			for _, k := range decodeReport(t, r).Keys {
				if k.Result != actInSync {
					t.Errorf("second apply: %+v", k)
				}
			}
			checkExactly(t, f.srv, ids)
		})
	}
}

// TestApplyInterrupted: an apply cancelled in the middle of a create (the
// server carries it out, the client never learns it) leaves part of the
// keys; the next apply finishes the job without a duplicate.
func TestApplyInterrupted(t *testing.T) {
	const keys, cancelAt = 20, 8
	entries, ids := manyKeys(keys)
	file := writeKeysFile(t, entries...)
	var (
		mu      sync.Mutex
		creates int
		cancel  context.CancelFunc
	)
	interrupt := byoktest.WithMiddleware(func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			if r.Method == http.MethodPost {
				creates++
			}
			stop := cancel
			at := r.Method == http.MethodPost && creates == cancelAt
			mu.Unlock()
			if !at {
				h.ServeHTTP(w, r)
				return
			}
			// Carry out the create whatever the client does, then interrupt
			// the client before it has the answer.
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, r.WithContext(context.WithoutCancel(r.Context())))
			stop()
			for k, v := range rec.Header() {
				w.Header()[k] = v
			}
			w.WriteHeader(rec.Code)
			_, _ = w.Write(rec.Body.Bytes())
		})
	})
	f := newFixture(t, interrupt)

	ctx, stop := context.WithTimeout(t.Context(), runTimeout)
	defer stop()
	ctx, cancelRun := context.WithCancel(ctx)
	mu.Lock()
	cancel = cancelRun
	mu.Unlock()
	var stdout, stderr bytes.Buffer
	code := run(ctx, []string{"apply", "-f", file}, f.system(f.env, &stdout, &stderr))
	first := result{code: code, stdout: stdout.String(), stderr: stderr.String()}
	expect(t, first, exitFailure)
	if !strings.Contains(first.stderr, "interrupted") || f.srv.Len() != cancelAt {
		t.Fatalf("%d keys on the server, want %d, and the run reported interrupted:\n%s", f.srv.Len(), cancelAt, first.transcript())
	}

	r := f.run("apply", "-f", file)
	expect(t, r, exitOK)
	checkExactly(t, f.srv, ids)
	if n := strings.Count(r.stdout, "\nin-sync "); n != cancelAt {
		t.Errorf("the second run found %d keys in sync, want %d:\n%s", n, cancelAt, r.transcript())
	}
}

// oneSpaced folds the runs of spaces of text output into one space, line by
// line.
func oneSpaced(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.Join(strings.Fields(l), " ")
	}
	return strings.Join(lines, "\n")
}

// TestApplyWait: --wait waits for the validation of the new keys; a key
// that ends INVALID is reported with the server's message, and apply does
// not converge.
func TestApplyWait(t *testing.T) {
	f := newFixture(t, byoktest.WithValidation(byoktest.Validation{Reads: 2}),
		byoktest.WithInvalidKeys(func(m string) bool { return strings.Contains(m, "denied") }, "Access to key denied."))
	denied := "projects/p/locations/us-central1/keyRings/r/cryptoKeys/denied"
	file := writeKeysFile(t, "{provider: aws, key_arn: '"+fileARN+"'}", "{provider: gcp, key_id: '"+denied+"'}")
	r := f.run("apply", "-f", file, "--wait", "-o", "json")
	expect(t, r, exitFailure)
	var rep struct {
		Converged bool `json:"converged"`
		Keys      []struct {
			Result, Key, Message string
			Phase                string `json:"validation_phase"`
		} `json:"keys"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatal(err)
	}
	got := fmt.Sprintf("%v %+v", rep.Converged, rep.Keys)
	want := fmt.Sprintf("false [{Result:created Key:%s Message: Phase:VALID} {Result:created Key:%s Message:Access to key denied. Phase:INVALID}]", fileARN, denied)
	if got != want || !strings.HasSuffix(r.stderr, "byokctl: not converged: 1 key: invalid GCP "+denied+"\n") {
		t.Errorf("got  %s\nwant %s\n%s", got, want, r.transcript())
	}
}

// TestApplyListingRefused: when the listing is refused, apply changes
// nothing, does not ask again, and says why with the server's words.
func TestApplyListingRefused(t *testing.T) {
	f := newFixture(t)
	if err := f.srv.RespondNext(byoktest.OpList, http.StatusForbidden); err != nil {
		t.Fatal(err)
	}
	r := f.run("apply", "-f", keysFilePath("example.yaml"))
	expect(t, r, exitFailure)
	if m := methods(f.srv); m[http.MethodGet] != 1 || len(m) != 1 || r.stdout != "" ||
		r.stderr != "byokctl: nothing was changed: listing the keys failed: GET /byok/v1/keys: 403 Forbidden: "+
			"User Access Unauthorized: The credentials may not perform listByokV1Keys. (request id byoktest-725728-1)\n" {
		t.Errorf("requests %v:\n%s", m, r.transcript())
	}
}

// TestApplyConflictKeyExists: a key made by someone else between apply's
// listing and its create is refused as a conflict; apply finds it by
// listing, creates nothing more, and gives it the file's display name.
func TestApplyConflictKeyExists(t *testing.T) {
	var (
		once sync.Once
		srv  atomic.Pointer[byoktest.Server]
	)
	race := byoktest.WithMiddleware(func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodPost {
				once.Do(func() {
					var k api.Key
					if err := json.Unmarshal([]byte(`{"key": {"kind": "AwsKey", "key_arn": "`+fileARN+`"}}`), &k); err != nil {
						panic(err)
					}
					if _, err := srv.Load().AddKey(k); err != nil {
						panic(err)
					}
				})
			}
			h.ServeHTTP(w, r)
		})
	})
	f := newFixture(t, race)
	srv.Store(f.srv)
	r := f.run("apply", "-f", keysFilePath("example.yaml"), "-o", "json")
	expect(t, r, exitOK)
	checkExactly(t, f.srv, []string{fileARN, fileAzure, fileGCP})
	statuses := map[int]int{}
	for _, req := range f.srv.Requests() {
		if req.Operation == byoktest.OpCreate {
			statuses[req.Status]++
		}
	}
	first := decodeReport(t, r).Keys[0]
	if statuses[http.StatusConflict] != 1 || statuses[http.StatusCreated] != 2 || first.Result != resultRenamed {
		t.Errorf("creates answered %v, first key %+v; want one 409 and two 201, and the key renamed\n%s", statuses, first, r.transcript())
	}
}

// TestApplyRetries: a rename answered 404 (the key changed meanwhile) is
// tried again after the next listing, which says what became of the key; a
// create the server refuses as invalid (422) is not tried again.
func TestApplyRetries(t *testing.T) {
	f := newFixture(t)
	expect(t, f.run("apply", "-f", keysFilePath("example.yaml")), exitOK)
	renamed := writeKeysFile(t, "{provider: aws, key_arn: '"+fileARN+"', display_name: invoicing}",
		"{provider: gcp, key_id: '"+exampleGCPKey+"'}")
	if err := f.srv.RespondNext(byoktest.OpUpdate, http.StatusNotFound); err != nil {
		t.Fatal(err)
	}
	if err := f.srv.RespondNext(byoktest.OpCreate, http.StatusUnprocessableEntity); err != nil {
		t.Fatal(err)
	}
	f.srv.ClearRequests()
	r := f.run("apply", "-f", renamed)
	expect(t, r, exitFailure)
	var calls []string
	for _, req := range f.srv.Requests() {
		calls = append(calls, fmt.Sprintf("%s %d", req.Operation, req.Status))
	}
	want := "listByokV1Keys 200,updateByokV1Key 404,createByokV1Key 422,listByokV1Keys 200,updateByokV1Key 200,listByokV1Keys 200"
	if strings.Join(calls, ",") != want || !strings.Contains(oneSpaced(r.stdout), "renamed ") ||
		!strings.Contains(oneSpaced(r.stdout), "failed - GCP "+exampleGCPKey+" - create: POST /byok/v1/keys: 422 Unprocessable Entity") {
		t.Errorf("requests %s, want %s\n%s", strings.Join(calls, ","), want, r.transcript())
	}
}

// TestApplyOneLineJSON: the entries of a keys file written on one line (as
// jq -c or a generator writes JSON) are told apart: a create the server
// refuses for good is not tried again, and the others' results are their
// own.
func TestApplyOneLineJSON(t *testing.T) {
	f := newFixture(t)
	path := filepath.Join(t.TempDir(), "keys.json")
	content := `{"keys":[{"provider":"aws","key_arn":"` + fileARN + `"},{"provider":"gcp","key_id":"` + fileGCP + `","display_name":"g"}]}`
	writeFile(t, path, content)
	if err := f.srv.RespondNext(byoktest.OpCreate, http.StatusBadRequest); err != nil {
		t.Fatal(err)
	}
	r := f.run("apply", "-f", path, "-o", "json")
	expect(t, r, exitFailure)
	rep := decodeReport(t, r)
	if got := rep.results(); !slices.Equal(got, []string{resultFailed + " " + fileARN, resultCreated + " " + fileGCP}) {
		t.Errorf("results %q:\n%s", got, r.transcript())
	}
	if len(rep.Keys) == 2 && !strings.Contains(rep.Keys[0].Error, "400 Bad Request") {
		t.Errorf("the AWS key's error %q, want the server's 400", rep.Keys[0].Error)
	}
	if n := methods(f.srv)[http.MethodPost]; n != 2 {
		t.Errorf("%d creates, want 2: the refused one is not tried again", n)
	}
}

// TestApplyRetryingNotAnError: a create that fails (503) and that a later
// round completes is said in one "retrying" line naming what failed, not in
// an error line; the report says created, and apply converges. Before, stderr
// had "byokctl: create GCP …: 503 Service Unavailable" and the report
// "created".
func TestApplyRetryingNotAnError(t *testing.T) {
	f := newFixture(t)
	if err := f.srv.FailNext(1, byoktest.FaultUnavailable, byoktest.OpCreate); err != nil {
		t.Fatal(err)
	}
	r := f.run("apply", "-f", keysFilePath("example.yaml"))
	expect(t, r, exitOK)
	if strings.Contains(r.stderr, "byokctl: ") {
		t.Errorf("an error line for a create that a later round completed:\n%s", r.transcript())
	}
	want := "retrying in the next round: create AWS " + fileARN + ": POST /byok/v1/keys: 503 Service Unavailable"
	if n := strings.Count("\n"+r.stderr, "\nretrying "); n != 1 || !strings.Contains("\n"+r.stderr, "\n"+want) {
		t.Errorf("%d retrying lines; want one, starting %q:\n%s", n, want, r.transcript())
	}
	for _, line := range strings.Split(strings.TrimSpace(r.stdout), "\n")[1:] {
		if !strings.HasPrefix(line, "created ") {
			t.Errorf("report line %q, want created", line)
		}
	}
}
