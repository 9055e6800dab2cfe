package reliability_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/byokctl/byok/api"
	"github.com/byokctl/byok/internal/testkit"
	"github.com/byokctl/byok/wrapper"
	"github.com/byokctl/byok/wrapper/byoktest"
)

// listFaults are the faults of the listing test: 5xx answers (a Failure,
// plain text, a proxy's HTML page), connection resets and answers dropped,
// 429 with Retry-After 0 and X-RateLimit-Reset 0.05 (50 ms), and bodies cut
// in half.
var listFaults = []byoktest.FaultMode{
	byoktest.FaultServerError, byoktest.FaultBadGateway, byoktest.FaultUnavailable, byoktest.FaultHTML,
	byoktest.FaultReset, byoktest.FaultDropResponse, byoktest.FaultRateLimitBurst, byoktest.FaultTruncated,
}

// patientPolicy retries often with tiny delays; the injected clock makes
// them free anyway. Twelve attempts outlast any run of faults the seeds
// below produce (the longest is reported by the test).
func patientPolicy() wrapper.RetryPolicy {
	return wrapper.RetryPolicy{MaxAttempts: 12, BaseDelay: time.Millisecond, MaxDelay: 10 * time.Millisecond, MaxServerDelay: 50 * time.Millisecond}
}

// listIDs lists every key with Keys, pageSize at a time, and returns the
// ids in the order they came. It stops at the first error, and after limit
// keys (a server that never ends its listing must not hang the test).
func listIDs(ctx context.Context, c *wrapper.Client, pageSize, limit int) ([]string, error) {
	var ids []string
	for k, err := range c.Keys(ctx, wrapper.ListKeysOptions{PageSize: pageSize}) {
		if err != nil {
			return ids, err
		}
		ids = append(ids, k.ID)
		if len(ids) > limit {
			return ids, fmt.Errorf("more than %d keys: the listing does not end", limit)
		}
	}
	return ids, nil
}

func TestListUnderFaults(t *testing.T) {
	const total, pageSize = 5000, 10
	srv := fake(t)
	seeded := srv.Seed(total)
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()

	// The reference: the same listing without faults.
	reference, err := listIDs(ctx, client(t, srv, newProbe(t, 1), testkit.NewClock()), pageSize, total)
	if err != nil || !slices.Equal(reference, seeded) {
		t.Fatalf("without faults: %d keys, %v; want the %d seeded keys in order", len(reference), err, total)
	}

	if err := srv.SetFaults(byoktest.Faults{Seed: 20240320, Rate: 0.2, Modes: listFaults, Burst: 1,
		Operations: []byoktest.Operation{byoktest.OpList}}); err != nil {
		t.Fatal(err)
	}
	srv.ClearRequests()
	p, clk := newProbe(t, 1), testkit.NewClock()
	got, err := listIDs(ctx, client(t, srv, p, clk, wrapper.WithRetryPolicy(patientPolicy())), pageSize, total)
	if err != nil {
		t.Fatalf("under faults, after %d keys: %v", len(got), err)
	}

	seen := make(map[string]bool, len(got))
	duplicated := 0
	for _, id := range got {
		if seen[id] {
			duplicated++
		}
		seen[id] = true
	}
	lost := 0
	for _, id := range reference {
		if !seen[id] {
			lost++
		}
	}
	if len(got) != total || duplicated != 0 || lost != 0 || !slices.Equal(got, reference) {
		t.Errorf("under faults: %d keys listed, %d lost, %d duplicated, same order: %v; want %d, 0, 0, true",
			len(got), lost, duplicated, slices.Equal(got, reference), total)
	}

	pages := total / pageSize
	reqs := requestsOf(t, srv, byoktest.OpList, pages)
	faults := faultCounts(reqs)
	faulty := len(reqs) - faults[""]
	if faults[""] != pages {
		t.Errorf("%d list requests answered without a fault, want one per page (%d)", faults[""], pages)
	}
	if share := float64(faulty) / float64(len(reqs)); share < 0.15 || share > 0.25 {
		t.Errorf("%d of %d answers were faults (%.1f%%), want about 20%%", faulty, len(reqs), 100*share)
	}
	for _, mode := range listFaults {
		if faults[mode] == 0 {
			t.Errorf("no %s fault was injected: the seed does not exercise every mode", mode)
		}
	}
	longest, run := 0, 0
	for _, r := range reqs {
		if r.Fault != "" {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	if longest >= patientPolicy().MaxAttempts {
		t.Errorf("a run of %d faults: the policy's %d attempts cannot outlast it", longest, patientPolicy().MaxAttempts)
	}
	for _, d := range clk.Sleeps() {
		if d > 50*time.Millisecond {
			t.Errorf("the client waited %s; the waits asked for are at most 50ms", d)
		}
	}
	// A connection is lost when the fake closes it (reset, dropped
	// answer); every other answer, error or not, is read to its end and
	// closed, so that the transport can reuse the connection. (The dials
	// are at least one per connection lost, and far fewer than the
	// requests; net/http may dial once more when a connection dies while
	// it resends a request itself, or when it gives up on a connection
	// whose write it saw confirmed late: see probe.)
	closedByFake := faults[byoktest.FaultReset] + faults[byoktest.FaultDropResponse]
	if p.Unread() != 0 || p.Dials() < 1+closedByFake || p.Dials() > len(reqs)/2 {
		t.Errorf("%d bodies closed before their end; %d dials for %d connections lost and %d requests", p.Unread(), p.Dials(), closedByFake, len(reqs))
	}
	assertAllClosed(t, p)
	t.Logf("listed %d keys (%d lost, %d duplicated) in %d requests, %d faults (%.1f%%: %v), longest run %d; %d dials for %d connections lost; %d waits",
		len(got), lost, duplicated, len(reqs), faulty, 100*float64(faulty)/float64(len(reqs)), faults, longest, p.Dials(), closedByFake, len(clk.Sleeps()))
}

// arnCounter is a middleware of the fake that counts the create requests it
// receives, by the key ARN in their body.
type arnCounter struct {
	mu   sync.Mutex
	arns map[string]int
}

func (a *arnCounter) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			body, _ := io.ReadAll(r.Body)
			r.Body = io.NopCloser(bytes.NewReader(body))
			var k struct {
				Key struct {
					ARN string `json:"key_arn"`
				} `json:"key"`
			}
			_ = json.Unmarshal(body, &k)
			a.mu.Lock()
			a.arns[k.Key.ARN]++
			a.mu.Unlock()
		}
		next.ServeHTTP(w, r)
	})
}

