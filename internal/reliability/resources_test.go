package reliability_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/byokctl/byok/internal/testkit"
	"github.com/byokctl/byok/wrapper"
	"github.com/byokctl/byok/wrapper/byoktest"
)

func TestConnectionsReusedAcrossPages(t *testing.T) {
	const total = 5000
	srv := fake(t)
	srv.Seed(total)
	p := newProbe(t, 1)
	ids, err := listIDs(t.Context(), client(t, srv, p, testkit.NewClock()), 0, total)
	if err != nil || len(ids) != total {
		t.Fatalf("%d keys, %v", len(ids), err)
	}
	pages := total / wrapper.MaxPageSize
	// Every body is read to its end, so the transport reuses the
	// connection: one dial, or a few more on a loaded machine, where
	// net/http drops a connection whose write it saw confirmed late (see
	// probe). A client that did not reuse connections would dial for
	// every page.
	if p.Unread() != 0 || p.Dials() > pages/5 || p.Attempts(http.MethodGet) != pages {
		t.Errorf("%d pages over %d connections (%d bodies closed before their end); want %d pages over one", p.Attempts(http.MethodGet), p.Dials(), p.Unread(), pages)
	}
	assertAllClosed(t, p)
	t.Logf("%d pages of %d keys: %d dial(s)", pages, wrapper.MaxPageSize, p.Dials())
}

// TestBodiesClosed sends requests that end every way a request can end
// and checks after each that the client closed every response body.
func TestBodiesClosed(t *testing.T) {
	srv := fake(t, byoktest.WithForbiddenKeys("cck-forbidden"), byoktest.WithFaults(byoktest.Faults{Delay: 10 * time.Second}))
	ids := srv.Seed(500)
	p := newProbe(t, 0)
	c := client(t, srv, p, testkit.NewClock(), wrapper.WithRetryPolicy(wrapper.RetryPolicy{MaxAttempts: 2, BaseDelay: time.Millisecond}))
	ctx := t.Context()
	failNext := func(n int, mode byoktest.FaultMode, ops ...byoktest.Operation) {
		t.Helper()
		if err := srv.FailNext(n, mode, ops...); err != nil {
			t.Fatal(err)
		}
	}

	for _, tt := range []struct {
		name    string
		run     func() error
		wantErr bool
	}{
		{"whole listing", func() error {
			_, err := listIDs(ctx, c, 0, 500)
			return err
		}, false},
		{"loop broken after 150 keys", func() error {
			n := 0
			for _, err := range c.Keys(ctx, wrapper.ListKeysOptions{}) {
				if err != nil {
					return err
				}
				if n++; n == 150 {
					break
				}
			}
			return nil
		}, false},
		{"listing failing on its second page", func() error {
			n := 0
			for _, err := range c.Keys(ctx, wrapper.ListKeysOptions{}) {
				if err != nil {
					return err
				}
				if n++; n == 50 {
					failNext(2, byoktest.FaultServerError, byoktest.OpList)
				}
			}
			return nil
		}, true},
		{"listing canceled in the loop", func() error {
			ctx, cancel := context.WithCancel(ctx)
			defer cancel()
			n := 0
			for _, err := range c.Keys(ctx, wrapper.ListKeysOptions{}) {
				if err != nil {
					return err
				}
				if n++; n == 120 {
					cancel()
				}
			}
			return nil
		}, true},
		{"404", func() error { _, _, err := c.GetKey(ctx, "cck-missing"); return err }, true},
		{"403", func() error { _, _, err := c.GetKey(ctx, "cck-forbidden"); return err }, true},
		{"409", func() error {
			k, _, err := c.GetKey(ctx, ids[0])
			if err != nil {
				return nil // fails the case: an error is wanted from the create
			}
			_, _, err = c.CreateKey(ctx, wrapper.CreateKeyRequest{Material: k.Material})
			return err
		}, true},
		{"422", func() error {
			if err := srv.RespondNext(byoktest.OpUpdate, http.StatusUnprocessableEntity); err != nil {
				return nil
			}
			_, _, err := c.UpdateKey(ctx, ids[0], wrapper.UpdateKeyRequest{DisplayName: "renamed"})
			return err
		}, true},
		{"429 to every attempt", func() error {
			for range 2 {
				if err := srv.RespondNext(byoktest.OpGet, http.StatusTooManyRequests); err != nil {
					return err
				}
			}
			_, _, err := c.GetKey(ctx, ids[0])
			return err
		}, true},
		{"500 to every attempt", func() error {
			failNext(2, byoktest.FaultServerError, byoktest.OpGet)
			_, _, err := c.GetKey(ctx, ids[0])
			return err
		}, true},
		{"HTML 502 to every attempt", func() error {
			failNext(2, byoktest.FaultHTML, byoktest.OpGet)
			_, _, err := c.GetKey(ctx, ids[0])
			return err
		}, true},
		{"truncated to every attempt", func() error {
			failNext(2, byoktest.FaultTruncated, byoktest.OpGet)
			_, _, err := c.GetKey(ctx, ids[0])
			return err
		}, true},
		// One reset only: net/http itself resends a GET whose reused
		// connection was reset, so the number of resets an attempt
		// absorbs depends on the connection's history.
		{"reset, then an answer", func() error {
			failNext(1, byoktest.FaultReset, byoktest.OpGet)
			_, _, err := c.GetKey(ctx, ids[0])
			return err
		}, false},
		{"create answer dropped", func() error {
			failNext(1, byoktest.FaultDropResponse, byoktest.OpCreate)
			_, _, err := c.CreateKey(ctx, wrapper.CreateKeyRequest{Material: wrapper.GCPKey{KeyID: "projects/p/locations/us-central1/keyRings/r/cryptoKeys/dropped"}})
			return err
		}, true},
		{"deadline during a slow answer", func() error {
			failNext(1, byoktest.FaultSlow, byoktest.OpGet)
			ctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
			defer cancel()
			_, _, err := c.GetKey(ctx, ids[0])
			return err
		}, true},
		{"wait for validation", func() error {
			k, _, err := c.CreateKey(ctx, wrapper.CreateKeyRequest{Material: wrapper.AWSKey{KeyARN: "arn:aws:kms:us-west-2:111122223333:key/waited"}})
			if err != nil {
				return err
			}
			_, err = c.WaitForValidation(ctx, k.ID)
			return err
		}, false},
		{"delete", func() error { _, err := c.DeleteKey(ctx, ids[1]); return err }, false},
	} {
		err := tt.run()
		if (err != nil) != tt.wantErr {
			t.Errorf("%s: got %v, want an error: %v", tt.name, err, tt.wantErr)
		}
		if open := p.Open(); len(open) > 0 {
			t.Errorf("%s: %d response bodies left open: %v", tt.name, len(open), open)
		}
	}

	// An answer larger than MaxResponseBytes, from a server of our own.
	big := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		chunk := []byte(strings.Repeat(" ", 64<<10))
		for range (wrapper.MaxResponseBytes >> 16) + 2 {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	}))
	defer big.Close()
	bc, err := wrapper.New(wrapper.WithAPIKey("KEY", "secret"), wrapper.WithEndpoint(big.URL),
		wrapper.WithHTTPClient(&http.Client{Transport: p, Timeout: 10 * time.Second}), wrapper.WithClock(testkit.NewClock()))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := bc.GetKey(ctx, "cck-big"); !errors.Is(err, wrapper.ErrResponseTooLarge) {
		t.Errorf("oversized answer: %v; want ErrResponseTooLarge", err)
	}
	assertAllClosed(t, p)
}

