package wrapper_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/byokctl/byok/internal/testkit"
	"github.com/byokctl/byok/wrapper"
)

// Tests of the fixes issue 12 asked for, each of which failed before.

// TestKeysBoundsEmptyPages: a server that sends empty pages, each with a new
// token, got 56,314 requests in 3s. Keys now waits from the second empty
// page on and gives up after ten in a row.
func TestKeysBoundsEmptyPages(t *testing.T) {
	var requests atomic.Int32
	srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		n := requests.Add(1)
		next := fmt.Sprintf(`"next":"https://api.confluent.cloud/byok/v1/keys?page_token=t%d",`, n)
		if n > 100 {
			t.Error("the listing was not bounded")
			next = ""
		}
		writeJSON(w, http.StatusOK, []byte(`{"api_version":"byok/v1","kind":"KeyList","metadata":{`+next+`"total_size":0},"data":[]}`))
	}))
	clock := testkit.NewClock()
	var errs []error
	for _, err := range newClient(t, srv, clock).Keys(context.Background(), wrapper.ListKeysOptions{}) {
		errs = append(errs, err)
	}
	if len(errs) != 1 || !strings.Contains(errs[0].Error(), "10 pages in a row without a key") {
		t.Errorf("yielded %v, want one error saying the pages were empty", errs)
	}
	if n := requests.Load(); n != 10 {
		t.Errorf("%d requests, want 10", n)
	}
	sleeps := clock.Sleeps()
	if len(sleeps) != 8 {
		t.Fatalf("waits %v, want one before each empty page after the second", sleeps)
	}
	for i := 1; i < len(sleeps); i++ {
		if sleeps[i] < sleeps[i-1] || sleeps[i] <= 0 {
			t.Errorf("waits %v do not grow", sleeps)
		}
	}
}

// TestKeysEmptyPageThenKeys: an empty page now and then is fine.
func TestKeysEmptyPageThenKeys(t *testing.T) {
	var requests atomic.Int32
	srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		n := requests.Add(1)
		data, next := "", fmt.Sprintf(`"next":"https://api.confluent.cloud/byok/v1/keys?page_token=t%d"`, n)
		if n == 3 {
			data, next = `{"id":"cck-1","metadata":{"self":"https://api.confluent.cloud/byok/v1/keys/cck-1"},"key":{"kind":"GcpKey","key_id":"k"},"provider":"GCP","state":"AVAILABLE","validation":{"phase":"VALID","since":"2024-03-20T15:30:00Z"}}`, ""
		}
		writeJSON(w, http.StatusOK, []byte(`{"api_version":"byok/v1","kind":"KeyList","metadata":{`+next+`},"data":[`+data+`]}`))
	}))
	var ids []string
	for k, err := range newClient(t, srv, testkit.NewClock()).Keys(context.Background(), wrapper.ListKeysOptions{}) {
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, k.ID)
	}
	if fmt.Sprint(ids) != "[cck-1]" {
		t.Errorf("ids %v", ids)
	}
}

// TestTotalSizeNotAnInteger: metadata.total_size is informational; a value
// that is not an integer used to fail the whole listing.
func TestTotalSizeNotAnInteger(t *testing.T) {
	for _, total := range []string{`12.5`, `"many"`, `1e99`} {
		srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			fault(w, "total_size is not an integer")
			writeJSON(w, http.StatusOK, []byte(`{"api_version":"byok/v1","kind":"KeyList","metadata":{"total_size":`+total+`,"next":"https://api.confluent.cloud/byok/v1/keys?page_token=n"},"data":[]}`))
		}))
		page, _, err := newRawClient(t, srv, testkit.NewClock()).ListKeys(context.Background(), wrapper.ListKeysOptions{})
		if err != nil || page.TotalSize != 0 || page.NextPageToken != "n" {
			t.Errorf("total_size %s: page %+v, error %v; want the page with TotalSize 0", total, page, err)
		}
	}
}

// TestStatusNotRepeated: a title that repeats the status text is not
// written twice ("404 Not Found: Not Found: ...").
func TestStatusNotRepeated(t *testing.T) {
	srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusNotFound, []byte(`{"errors":[{"status":"404","title":"Not Found","detail":"The key cck-1 does not exist."}]}`))
	}))
	_, _, err := newClient(t, srv, testkit.NewClock()).GetKey(context.Background(), "cck-1")
	if err == nil || !strings.Contains(err.Error(), "404 Not Found: The key cck-1 does not exist.") || strings.Count(err.Error(), "Not Found") != 1 {
		t.Errorf("got %v", err)
	}
	// A gateway's plain-text body that is only the status line.
	plain := serve(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte("503 Service Unavailable\n"))
	}))
	_, _, err = newRawClient(t, plain, testkit.NewClock(), wrapper.WithoutRetries()).GetKey(context.Background(), "cck-1")
	if err == nil || strings.Count(err.Error(), "Service Unavailable") != 1 {
		t.Errorf("plain-text status body: got %v", err)
	}
}

// TestZeroClientAndNilContext: a zero Client and a nil context give an
// error, not a panic.
func TestZeroClientAndNilContext(t *testing.T) {
	var zero wrapper.Client
	calls := map[string]func(*wrapper.Client, context.Context) error{
		"get": func(c *wrapper.Client, ctx context.Context) error { _, _, err := c.GetKey(ctx, "cck-1"); return err },
		"list": func(c *wrapper.Client, ctx context.Context) error {
			_, _, err := c.ListKeys(ctx, wrapper.ListKeysOptions{})
			return err
		},
		"delete": func(c *wrapper.Client, ctx context.Context) error { _, err := c.DeleteKey(ctx, "cck-1"); return err },
		"wait": func(c *wrapper.Client, ctx context.Context) error {
			_, err := c.WaitForValidation(ctx, "cck-1")
			return err
		},
		"keys": func(c *wrapper.Client, ctx context.Context) error {
			for _, err := range c.Keys(ctx, wrapper.ListKeysOptions{}) {
				return err
			}
			return errors.New("no error yielded")
		},
	}
	srv := serve(t, http.HandlerFunc(func(http.ResponseWriter, *http.Request) { t.Error("a request was sent") }))
	real := newClient(t, srv, testkit.NewClock())
	for name, call := range calls {
		if err := call(&zero, context.Background()); err == nil || !strings.Contains(err.Error(), "not created by New") {
			t.Errorf("%s on a zero Client: %v", name, err)
		}
		if err := call(nil, context.Background()); err == nil || !strings.Contains(err.Error(), "not created by New") {
			t.Errorf("%s on a nil Client: %v", name, err)
		}
		//nolint:staticcheck // a nil context on purpose
		if err := call(real, nil); err == nil || !strings.Contains(err.Error(), "context is nil") {
			t.Errorf("%s with a nil context: %v", name, err)
		}
	}
}
