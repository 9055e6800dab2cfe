package wrapper_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/byokctl/byok/internal/testkit"
	"github.com/byokctl/byok/wrapper"
)

// keyAnswer is a key of the API with the given id ("" for none) and phase.
func keyAnswer(id, phase string) []byte {
	field := ""
	if id != "" {
		b, _ := json.Marshal(id) // a string: cannot fail
		field = `"id":` + string(b) + ","
	}
	return fmt.Appendf(nil, `{"api_version":"byok/v1","kind":"Key",%s"metadata":{"self":"https://api.confluent.cloud/byok/v1/keys/x"},"key":{"kind":"AwsKey","key_arn":"arn:aws:kms:us-west-2:111122223333:key/k","roles":["arn:aws:iam::1:role/r"]},"provider":"AWS","state":"AVAILABLE","validation":{"phase":%q,"since":"2024-03-20T15:30:00Z"}}`, field, phase)
}

// lyingServer answers every request with the key of id, whatever the
// request asked for, and counts the requests.
func lyingServer(t *testing.T, status int, id string, requests *atomic.Int32) *wrapper.Client {
	t.Helper()
	srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		requests.Add(1)
		fault(w, "an answer about another key")
		w.Header().Set("X-Request-Id", "req-lie-1")
		writeJSON(w, status, keyAnswer(id, "VALID"))
	}))
	return newRawClient(t, srv, testkit.NewClock())
}

// assertMismatch checks that err is a *KeyMismatchError for a request
// method path that asked for asked and got got, with the answer's metadata,
// not retried, that says what it got, and that key is nil. It returns the
// error's Response.
func assertMismatch(t *testing.T, key *wrapper.Key, err error, requests *atomic.Int32, method, path, asked, got string, says ...string) *wrapper.Response {
	t.Helper()
	if key != nil {
		t.Errorf("returned key %s; want none", key.ID)
	}
	var mismatch *wrapper.KeyMismatchError
	if !errors.As(err, &mismatch) {
		t.Fatalf("error %v (%T); want a *wrapper.KeyMismatchError", err, err)
	}
	if mismatch.Method != method || mismatch.Path != path || mismatch.Asked != asked || mismatch.Got != got {
		t.Errorf("error %s %s asked %q got %q; want %s %s asked %q got %q", mismatch.Method, mismatch.Path, mismatch.Asked, mismatch.Got, method, path, asked, got)
	}
	if mismatch.Response == nil || mismatch.Response.RequestID != "req-lie-1" || mismatch.Response.StatusCode/100 != 2 {
		t.Errorf("error's Response %+v; want the 2xx answer with request id req-lie-1", mismatch.Response)
	}
	if n := requests.Load(); n != 1 {
		t.Errorf("%d requests; an answer about another key is not retried", n)
	}
	for _, s := range append(says, "(request id req-lie-1)") {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q does not say %q", err, s)
		}
	}
	if strings.ContainsAny(err.Error(), "\n\x1b") || strings.Contains(err.Error(), testSecret) || len(err.Error()) > 400 {
		t.Errorf("error %q has a control character or the secret, or is longer than 400 bytes", err)
	}
	return mismatch.Response
}

// TestGetKeyAnswerAboutAnotherKey: a GET of cck-mine answered with the key
// cck-victim, or with a key without id, is an error; before, GetKey returned
// the victim as if it were cck-mine, and delete then deleted it.
func TestGetKeyAnswerAboutAnotherKey(t *testing.T) {
	for _, tc := range []struct{ got, says string }{
		{"cck-victim", "the answer is about key cck-victim, not cck-mine"},
		{"", "the answer names no key; expected key cck-mine"},
		{"cck-MINE", "the answer is about key cck-MINE, not cck-mine"},
		{"cck-mine\x1b[2J", `the answer is about key "cck-mine\x1b[2J", not cck-mine`},
		{testSecret, "[redacted]"},
		{"cck-" + strings.Repeat("x", 1<<20), `the answer is about key "cck-` + strings.Repeat("x", 60) + `…", not cck-mine`},
	} {
		var requests atomic.Int32
		c := lyingServer(t, http.StatusOK, tc.got, &requests)
		key, resp, err := c.GetKey(context.Background(), "cck-mine")
		errResp := assertMismatch(t, key, err, &requests, http.MethodGet, "/byok/v1/keys/cck-mine", "cck-mine", strings.ReplaceAll(tc.got, testSecret, "[redacted]"), tc.says)
		if resp == nil || resp != errResp {
			t.Errorf("GetKey's Response %p, the error's %p; want the same answer", resp, errResp)
		}
		if errors.Is(err, wrapper.ErrOutcomeUnknown) {
			t.Errorf("a GET's error %v matches ErrOutcomeUnknown", err)
		}
	}
}

