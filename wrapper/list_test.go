package wrapper_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/byokctl/byok/internal/testkit"
	"github.com/byokctl/byok/wrapper"
)

func TestListKeysPage100(t *testing.T) {
	body := testdata(t, "page-100.json")
	srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		expectRequest(t, r, http.MethodGet, "/byok/v1/keys")
		if got := r.URL.Query().Get("page_size"); got != "100" {
			t.Errorf("page_size = %q", got)
		}
		w.Header().Set("X-Request-Id", "req-list")
		w.Header().Set("X-RateLimit-Limit", "60")
		w.Header().Set("X-RateLimit-Remaining", "59")
		w.Header().Set("X-RateLimit-Reset", "42")
		writeJSON(w, http.StatusOK, body)
	}))
	page, r, err := newClient(t, srv, testkit.NewClock()).ListKeys(context.Background(), wrapper.ListKeysOptions{PageSize: 100})
	if err != nil {
		t.Fatal(err)
	}
	want := generic(t, body)
	data := want["data"].([]any)
	if len(page.Keys) != len(data) || len(data) != 100 {
		t.Fatalf("%d keys, want %d", len(page.Keys), len(data))
	}
	for i, k := range page.Keys {
		checkKey(t, k, data[i].(map[string]any))
	}
	if page.NextPageToken != "UvmDWOB1iwfAIBPj6EYb" || page.TotalSize != 243 {
		t.Errorf("next %q total %d", page.NextPageToken, page.TotalSize)
	}
	if r.StatusCode != 200 || r.RequestID != "req-list" || r.RateLimit.Limit != 60 || r.RateLimit.Remaining != 59 || r.RateLimit.Reset != 42*time.Second || !r.RateLimit.HasReset {
		t.Errorf("response %+v", r)
	}
}

func TestListKeysFiltersSent(t *testing.T) {
	srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		want := url.Values{
			"display_name": {"billing & more"}, "provider": {"AWS"}, "state": {"IN_USE"},
			"validation_phase": {"VALID"}, "validation_region": {"us-west-2"},
			"key": {"arn:aws:kms"}, "page_size": {"7"}, "page_token": {"tok=1&x"},
		}
		if got := r.URL.Query(); got.Encode() != want.Encode() {
			t.Errorf("query %s, want %s", got.Encode(), want.Encode())
		}
		writeJSON(w, http.StatusOK, []byte(`{"api_version":"byok/v1","kind":"KeyList","metadata":{},"data":[]}`))
	}))
	page, _, err := newClient(t, srv, testkit.NewClock()).ListKeys(context.Background(), wrapper.ListKeysOptions{
		DisplayName: "billing & more", Provider: wrapper.ProviderAWS, State: wrapper.StateInUse,
		ValidationPhase: wrapper.PhaseValid, ValidationRegion: "us-west-2", Key: "arn:aws:kms",
		PageSize: 7, PageToken: "tok=1&x",
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Keys) != 0 || page.NextPageToken != "" {
		t.Errorf("page %+v", page)
	}
}

func TestListKeysPageSizeChecked(t *testing.T) {
	var requests atomic.Int32
	srv := serve(t, http.HandlerFunc(func(http.ResponseWriter, *http.Request) { requests.Add(1) }))
	c := newClient(t, srv, testkit.NewClock())
	for _, n := range []int{-1, 101, 500} {
		if _, _, err := c.ListKeys(context.Background(), wrapper.ListKeysOptions{PageSize: n}); err == nil || !strings.Contains(err.Error(), "expected 1 to 100") {
			t.Errorf("PageSize %d: %v", n, err)
		}
		for _, err := range c.Keys(context.Background(), wrapper.ListKeysOptions{PageSize: n}) {
			if err == nil {
				t.Errorf("Keys with PageSize %d yielded a key", n)
			}
		}
	}
	if requests.Load() != 0 {
		t.Errorf("%d requests sent", requests.Load())
	}
}

