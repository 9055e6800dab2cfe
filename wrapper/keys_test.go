package wrapper_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/byokctl/byok/api"
	"github.com/byokctl/byok/internal/testkit"
	"github.com/byokctl/byok/wrapper"
)

// expectRequest checks what every request carries.
func expectRequest(t *testing.T, r *http.Request, method, path string) {
	t.Helper()
	if r.Method != method || r.URL.EscapedPath() != path {
		t.Errorf("request %s %s, want %s %s", r.Method, r.URL.EscapedPath(), method, path)
	}
	user, pass, ok := r.BasicAuth()
	if !ok || user != testKey || pass != testSecret {
		t.Errorf("request without the API key as HTTP Basic credentials")
	}
	if ua := r.Header.Get("User-Agent"); !strings.HasPrefix(ua, "byok-go") && !strings.Contains(ua, " byok-go") {
		t.Errorf("User-Agent = %q", ua)
	}
}

func TestGetKey(t *testing.T) {
	body := testdata(t, "aws.json")
	srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		expectRequest(t, r, http.MethodGet, "/byok/v1/keys/cck-1a2b3")
		writeJSON(w, http.StatusOK, body)
	}))
	k, _, err := newClient(t, srv, testkit.NewClock()).GetKey(context.Background(), "cck-1a2b3")
	if err != nil {
		t.Fatal(err)
	}
	checkKey(t, *k, generic(t, body))
}

func TestCreateKeyVariants(t *testing.T) {
	for _, tc := range []struct {
		name     string
		material wrapper.KeyMaterial
		want     string // the request body's "key"
		answer   string
	}{
		{
			name:     "AWS",
			material: wrapper.AWSKey{KeyARN: "arn:aws:kms:us-west-2:111122223333:key/1234abcd", Roles: []string{"arn:aws:iam::1:role/never-sent"}},
			want:     `{"kind":"AwsKey","key_arn":"arn:aws:kms:us-west-2:111122223333:key/1234abcd"}`,
			answer:   "aws.json",
		},
		{
			name:     "Azure",
			material: wrapper.AzureKey{KeyID: "https://v.vault.azure.net/keys/k", KeyVaultID: "/subscriptions/s/resourceGroups/g/providers/Microsoft.KeyVault/vaults/v", TenantID: "00000000-0000-0000-0000-000000000000", ApplicationID: "never-sent"},
			want:     `{"kind":"AzureKey","key_id":"https://v.vault.azure.net/keys/k","key_vault_id":"/subscriptions/s/resourceGroups/g/providers/Microsoft.KeyVault/vaults/v","tenant_id":"00000000-0000-0000-0000-000000000000"}`,
			answer:   "azure.json",
		},
		{
			name:     "GCP pointer",
			material: &wrapper.GCPKey{KeyID: "projects/p/locations/us-central1/keyRings/r/cryptoKeys/k", SecurityGroup: "never-sent"},
			want:     `{"kind":"GcpKey","key_id":"projects/p/locations/us-central1/keyRings/r/cryptoKeys/k"}`,
			answer:   "gcp.json",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			answer := testdata(t, tc.answer)
			srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				expectRequest(t, r, http.MethodPost, "/byok/v1/keys")
				if ct := r.Header.Get("Content-Type"); ct != "application/json" {
					t.Errorf("Content-Type = %q", ct)
				}
				got, _ := io.ReadAll(r.Body)
				var body map[string]json.RawMessage
				if err := json.Unmarshal(got, &body); err != nil {
					t.Fatal(err)
				}
				if len(body) != 2 || string(body["display_name"]) != `"my key"` {
					t.Errorf("body %s: want display_name and key only", got)
				}
				if !reflect.DeepEqual(generic(t, body["key"]), generic(t, []byte(tc.want))) {
					t.Errorf("key sent %s, want %s", body["key"], tc.want)
				}
				w.Header().Set("Location", "https://api.confluent.cloud/byok/v1/keys/"+str(generic(t, answer), "id"))
				writeJSON(w, http.StatusCreated, answer)
			}))
			k, _, err := newClient(t, srv, testkit.NewClock()).CreateKey(context.Background(), wrapper.CreateKeyRequest{Key: api.Key{DisplayName: "my key"}, Material: tc.material})
			if err != nil {
				t.Fatal(err)
			}
			checkKey(t, *k, generic(t, answer))
		})
	}
}

func TestCreateKeyRefusedBeforeSending(t *testing.T) {
	var requests atomic.Int32
	srv := serve(t, http.HandlerFunc(func(http.ResponseWriter, *http.Request) { requests.Add(1) }))
	c := newClient(t, srv, testkit.NewClock())
	for _, tc := range []struct {
		key  wrapper.KeyMaterial
		want string
	}{
		{nil, "CreateKeyRequest.Material is nil"},
		{wrapper.AWSKey{}, "AWSKey: key_arn is empty; the API requires it"},
		{wrapper.AzureKey{KeyID: "k", TenantID: "t"}, "AzureKey: key_vault_id is empty"},
		{wrapper.AzureKey{KeyID: "k", KeyVaultID: "v"}, "AzureKey: tenant_id is empty"},
		{wrapper.GCPKey{SecurityGroup: "g"}, "GCPKey: key_id is empty"},
		{(*wrapper.AWSKey)(nil), "nil *wrapper.AWSKey"},
		{wrapper.UnknownKey{Raw: json.RawMessage(`{"kind":"OciKey"}`)}, `kind "OciKey" cannot be created`},
	} {
		_, _, err := c.CreateKey(context.Background(), wrapper.CreateKeyRequest{Material: tc.key})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("CreateKey(%#v) = %v, want an error containing %q", tc.key, err, tc.want)
		}
	}
	if n := requests.Load(); n != 0 {
		t.Errorf("%d requests sent for invalid input", n)
	}
}

