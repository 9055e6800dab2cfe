package exporter

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/byokctl/byok/api"
	"github.com/byokctl/byok/wrapper"
)

var epoch = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// fakeAPI is a Lister whose answer the test sets, counting its calls.
type fakeAPI struct {
	mu    sync.Mutex
	keys  []wrapper.Key
	err   error
	calls atomic.Int64
}

func (f *fakeAPI) list(context.Context) ([]wrapper.Key, error) {
	f.calls.Add(1)
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.keys, f.err
}

func (f *fakeAPI) set(keys []wrapper.Key, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.keys, f.err = keys, err
}

func testKeys() []wrapper.Key {
	return []wrapper.Key{
		{Key: api.Key{ID: "cck-valid", DisplayName: "billing", Provider: wrapper.ProviderAWS, State: wrapper.StateInUse,
			Validation: wrapper.Validation{Phase: wrapper.PhaseValid, Region: "us-west-2", Since: epoch.Add(-time.Hour)}}},
		{Key: api.Key{ID: "cck-denied", DisplayName: "pay\nments", Provider: wrapper.ProviderGCP, State: wrapper.StateAvailable,
			Validation: wrapper.Validation{Phase: wrapper.PhaseInvalid, Message: "Access to key denied.", Since: epoch.Add(-time.Minute)}}},
		{Key: api.Key{ID: "cck-newer", DisplayName: "bad \xff utf8", Provider: "OCI", State: "RETIRED",
			Validation: wrapper.Validation{Phase: "DEGRADED"}}},
	}
}

// newTest returns an exporter over a fake API holding testKeys, on a clock
// at epoch.
func newTest(t *testing.T) (*Exporter, *fakeAPI) {
	t.Helper()
	api := &fakeAPI{keys: testKeys()}
	e := New(Options{List: api.list, Interval: time.Minute, Now: func() time.Time { return epoch }})
	return e, api
}

// The exposition of testKeys after one successful poll at epoch, written by
// hand from the metrics the issue asks for.
const wantKeys = `
# HELP byok_key_info A BYOK key, with its descriptive labels; always 1.
# TYPE byok_key_info gauge
byok_key_info{display_name="billing",id="cck-valid",provider="AWS",region="us-west-2",state="IN_USE"} 1
byok_key_info{display_name="pay ments",id="cck-denied",provider="GCP",region="",state="AVAILABLE"} 1
byok_key_info{display_name="bad ` + "\uFFFD" + ` utf8",id="cck-newer",provider="OCI",region="",state="RETIRED"} 1
# HELP byok_key_validation_phase 1 for the key's validation phase, 0 for each other documented phase (INITIALIZING, VALID, INVALID).
# TYPE byok_key_validation_phase gauge
byok_key_validation_phase{id="cck-valid",phase="INITIALIZING"} 0
byok_key_validation_phase{id="cck-valid",phase="VALID"} 1
byok_key_validation_phase{id="cck-valid",phase="INVALID"} 0
byok_key_validation_phase{id="cck-denied",phase="INITIALIZING"} 0
byok_key_validation_phase{id="cck-denied",phase="VALID"} 0
byok_key_validation_phase{id="cck-denied",phase="INVALID"} 1
byok_key_validation_phase{id="cck-newer",phase="INITIALIZING"} 0
byok_key_validation_phase{id="cck-newer",phase="VALID"} 0
byok_key_validation_phase{id="cck-newer",phase="INVALID"} 0
byok_key_validation_phase{id="cck-newer",phase="DEGRADED"} 1
# HELP byok_key_phase_since_timestamp_seconds When the key entered its validation phase, in seconds since the epoch.
# TYPE byok_key_phase_since_timestamp_seconds gauge
byok_key_phase_since_timestamp_seconds{id="cck-valid"} 1.7723628e+09
byok_key_phase_since_timestamp_seconds{id="cck-denied"} 1.77236634e+09
# HELP byok_last_successful_poll_timestamp_seconds When the last successful poll of the BYOK API ended, in seconds since the epoch; 0 before the first.
# TYPE byok_last_successful_poll_timestamp_seconds gauge
byok_last_successful_poll_timestamp_seconds 1.7723664e+09
`

var keyMetrics = []string{"byok_key_info", "byok_key_validation_phase", "byok_key_phase_since_timestamp_seconds",
	"byok_last_successful_poll_timestamp_seconds"}