func TestListKeysUnknownKind(t *testing.T) {
	body := testdata(t, "page-unknown-kind.json")
	srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		fault(w, "a kind newer than the spec")
		writeJSON(w, http.StatusOK, body)
	}))
	c := newRawClient(t, srv, testkit.NewClock())
	page, _, err := c.ListKeys(context.Background(), wrapper.ListKeysOptions{})
	if err != nil {
		t.Fatalf("an unknown kind failed the list: %v", err)
	}
	data := generic(t, body)["data"].([]any)
	if len(page.Keys) != 3 {
		t.Fatalf("%d keys, want 3", len(page.Keys))
	}
	for i, k := range page.Keys {
		checkKey(t, k, data[i].(map[string]any))
	}
	if _, ok := page.Keys[1].Material.(wrapper.UnknownKey); !ok {
		t.Errorf("key 1 is %T, want UnknownKey", page.Keys[1].Material)
	}
	var kinds []string
	for k, err := range c.Keys(context.Background(), wrapper.ListKeysOptions{}) {
		if err != nil {
			t.Fatal(err)
		}
		kinds = append(kinds, k.Material.Kind())
	}
	if strings.Join(kinds, ",") != "AwsKey,OciKey,GcpKey" {
		t.Errorf("kinds %v", kinds)
	}
}

func TestListKeysMalformedKeyAlone(t *testing.T) {
	body := testdata(t, "page-malformed-keys.json")
	data := generic(t, body)["data"].([]any)
	srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		fault(w, "malformed keys")
		writeJSON(w, http.StatusOK, body)
	}))
	c := newRawClient(t, srv, testkit.NewClock())
	page, _, err := c.ListKeys(context.Background(), wrapper.ListKeysOptions{})
	if err != nil || page == nil || len(page.Keys) != 2 {
		t.Fatalf("page %+v, error %v: want the 2 good keys and no error", page, err)
	}
	checkKey(t, page.Keys[0], data[0].(map[string]any))
	checkKey(t, page.Keys[1], data[3].(map[string]any))
	bad := page.DecodeErrors
	if len(bad) != 2 || bad[0].Index != 1 || bad[0].ID != str(data[1].(map[string]any), "id") || bad[1].Index != 2 {
		t.Fatalf("decode errors %v: want KeyDecodeErrors for keys 1 and 2", bad)
	}
	msg := errors.Join(bad[0], bad[1]).Error()
	for _, want := range []string{"key 1 of the page", "key 2 of the page", "no \"kind\"", "key.kind"} {
		if !strings.Contains(msg, want) {
			t.Errorf("errors %q do not contain %q", msg, want)
		}
	}
	var got []string
	for k, err := range c.Keys(context.Background(), wrapper.ListKeysOptions{}) {
		if err != nil {
			got = append(got, "error")
			continue
		}
		got = append(got, k.ID)
	}
	want := []string{str(data[0].(map[string]any), "id"), "error", "error", str(data[3].(map[string]any), "id")}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("Keys yielded %v, want %v", got, want)
	}
}

// pagedServer serves n pages of 2 keys each, checking that every request
// carries the filters.
func pagedServer(t *testing.T, pages int, requests *atomic.Int32, filters url.Values) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := int(requests.Add(1))
		q := r.URL.Query()
		for name := range filters {
			if q.Get(name) != filters.Get(name) {
				t.Errorf("request %d: %s = %q, want %q", n, name, q.Get(name), filters.Get(name))
			}
		}
		wantToken := ""
		if n > 1 {
			wantToken = fmt.Sprintf("tok-%d", n)
		}
		if q.Get("page_token") != wantToken {
			t.Errorf("request %d: page_token %q, want %q", n, q.Get("page_token"), wantToken)
		}
		var data []string
		for i := range 2 {
			id := fmt.Sprintf("cck-p%dk%d", n, i)
			data = append(data, fmt.Sprintf(`{"id":%q,"metadata":{"self":"https://api.confluent.cloud/byok/v1/keys/%s"},"key":{"kind":"AwsKey","key_arn":"arn:aws:kms:us-west-2:1:key/%s"},"provider":"AWS","state":"IN_USE","validation":{"phase":"VALID","since":"2024-03-20T15:30:00Z"}}`, id, id, id))
		}
		next := ""
		if n < pages {
			next = fmt.Sprintf(`"next":"https://api.confluent.cloud/byok/v1/keys?page_size=2&page_token=tok-%d",`, n+1)
		}
		writeJSON(w, http.StatusOK, fmt.Appendf(nil, `{"api_version":"byok/v1","kind":"KeyList","metadata":{%s"total_size":%d},"data":[%s]}`, next, pages*2, strings.Join(data, ",")))
	})
}