func TestConcurrentCreatesUnderLostResponses(t *testing.T) {
	const workers, each = 20, 25
	counter := &arnCounter{arns: map[string]int{}}
	srv := fake(t, byoktest.WithMiddleware(counter.middleware), byoktest.WithFaults(byoktest.Faults{
		// Both modes apply the create, then lose its answer: no answer at
		// all, or half a body.
		Seed: 11, Rate: 0.1, Modes: []byoktest.FaultMode{byoktest.FaultDropResponse, byoktest.FaultTruncated},
		Operations: []byoktest.Operation{byoktest.OpCreate},
	}))
	p := newProbe(t, 0) // as many connections as the goroutines need
	c := client(t, srv, p, testkit.NewClock(), wrapper.WithRetryPolicy(patientPolicy()))
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()

	type outcome struct {
		arn string
		key *wrapper.Key
		err error
	}
	results := make(chan outcome, workers*each)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				arn := fmt.Sprintf("arn:aws:kms:us-west-2:111122223333:key/worker-%02d-create-%02d", w, i)
				k, _, err := c.CreateKey(ctx, wrapper.CreateKeyRequest{Key: api.Key{DisplayName: "concurrent"}, Material: wrapper.AWSKey{KeyARN: arn}})
				results <- outcome{arn, k, err}
			}
		})
	}
	wg.Wait()
	close(results)

	var succeeded, unknown int
	created := map[string]string{} // ARN -> id, of the successful creates
	for r := range results {
		switch {
		case r.err == nil:
			succeeded++
			created[r.arn] = r.key.ID
		case errors.Is(r.err, wrapper.ErrOutcomeUnknown):
			unknown++
		default:
			t.Errorf("create %s: %v; want success or ErrOutcomeUnknown", r.arn, r.err)
		}
	}
	if succeeded+unknown != workers*each || srv.Len() != succeeded+unknown {
		t.Errorf("%d keys on the server, %d creates succeeded, %d of unknown outcome; want keys == succeeded + unknown == %d",
			srv.Len(), succeeded, unknown, workers*each)
	}
	onServer := map[string]string{}
	for _, k := range srv.Keys() {
		aws, err := k.Key.AsAwsKey()
		if err != nil {
			t.Fatal(err)
		}
		onServer[aws.KeyARN] = k.ID
	}
	for arn, id := range created {
		if onServer[arn] != id {
			t.Errorf("created %s as %s, the server has %q", arn, id, onServer[arn])
		}
	}

	reqs := requestsOf(t, srv, byoktest.OpCreate, workers*each)
	faults := faultCounts(reqs)
	lostAnswers := faults[byoktest.FaultDropResponse] + faults[byoktest.FaultTruncated]
	if lostAnswers != unknown || faults[""] != succeeded || faults[byoktest.FaultDropResponse] == 0 || faults[byoktest.FaultTruncated] == 0 {
		t.Errorf("the fake lost %d answers (%v) and gave %d, the client saw %d unknown outcomes and %d successes",
			lostAnswers, faults, faults[""], unknown, succeeded)
	}
	repeated := 0
	counter.mu.Lock()
	for arn, n := range counter.arns {
		if n != 1 {
			repeated += n - 1
			t.Errorf("the server received %d POSTs of %s, want 1", n, arn)
		}
	}
	received := len(counter.arns) + repeated
	counter.mu.Unlock()
	if attempts := p.Attempts(http.MethodPost); attempts != workers*each || received != workers*each || len(reqs) != workers*each {
		t.Errorf("%d POSTs sent by the client, %d received by the server (%d logged), want %d each", attempts, received, len(reqs), workers*each)
	}
	assertAllClosed(t, p)
	t.Logf("%d creates: %d succeeded, %d outcome unknown, %d keys on the server; %d POSTs sent, %d received, %d repeated",
		workers*each, succeeded, unknown, srv.Len(), p.Attempts(http.MethodPost), received, repeated)
}