func TestMetricsOfAPoll(t *testing.T) {
	e, _ := newTest(t)
	if epoch.Unix() != 1772366400 {
		t.Fatalf("epoch is %d", epoch.Unix())
	}
	if err := e.Poll(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := testutil.GatherAndCompare(e.registry, strings.NewReader(wantKeys), keyMetrics...); err != nil {
		t.Error(err)
	}
}

// TestBeforeTheFirstPoll: no key, and a last successful poll at 0, so that
// a stale alert fires for an exporter that never reached the API.
func TestBeforeTheFirstPoll(t *testing.T) {
	e, _ := newTest(t)
	want := `
# HELP byok_last_successful_poll_timestamp_seconds When the last successful poll of the BYOK API ended, in seconds since the epoch; 0 before the first.
# TYPE byok_last_successful_poll_timestamp_seconds gauge
byok_last_successful_poll_timestamp_seconds 0
`
	if err := testutil.GatherAndCompare(e.registry, strings.NewReader(want), keyMetrics...); err != nil {
		t.Error(err)
	}
}

// TestScrapesDoNotPoll: scrapes serve the cached poll; they never call the
// API.
func TestScrapesDoNotPoll(t *testing.T) {
	e, api := newTest(t)
	if err := e.Poll(t.Context()); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(e.Handler())
	defer srv.Close()
	for range 5 {
		body := get(t, srv.URL+"/metrics", http.StatusOK)
		if !strings.Contains(body, `byok_key_validation_phase{id="cck-denied",phase="INVALID"} 1`) {
			t.Fatalf("scrape lacks the INVALID key:\n%s", body)
		}
	}
	if n := api.calls.Load(); n != 1 {
		t.Errorf("the API was called %d times for 1 poll and 5 scrapes", n)
	}
	if body := get(t, srv.URL+"/healthz", http.StatusOK); body != "ok\n" {
		t.Errorf("/healthz: %q", body)
	}
	get(t, srv.URL+"/other", http.StatusNotFound)
}

// TestFailedPollKeepsTheLastKeys: when the API fails, the keys of the last
// successful poll are served, with its time, and the error is counted.
func TestFailedPollKeepsTheLastKeys(t *testing.T) {
	var reported []error
	api := &fakeAPI{keys: testKeys()}
	now := epoch
	e := New(Options{List: api.list, Interval: time.Minute, Now: func() time.Time { return now },
		OnError: func(err error) { reported = append(reported, err) }})
	if err := e.Poll(t.Context()); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("503 Service Unavailable")
	api.set(nil, boom)
	now = epoch.Add(10 * time.Minute)
	for range 2 {
		if err := e.Poll(t.Context()); !errors.Is(err, boom) {
			t.Fatalf("Poll: %v; want %v", err, boom)
		}
	}
	if err := testutil.GatherAndCompare(e.registry, strings.NewReader(wantKeys), keyMetrics...); err != nil {
		t.Error(err)
	}
	if got := testutil.ToFloat64(e.errors); got != 2 || len(reported) != 2 {
		t.Errorf("byok_poll_errors_total = %v, %d errors reported; want 2, 2", got, len(reported))
	}
	// A key deleted meanwhile leaves at the next successful poll.
	api.set(testKeys()[:1], nil)
	if err := e.Poll(t.Context()); err != nil {
		t.Fatal(err)
	}
	if n := testutil.CollectAndCount(keysCollector{e}, "byok_key_info"); n != 1 {
		t.Errorf("%d byok_key_info series; want 1", n)
	}
}

// TestPollTimeout: a poll is bounded by Timeout.
func TestPollTimeout(t *testing.T) {
	e := New(Options{Interval: time.Hour, Timeout: time.Millisecond, List: func(ctx context.Context) ([]wrapper.Key, error) {
		<-ctx.Done()
		return nil, ctx.Err()
	}})
	if err := e.Poll(t.Context()); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Poll: %v; want the deadline", err)
	}
}

// TestRunPollsOnItsInterval: Run polls at once, then on every tick, and
// stops with its context.
func TestRunPollsOnItsInterval(t *testing.T) {
	polled := make(chan struct{}, 100)
	e := New(Options{Interval: 5 * time.Millisecond, List: func(context.Context) ([]wrapper.Key, error) {
		polled <- struct{}{}
		return nil, nil
	}})
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() {
		e.Run(ctx)
		close(done)
	}()
	deadline := time.After(10 * time.Second)
	for i := range 3 {
		select {
		case <-polled:
		case <-deadline:
			t.Fatalf("%d polls within 10s; want 3", i)
		}
	}
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after its context ended")
	}
}

// TestTransportCountsRequestsByCode: every answer is counted by its status;
// a request without an answer is not.
func TestTransportCountsRequestsByCode(t *testing.T) {
	e, _ := newTest(t)
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if n.Add(1) == 2 {
			w.WriteHeader(http.StatusTooManyRequests)
		}
	}))
	client := &http.Client{Transport: e.Transport(http.DefaultTransport)}
	for range 3 {
		get(t, srv.URL, 0, client)
	}
	srv.Close()
	if resp, err := client.Get(srv.URL); err == nil {
		_ = resp.Body.Close()
		t.Fatal("a closed server answered")
	}
	want := `
# HELP byok_api_requests_total Requests sent to the BYOK API, by HTTP status of the answer (retries included).
# TYPE byok_api_requests_total counter
byok_api_requests_total{code="200"} 2
byok_api_requests_total{code="429"} 1
`
	if err := testutil.GatherAndCompare(e.registry, strings.NewReader(want), "byok_api_requests_total"); err != nil {
		t.Error(err)
	}
}

// get fetches url and returns the body; a non-zero status is checked.
func get(t *testing.T, url string, status int, client ...*http.Client) string {
	t.Helper()
	c := http.DefaultClient
	if len(client) > 0 {
		c = client[0]
	}
	resp, err := c.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if status != 0 && resp.StatusCode != status {
		t.Fatalf("GET %s: %d; want %d", url, resp.StatusCode, status)
	}
	return string(body)
}