func TestUpdateKey(t *testing.T) {
	answer := testdata(t, "gcp.json")
	srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		expectRequest(t, r, http.MethodPatch, "/byok/v1/keys/cck-7e8f9")
		got, _ := io.ReadAll(r.Body)
		if string(got) != `{"display_name":"analytics"}` {
			t.Errorf("body %s", got)
		}
		writeJSON(w, http.StatusOK, answer)
	}))
	c := newClient(t, srv, testkit.NewClock())
	k, _, err := c.UpdateKey(context.Background(), "cck-7e8f9", wrapper.UpdateKeyRequest{DisplayName: "analytics"})
	if err != nil {
		t.Fatal(err)
	}
	checkKey(t, *k, generic(t, answer))
	if _, _, err := c.UpdateKey(context.Background(), "cck-7e8f9", wrapper.UpdateKeyRequest{}); err == nil || !strings.Contains(err.Error(), "DisplayName is empty") {
		t.Errorf("empty display name: %v", err)
	}
}

func TestDeleteKey(t *testing.T) {
	var deletes atomic.Int32
	srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		expectRequest(t, r, http.MethodDelete, "/byok/v1/keys/cck-1a2b3")
		deletes.Add(1)
		w.Header().Set("X-Request-Id", "req-del")
		w.WriteHeader(http.StatusNoContent)
	}))
	if _, err := newClient(t, srv, testkit.NewClock()).DeleteKey(context.Background(), "cck-1a2b3"); err != nil {
		t.Fatal(err)
	}
	if deletes.Load() != 1 {
		t.Errorf("%d DELETE requests, want 1", deletes.Load())
	}
}

func TestEmptyOrDotIDRefusedBeforeSending(t *testing.T) {
	var requests atomic.Int32
	srv := serve(t, http.HandlerFunc(func(http.ResponseWriter, *http.Request) { requests.Add(1) }))
	c := newClient(t, srv, testkit.NewClock())
	ctx := context.Background()
	for _, id := range []string{"", ".", ".."} {
		calls := map[string]error{}
		_, _, calls["get"] = c.GetKey(ctx, id)
		_, _, calls["update"] = c.UpdateKey(ctx, id, wrapper.UpdateKeyRequest{DisplayName: "x"})
		_, calls["delete"] = c.DeleteKey(ctx, id)
		_, calls["wait"] = c.WaitForValidation(ctx, id)
		for op, err := range calls {
			if err == nil || !strings.Contains(err.Error(), "expected an id such as cck-12345") {
				t.Errorf("%s(%q) = %v, want an error that says what an id looks like", op, id, err)
			}
		}
	}
	if n := requests.Load(); n != 0 {
		t.Errorf("%d requests sent", n)
	}
}

// TestIDsArePathEscaped shows that no id can change the request's path: the
// generated client escapes '/', '?', '%', spaces and the like.
func TestIDsArePathEscaped(t *testing.T) {
	ids := []string{"a/b", "../keys", "a/../../x", "cck-1?page_size=5", "50%", "a b", "a#b", "..%2f", "%2e%2e", "a\\b", "ключ"}
	var got []string
	srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rest, ok := strings.CutPrefix(r.URL.EscapedPath(), "/byok/v1/keys/")
		if !ok || strings.Contains(rest, "/") || r.URL.RawQuery != "" {
			t.Errorf("path changed: %s (query %q)", r.URL.EscapedPath(), r.URL.RawQuery)
		}
		got = append(got, r.URL.Path[len("/byok/v1/keys/"):])
		fault(w, "not found for any id")
		writeJSON(w, http.StatusNotFound, testdata(t, "failure-404.json"))
	}))
	c := newRawClient(t, srv, testkit.NewClock())
	for _, id := range ids {
		_, _, err := c.GetKey(context.Background(), id)
		if !errors.Is(err, wrapper.ErrNotFound) {
			t.Errorf("GetKey(%q) = %v, want ErrNotFound", id, err)
		}
	}
	if !reflect.DeepEqual(got, ids) {
		t.Errorf("the server saw ids %q, want %q", got, ids)
	}
}

func TestBasicAuthHeader(t *testing.T) {
	want := "Basic " + base64.StdEncoding.EncodeToString([]byte(testKey+":"+testSecret))
	srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if got := r.Header.Get("Authorization"); got != want {
			t.Errorf("Authorization = %q", got)
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	if _, err := newClient(t, srv, testkit.NewClock()).DeleteKey(context.Background(), "cck-1"); err != nil {
		t.Fatal(err)
	}
}

func TestSuccessBodyNotAKey(t *testing.T) {
	for name, body := range map[string]string{
		"not JSON":     `<html>oops</html>`,
		"kind missing": `{"id":"cck-1","key":{"key_arn":"a"}}`,
	} {
		t.Run(name, func(t *testing.T) {
			srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("X-Request-Id", "req-bad-body")
				fault(w, "bad body")
				writeJSON(w, http.StatusOK, []byte(body))
			}))
			_, _, err := newRawClient(t, srv, testkit.NewClock()).GetKey(context.Background(), "cck-1")
			if err == nil || !strings.Contains(err.Error(), "get key cck-1: decoding the 200 answer (request id req-bad-body)") {
				t.Errorf("got %v", err)
			}
		})
	}
}