func TestKeysAllPagesWithFilters(t *testing.T) {
	var requests atomic.Int32
	filters := url.Values{"provider": {"AWS"}, "validation_phase": {"VALID"}, "page_size": {"2"}}
	srv := serve(t, pagedServer(t, 4, &requests, filters))
	var ids []string
	for k, err := range newClient(t, srv, testkit.NewClock()).Keys(context.Background(), wrapper.ListKeysOptions{Provider: wrapper.ProviderAWS, ValidationPhase: wrapper.PhaseValid, PageSize: 2}) {
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, k.ID)
	}
	want := "[cck-p1k0 cck-p1k1 cck-p2k0 cck-p2k1 cck-p3k0 cck-p3k1 cck-p4k0 cck-p4k1]"
	if fmt.Sprint(ids) != want {
		t.Errorf("ids %v, want %s", ids, want)
	}
	if requests.Load() != 4 {
		t.Errorf("%d requests, want 4", requests.Load())
	}
}

func TestKeysDefaultPageSize100(t *testing.T) {
	var requests atomic.Int32
	srv := serve(t, pagedServer(t, 1, &requests, url.Values{"page_size": {"100"}}))
	for _, err := range newClient(t, srv, testkit.NewClock()).Keys(context.Background(), wrapper.ListKeysOptions{}) {
		if err != nil {
			t.Fatal(err)
		}
	}
	if requests.Load() != 1 {
		t.Errorf("%d requests", requests.Load())
	}
}

func TestKeysBreakStopsFetching(t *testing.T) {
	var requests atomic.Int32
	srv := serve(t, pagedServer(t, 10, &requests, nil))
	seen := 0
	for _, err := range newClient(t, srv, testkit.NewClock()).Keys(context.Background(), wrapper.ListKeysOptions{PageSize: 2}) {
		if err != nil {
			t.Fatal(err)
		}
		seen++
		if seen == 3 { // the first key of page 2
			break
		}
	}
	if requests.Load() != 2 {
		t.Errorf("%d requests after breaking on page 2, want 2", requests.Load())
	}
}

func TestKeysRepeatedPageToken(t *testing.T) {
	var requests atomic.Int32
	srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		n := requests.Add(1)
		if n > 5 {
			t.Error("the iterator kept following a repeated token")
			return
		}
		// page 1 -> A, page 2 -> B, page 3 -> A again.
		token := map[int32]string{1: "A", 2: "B", 3: "A"}[n]
		id := fmt.Sprintf("cck-%d", n)
		writeJSON(w, http.StatusOK, fmt.Appendf(nil, `{"api_version":"byok/v1","kind":"KeyList","metadata":{"next":"https://api.confluent.cloud/byok/v1/keys?page_token=%s"},"data":[{"id":%q,"metadata":{"self":"https://api.confluent.cloud/byok/v1/keys/%s"},"key":{"kind":"GcpKey","key_id":"k"},"provider":"GCP","state":"AVAILABLE","validation":{"phase":"VALID","since":"2024-03-20T15:30:00Z"}}]}`, token, id, id))
	}))
	var ids []string
	var errs []error
	for k, err := range newClient(t, srv, testkit.NewClock()).Keys(context.Background(), wrapper.ListKeysOptions{}) {
		if err != nil {
			errs = append(errs, err)
			continue
		}
		ids = append(ids, k.ID)
	}
	if fmt.Sprint(ids) != "[cck-1 cck-2 cck-3]" {
		t.Errorf("ids %v", ids)
	}
	if len(errs) != 1 || !strings.Contains(errs[0].Error(), `sent page token "A" again`) {
		t.Errorf("errors %v, want one saying the token came again", errs)
	}
	if requests.Load() != 3 {
		t.Errorf("%d requests, want 3", requests.Load())
	}
}

func TestKeysErrorOnceThenEnds(t *testing.T) {
	var requests atomic.Int32
	srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		requests.Add(1)
		writeJSON(w, http.StatusForbidden, testdata(t, "failure-403.json"))
	}))
	var errs []error
	for _, err := range newClient(t, srv, testkit.NewClock()).Keys(context.Background(), wrapper.ListKeysOptions{}) {
		errs = append(errs, err)
	}
	if len(errs) != 1 || !errors.Is(errs[0], wrapper.ErrForbidden) {
		t.Errorf("yielded %v, want one ErrForbidden", errs)
	}
	if requests.Load() != 1 {
		t.Errorf("%d requests", requests.Load())
	}
}