func TestDeleteWhoseAnswerIsLost(t *testing.T) {
	srv := fake(t)
	ids := srv.Seed(2)
	if err := srv.FailNext(1, byoktest.FaultDropResponse, byoktest.OpDelete); err != nil {
		t.Fatal(err)
	}
	p := newProbe(t, 1)
	c := client(t, srv, p, testkit.NewClock())
	if _, err := c.DeleteKey(t.Context(), ids[0]); err != nil {
		t.Errorf("delete whose answer was lost, then 404: %v; want success", err)
	}
	reqs := requestsOf(t, srv, byoktest.OpDelete, 2)
	if len(reqs) != 2 || reqs[0].Fault != byoktest.FaultDropResponse || reqs[0].Status != 0 || reqs[1].Status != http.StatusNotFound {
		t.Errorf("the fake saw %+v; want a dropped answer, then 404", reqs)
	}
	if _, ok := srv.Key(ids[0]); ok || srv.Len() != 1 {
		t.Errorf("key %s still there (%d keys)", ids[0], srv.Len())
	}
	// Without an earlier attempt of unknown outcome, 404 is an error.
	if _, err := c.DeleteKey(t.Context(), ids[0]); !errors.Is(err, wrapper.ErrNotFound) {
		t.Errorf("delete of a missing key: %v; want ErrNotFound", err)
	}
	assertAllClosed(t, p)
}

func TestRetryAfterBeyondDeadline(t *testing.T) {
	const window = 10 * time.Minute
	policy := wrapper.RetryPolicy{MaxAttempts: 4, MaxServerDelay: time.Hour} // the deadline, not this cap, must stop it
	for _, tt := range []struct {
		name     string
		deadline time.Duration // real time
		wantErr  bool
	}{
		{"deadline before the window resets", 5 * time.Minute, true},
		{"deadline after the window resets", 2 * time.Hour, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			clk := testkit.NewClock()
			// The fake shares the client's clock: a wait the client
			// sleeps on it moves the fake's rate-limit window.
			srv := fake(t, byoktest.WithClock(clk.Now), byoktest.WithRateLimit(1, window))
			p := newProbe(t, 1)
			c := client(t, srv, p, clk, wrapper.WithRetryPolicy(policy))
			ctx, cancel := context.WithTimeout(t.Context(), tt.deadline)
			defer cancel()
			if _, _, err := c.ListKeys(ctx, wrapper.ListKeysOptions{}); err != nil {
				t.Fatal(err) // uses up the window
			}
			_, _, err := c.ListKeys(ctx, wrapper.ListKeysOptions{})
			if !tt.wantErr {
				if err != nil || !slices.Equal(clk.Sleeps(), []time.Duration{window}) || p.Attempts(http.MethodGet) != 3 {
					t.Errorf("got %v after waits %v and %d requests; want success after one wait of %s", err, clk.Sleeps(), p.Attempts(http.MethodGet), window)
				}
				return
			}
			var apiErr *wrapper.APIError
			if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusTooManyRequests || apiErr.RetryAfter != window {
				t.Fatalf("got %v; want the 429 with Retry-After %s", err, window)
			}
			if len(clk.Sleeps()) != 0 || !clk.Now().Equal(epoch()) {
				t.Errorf("the client waited %v (clock at %s); want no wait at all", clk.Sleeps(), clk.Now())
			}
			if n := p.Attempts(http.MethodGet); n != 2 {
				t.Errorf("%d requests, want 2 (no retry)", n)
			}
			assertAllClosed(t, p)
		})
	}
}