func TestNoGoroutineLeft(t *testing.T) {
	before := runtime.NumGoroutine()
	func() {
		srv := fake(t, byoktest.WithFaults(byoktest.Faults{Seed: 3, Rate: 0.2, Modes: listFaults, Burst: 1, Delay: 10 * time.Second}))
		defer func() {
			if err := srv.Close(); err != nil {
				t.Error(err)
			}
		}()
		ids := srv.Seed(1000)
		// The library's own HTTP client, not a test transport.
		c, err := wrapper.New(wrapper.WithAPIKey(srv.APIKey(), srv.APISecret()), wrapper.WithEndpoint(srv.URL()),
			wrapper.WithClock(testkit.NewClock()), wrapper.WithRetryPolicy(patientPolicy()))
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
		defer cancel()
		if _, err := listIDs(ctx, c, 50, 1000); err != nil {
			t.Error(err)
		}
		for _, err := range c.Keys(ctx, wrapper.ListKeysOptions{}) {
			if err != nil {
				t.Error(err)
			}
			break
		}
		var wg sync.WaitGroup
		for w := range 5 {
			wg.Go(func() {
				for i := range 10 {
					_, _, _ = c.CreateKey(ctx, wrapper.CreateKeyRequest{Material: wrapper.GCPKey{
						KeyID: "projects/p/locations/us-central1/keyRings/r/cryptoKeys/leak-" + string(rune('a'+w)) + string(rune('a'+i)),
					}})
					_, _, _ = c.GetKey(ctx, ids[w*10+i])
				}
			})
		}
		wg.Wait()
		if err := srv.FailNext(1, byoktest.FaultSlow, byoktest.OpGet); err != nil {
			t.Fatal(err)
		}
		short, stop := context.WithTimeout(ctx, 50*time.Millisecond)
		defer stop()
		if _, _, err := c.GetKey(short, ids[0]); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("slow answer: %v; want the deadline", err)
		}
	}()
	after, stacks := waitForGoroutines(before)
	if after > before {
		t.Errorf("%d goroutines before, %d after the client and the server closed:\n%s", before, after, stacks)
	}
	t.Logf("goroutines: %d before, %d after (%d left)", before, after, max(after-before, 0))
}
