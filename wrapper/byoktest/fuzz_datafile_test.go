package byoktest

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/byokctl/byok/api"
)

// FuzzDataFile loads fuzzed data files. A file the loader accepts must
// make a consistent store: a paged listing shows every key exactly once,
// in the order of IDs; a new key comes last; and the file the store saves
// loads back to the same keys. Its seeds are in testdata/fuzz/FuzzDataFile.
func FuzzDataFile(f *testing.F) {
	f.Add([]byte(`{"version":1,"keys":[]}`))
	f.Add([]byte(`{"version":1,"next_seq":7,"keys":[{"seq":3,"id":"cck-a","key":{"kind":"AwsKey","key_arn":"arn:aws:kms:us-west-2:1:key/a"}},{"seq":5,"id":"cck-b","key":{"kind":"OciKey"},"provider":"OCI"}]}`))
	f.Fuzz(func(t *testing.T, content []byte) {
		dir := t.TempDir()
		path := filepath.Join(dir, "keys.json")
		if err := os.WriteFile(path, content, 0o600); err != nil {
			t.Fatal(err)
		}
		opts := []Option{WithDataFile(path), WithSeed(1), WithClock(fuzzEpoch), WithBaseURL("http://127.0.0.1:8080"), WithRequestLog(0)}
		h, err := New(opts...)
		if err != nil {
			if !strings.Contains(err.Error(), path) {
				t.Errorf("the error does not name the file: %v", err)
			}
			return
		}
		ids := h.IDs()
		if listed := listEverything(t, h, len(ids)); !slices.Equal(listed, ids) {
			t.Fatalf("a paged listing shows %v; the store holds %v", listed, ids)
		}
		rec := serveRecorded(h, authorized(h, http.MethodPost, "/byok/v1/keys",
			`{"key":{"kind":"GcpKey","key_id":"projects/fuzz/locations/l/keyRings/r/cryptoKeys/unique-to-the-fuzzer"}}`))
		var created api.Key
		switch rec.Code {
		case http.StatusCreated:
			if err := json.Unmarshal(rec.Body.Bytes(), &created); err != nil || created.Id == nil {
				t.Fatalf("create: %v %s", err, rec.Body.Bytes())
			}
			ids = append(ids, *created.Id)
		case http.StatusConflict: // the file holds that key already
		case http.StatusPaymentRequired: // the file used up the sequence numbers
		default:
			t.Fatalf("create: %d %s", rec.Code, rec.Body.Bytes())
		}
		if got := h.IDs(); !slices.Equal(got, ids) {
			t.Fatalf("after a create the store holds %v; want %v (the new key last)", got, ids)
		}
		if listed := listEverything(t, h, len(ids)); !slices.Equal(listed, ids) {
			t.Fatalf("after a create a paged listing shows %v; the store holds %v", listed, ids)
		}
		if err := h.Close(); err != nil {
			t.Fatal(err)
		}
		again, err := New(opts...)
		if err != nil {
			t.Fatalf("the saved file does not load: %v", err)
		}
		defer func() { _ = again.Close() }()
		if got := again.IDs(); !slices.Equal(got, ids) {
			t.Fatalf("reloaded, the store holds %v; want %v", got, ids)
		}
	})
}

// authorized returns a request to h with accepted credentials.
func authorized(h *Server, method, target, body string) *http.Request {
	req, _ := http.NewRequest(method, "http://127.0.0.1:8080"+target, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	h.Authorize(req)
	return req
}

// listEverything lists every key of h two at a time, following
// metadata.next, and returns the ids in the order listed. It reads at most
// n/2+2 pages.
func listEverything(t *testing.T, h *Server, n int) []string {
	t.Helper()
	out := []string{}
	target := "/byok/v1/keys?page_size=2"
	for range n/2 + 2 {
		rec := serveRecorded(h, authorized(h, http.MethodGet, target, ""))
		if rec.Code != http.StatusOK {
			t.Fatalf("GET %s: %d %s", target, rec.Code, rec.Body.Bytes())
		}
		var page api.KeyList
		if err := json.Unmarshal(rec.Body.Bytes(), &page); err != nil {
			t.Fatalf("GET %s: %v", target, err)
		}
		for _, k := range page.Data {
			out = append(out, *k.Id)
		}
		if page.Metadata.Next == nil {
			return out
		}
		target = strings.TrimPrefix(*page.Metadata.Next, "http://127.0.0.1:8080")
	}
	t.Fatalf("the listing of %d keys did not end after %d pages", n, n/2+2)
	return nil
}