func TestListNextLinkWithoutToken(t *testing.T) {
	srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, []byte(`{"api_version":"byok/v1","kind":"KeyList","metadata":{"next":"https://api.confluent.cloud/byok/v1/keys?page_size=5"},"data":[]}`))
	}))
	_, _, err := newClient(t, srv, testkit.NewClock()).ListKeys(context.Background(), wrapper.ListKeysOptions{})
	if err == nil || !strings.Contains(err.Error(), "has no page_token") {
		t.Errorf("got %v", err)
	}
}

func TestListKeysPageNotJSON(t *testing.T) {
	srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		fault(w, "broken body")
		writeJSON(w, http.StatusOK, []byte(`{"data": 5}`))
	}))
	_, _, err := newRawClient(t, srv, testkit.NewClock()).ListKeys(context.Background(), wrapper.ListKeysOptions{})
	if err == nil || !strings.Contains(err.Error(), "list keys: decoding the 200 answer") {
		t.Errorf("got %v", err)
	}
}

// TestKeysDuplicateData: a page whose "data" member appears twice is read as
// encoding/json reads it, the last one counting; before, its keys and decode
// errors were both kept, out of step, and Keys panicked.
func TestKeysDuplicateData(t *testing.T) {
	srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		fault(w, "a duplicate data member")
		writeJSON(w, http.StatusOK, []byte(`{"metadata":{},`+
			`"data":[{"id":"cck-1","key":{"kind":"AwsKey","key_arn":"arn:1"}},{"id":"cck-bad"}],`+
			`"data":[{"id":"cck-bad2"},{"id":"cck-2","key":{"kind":"AwsKey","key_arn":"arn:2"}}]}`))
	}))
	c := newRawClient(t, srv, testkit.NewClock())
	page, _, err := c.ListKeys(context.Background(), wrapper.ListKeysOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Keys) != 1 || page.Keys[0].ID != "cck-2" || len(page.DecodeErrors) != 1 || page.DecodeErrors[0].ID != "cck-bad2" {
		t.Errorf("keys %v, decode errors %v; want the last data member: cck-bad2, cck-2", page.Keys, page.DecodeErrors)
	}
	var got []string
	for k, err := range c.Keys(context.Background(), wrapper.ListKeysOptions{}) {
		got = append(got, fmt.Sprintf("%s %v", k.ID, err != nil))
	}
	if want := []string{"cck-bad2 true", "cck-2 false"}; strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("Keys yielded %q, want %q", got, want)
	}
}

// TestListKeysDataMissingOrNull: a page without "data", or with "data": null
// and a next link, fails the listing instead of ending it as if there were
// no more keys; "data": null on the last page is a page without keys.
func TestListKeysDataMissingOrNull(t *testing.T) {
	const next = `"next":"https://api.confluent.cloud/byok/v1/keys?page_token=p2"`
	for _, tc := range []struct {
		name, body, wantErr string
	}{
		{"no data", `{"api_version":"byok/v1","kind":"KeyList","metadata":{}}`, `the page has no "data" member; expected an array of keys`},
		{"no data, next", `{"api_version":"byok/v1","kind":"KeyList","metadata":{` + next + `}}`, `the page has no "data" member`},
		{"null data, next", `{"api_version":"byok/v1","kind":"KeyList","metadata":{` + next + `},"data":null}`, `"data" is null on a page with a next link; expected an array of keys`},
		{"null data, last page", `{"api_version":"byok/v1","kind":"KeyList","metadata":{},"data":null}`, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var requests atomic.Int32
			srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				requests.Add(1)
				fault(w, "a page without its data")
				writeJSON(w, http.StatusOK, []byte(tc.body))
			}))
			c := newRawClient(t, srv, testkit.NewClock())
			page, _, err := c.ListKeys(context.Background(), wrapper.ListKeysOptions{})
			switch {
			case tc.wantErr == "" && (err != nil || len(page.Keys) != 0 || page.NextPageToken != ""):
				t.Fatalf("ListKeys: page %+v, error %v; want an empty last page", page, err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("ListKeys: error %v, want one containing %q", err, tc.wantErr)
			}
			var errs []error
			for _, err := range c.Keys(context.Background(), wrapper.ListKeysOptions{}) {
				errs = append(errs, err)
			}
			if (tc.wantErr == "") != (len(errs) == 0) || len(errs) > 1 {
				t.Errorf("Keys yielded %v; want %s", errs, map[bool]string{true: "nothing", false: "one error"}[tc.wantErr == ""])
			}
		})
	}
}