func TestUnavailableTenTimes(t *testing.T) {
	for _, attempts := range []int{1, 3, 4, 10, 11} {
		t.Run(fmt.Sprintf("%d attempts", attempts), func(t *testing.T) {
			srv := fake(t)
			id := srv.Seed(1)[0]
			if err := srv.FailNext(10, byoktest.FaultUnavailable, byoktest.OpGet); err != nil {
				t.Fatal(err)
			}
			p, clk := newProbe(t, 1), testkit.NewClock()
			c := client(t, srv, p, clk, wrapper.WithRetryPolicy(wrapper.RetryPolicy{MaxAttempts: attempts, BaseDelay: time.Millisecond}))
			k, _, err := c.GetKey(t.Context(), id)
			if attempts > 10 {
				// The control: one attempt more than there are faults.
				if err != nil || k.ID != id {
					t.Errorf("got %v after %d attempts; want the key", err, p.Attempts(http.MethodGet))
				}
				return
			}
			var apiErr *wrapper.APIError
			if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusServiceUnavailable || !errors.Is(err, wrapper.ErrServer) {
				t.Errorf("got %v; want the 503", err)
			}
			reqs := requestsOf(t, srv, byoktest.OpGet, attempts)
			if p.Attempts(http.MethodGet) != attempts || len(reqs) != attempts || len(clk.Sleeps()) != attempts-1 {
				t.Errorf("%d attempts sent, %d received, %d waits; want %d, %d, %d",
					p.Attempts(http.MethodGet), len(reqs), len(clk.Sleeps()), attempts, attempts, attempts-1)
			}
			assertAllClosed(t, p)
		})
	}
}

// TestCutAnswers: a 2xx answer whose body was cut short is retried for a
// GET or PATCH, and is an outcome unknown for a create, which is not
// repeated.
func TestCutAnswers(t *testing.T) {
	srv := fake(t)
	id := srv.Seed(1)[0]
	p := newProbe(t, 1)
	c := client(t, srv, p, testkit.NewClock())
	ctx := t.Context()
	for _, op := range []byoktest.Operation{byoktest.OpGet, byoktest.OpUpdate, byoktest.OpCreate} {
		if err := srv.FailNext(1, byoktest.FaultTruncated, op); err != nil {
			t.Fatal(err)
		}
	}
	if k, _, err := c.GetKey(ctx, id); err != nil || k.ID != id {
		t.Errorf("get with a cut answer: %v; want the key after a retry", err)
	}
	if k, _, err := c.UpdateKey(ctx, id, wrapper.UpdateKeyRequest{DisplayName: "renamed"}); err != nil || k.DisplayName != "renamed" {
		t.Errorf("update with a cut answer: %v; want the key after a retry", err)
	}
	_, _, err := c.CreateKey(ctx, wrapper.CreateKeyRequest{Material: wrapper.AWSKey{KeyARN: "arn:aws:kms:us-west-2:111122223333:key/cut"}})
	if !errors.Is(err, wrapper.ErrOutcomeUnknown) || !strings.Contains(err.Error(), "decoding the 201 answer") {
		t.Errorf("create with a cut answer: %v; want ErrOutcomeUnknown naming the 201", err)
	}
	if srv.Len() != 2 {
		t.Errorf("%d keys, want 2 (the create was carried out)", srv.Len())
	}
	if g, u, c := p.Attempts(http.MethodGet), p.Attempts(http.MethodPatch), p.Attempts(http.MethodPost); g != 2 || u != 2 || c != 1 {
		t.Errorf("%d GETs, %d PATCHes, %d POSTs; want 2, 2, 1", g, u, c)
	}
	assertAllClosed(t, p)
}