// TestUpdateKeyAnswerAboutAnotherKey: the same for a PATCH.
func TestUpdateKeyAnswerAboutAnotherKey(t *testing.T) {
	for _, tc := range []struct{ got, says string }{
		{"cck-victim", "update key cck-mine: the answer is about key cck-victim, not cck-mine"},
		{"", "the answer names no key; expected key cck-mine"},
	} {
		var requests atomic.Int32
		c := lyingServer(t, http.StatusOK, tc.got, &requests)
		tc.says += " (request id req-lie-1); the answer was not used, but the update was sent and may have renamed key cck-mine"
		key, _, err := c.UpdateKey(context.Background(), "cck-mine", wrapper.UpdateKeyRequest{DisplayName: "renamed"})
		assertMismatch(t, key, err, &requests, http.MethodPatch, "/byok/v1/keys/cck-mine", "cck-mine", tc.got, tc.says)
	}
}

// TestCreateKeyAnswerWithoutAWellFormedID: a create answered with a key
// without an id, or with an id not of the API's form (which would go into a
// path or a printed command), is an error that matches ErrOutcomeUnknown:
// the key was created, but which one cannot be told. Before, CreateKey
// returned the key.
func TestCreateKeyAnswerWithoutAWellFormedID(t *testing.T) {
	for _, tc := range []struct{ got, says string }{
		{"", "the 201 answer has no key id; expected one such as cck-12345"},
		{"cck-", `the 201 answer's key id "cck-" is not of the form cck-12345`},
		{"12345", `key id "12345"`},
		{"CCK-12345", `key id "CCK-12345"`},
		{"cck-1/../../x", `key id "cck-1/../../x"`},
		{"cck-1;touch x", `key id "cck-1;touch x"`},
		{"cck-1 --force", `key id "cck-1 --force"`},
		{"-cck-1", `key id "-cck-1"`},
		{"cck-1\n", `key id "cck-1"`},
		{"cck-" + strings.Repeat("a", 252), "is not of the form cck-12345"},
		{testSecret, `key id "[redacted]"`},
	} {
		var requests atomic.Int32
		c := lyingServer(t, http.StatusCreated, tc.got, &requests)
		key, _, err := c.CreateKey(context.Background(), wrapper.CreateKeyRequest{Material: wrapper.AWSKey{KeyARN: "arn:aws:kms:us-west-2:111122223333:key/k"}})
		assertMismatch(t, key, err, &requests, http.MethodPost, "/byok/v1/keys", "", strings.ReplaceAll(tc.got, testSecret, "[redacted]"),
			"byok: create key: outcome unknown", tc.says, "list the keys before creating it again")
		if !errors.Is(err, wrapper.ErrOutcomeUnknown) {
			t.Errorf("id %q: error %v does not match ErrOutcomeUnknown", tc.got, err)
		}
	}
	// The ids the API gives pass.
	for _, id := range []string{"cck-12345", "cck-1a2b3", "cck-" + strings.Repeat("a", 251)} {
		var requests atomic.Int32
		c := lyingServer(t, http.StatusCreated, id, &requests)
		key, _, err := c.CreateKey(context.Background(), wrapper.CreateKeyRequest{Material: wrapper.AWSKey{KeyARN: "arn:aws:kms:us-west-2:111122223333:key/k"}})
		if err != nil || key.ID != id {
			t.Errorf("create answered with id %s: %v", id, err)
		}
	}
}

// TestWaitForValidationAnswerAboutAnotherKey: a check of a wait answered
// with another key, VALID, ends the wait with the error; before, the wait
// returned the other key as validated.
func TestWaitForValidationAnswerAboutAnotherKey(t *testing.T) {
	var requests atomic.Int32
	srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		expectRequest(t, r, http.MethodGet, "/byok/v1/keys/cck-mine")
		n := requests.Add(1)
		if n > 10 {
			t.Error("more than 10 checks")
			return
		}
		if n == 1 {
			writeJSON(w, http.StatusOK, keyAnswer("cck-mine", "INITIALIZING"))
			return
		}
		fault(w, "an answer about another key")
		w.Header().Set("X-Request-Id", "req-lie-2")
		writeJSON(w, http.StatusOK, keyAnswer("cck-victim", "VALID"))
	}))
	var checks []string
	key, err := newRawClient(t, srv, testkit.NewClock()).WaitForValidation(context.Background(), "cck-mine",
		wrapper.WithProgress(func(p wrapper.WaitProgress) { checks = append(checks, p.Key.ID) }))
	if key != nil {
		t.Errorf("the wait returned key %s %s; want none", key.ID, key.Validation.Phase)
	}
	var mismatch *wrapper.KeyMismatchError
	if !errors.As(err, &mismatch) || mismatch.Got != "cck-victim" || mismatch.Asked != "cck-mine" || mismatch.Response == nil || mismatch.Response.RequestID != "req-lie-2" {
		t.Fatalf("error %v; want a *wrapper.KeyMismatchError about cck-victim with request id req-lie-2", err)
	}
	if want := "get key cck-mine: the answer is about key cck-victim, not cck-mine (request id req-lie-2)"; !strings.Contains(err.Error(), want) {
		t.Errorf("error %q does not say %q", err, want)
	}
	if requests.Load() != 2 || len(checks) != 1 || checks[0] != "cck-mine" {
		t.Errorf("%d requests, progress about %v; want 2 requests and one check of cck-mine", requests.Load(), checks)
	}
}
