package wrapper_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/byokctl/byok/internal/testkit"
	"github.com/byokctl/byok/wrapper"
)

// phases answers GETs of cck-1 with the given validation phases in turn
// (the last one repeated).
func phases(t *testing.T, requests *atomic.Int32, list ...string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		expectRequest(t, r, http.MethodGet, "/byok/v1/keys/cck-1")
		n := int(requests.Add(1))
		if n > 50 {
			t.Error("more than 50 checks")
			return
		}
		phase := list[min(n, len(list))-1]
		msg := ""
		if phase == "INVALID" {
			msg = `,"message":"Access to key denied."`
		}
		writeJSON(w, http.StatusOK, fmt.Appendf(nil, `{"api_version":"byok/v1","kind":"Key","id":"cck-1","metadata":{"self":"https://api.confluent.cloud/byok/v1/keys/cck-1"},"key":{"kind":"AwsKey","key_arn":"arn:aws:kms:us-west-2:1:key/k"},"provider":"AWS","state":"AVAILABLE","validation":{"phase":%q,"since":"2024-03-20T15:30:0%dZ"%s}}`, phase, n%10, msg))
	})
}

func TestWaitForValidationValid(t *testing.T) {
	var requests atomic.Int32
	srv := serve(t, phases(t, &requests, "INITIALIZING", "INITIALIZING", "SOMETHING_NEW", "INITIALIZING", "VALID"))
	clock := testkit.NewClock()
	var progress []wrapper.WaitProgress
	k, err := newClient(t, srv, clock).WaitForValidation(context.Background(), "cck-1",
		wrapper.WithPollInterval(time.Second, 4*time.Second),
		wrapper.WithProgress(func(p wrapper.WaitProgress) { progress = append(progress, p) }))
	if err != nil {
		t.Fatal(err)
	}
	if k.ID != "cck-1" || k.Validation.Phase != wrapper.PhaseValid {
		t.Errorf("key %+v", k)
	}
	if requests.Load() != 5 || len(progress) != 5 {
		t.Fatalf("%d checks, %d progress reports; want 5 and 5", requests.Load(), len(progress))
	}
	sleeps := clock.Sleeps()
	ceilings := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 4 * time.Second}
	if len(sleeps) != 4 {
		t.Fatalf("waits %v", sleeps)
	}
	for i, d := range sleeps {
		if d > ceilings[i] || d < ceilings[i]*3/4 {
			t.Errorf("wait %d is %v, want %v less up to 25%%", i+1, d, ceilings[i])
		}
		if progress[i].Next != d || progress[i].Check != i+1 {
			t.Errorf("progress %d: %+v, want Next %v", i, progress[i], d)
		}
	}
	if last := progress[4]; last.Next != 0 || last.Key.Validation.Phase != wrapper.PhaseValid {
		t.Errorf("last progress %+v", last)
	}
	if progress[4].Elapsed <= 0 {
		t.Errorf("elapsed %v: the fake clock advanced by the waits", progress[4].Elapsed)
	}
}

func TestWaitForValidationInvalid(t *testing.T) {
	var requests atomic.Int32
	srv := serve(t, phases(t, &requests, "INITIALIZING", "INVALID"))
	_, err := newClient(t, srv, testkit.NewClock()).WaitForValidation(context.Background(), "cck-1")
	if !errors.Is(err, wrapper.ErrKeyInvalid) {
		t.Fatalf("got %v, want ErrKeyInvalid", err)
	}
	var ve *wrapper.ValidationError
	if !errors.As(err, &ve) || ve.KeyID != "cck-1" || ve.Message != "Access to key denied." || ve.Key.ID != "cck-1" || ve.Since.IsZero() {
		t.Errorf("validation error %+v", ve)
	}
	if !strings.Contains(err.Error(), "Access to key denied.") {
		t.Errorf("message %q", err)
	}
	if requests.Load() != 2 {
		t.Errorf("%d checks", requests.Load())
	}
}

func TestWaitForValidationDeadlineBeforeNextCheck(t *testing.T) {
	var requests atomic.Int32
	srv := serve(t, phases(t, &requests, "INITIALIZING"))
	clock := testkit.NewClock()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	_, err := newClient(t, srv, clock).WaitForValidation(ctx, "cck-1", wrapper.WithPollInterval(time.Minute, time.Minute))
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "still INITIALIZING after 1 checks") {
		t.Errorf("got %v", err)
	}
	if requests.Load() != 1 || len(clock.Sleeps()) != 0 {
		t.Errorf("%d checks, %d waits", requests.Load(), len(clock.Sleeps()))
	}
}

func TestWaitForValidationCanceled(t *testing.T) {
	var requests atomic.Int32
	srv := serve(t, phases(t, &requests, "INITIALIZING"))
	clock := &blockingClock{Clock: testkit.NewClock(), sleeping: make(chan struct{})}
	c := newClient(t, srv, testkit.NewClock(), wrapper.WithClock(clock))
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-clock.sleeping
		cancel()
	}()
	_, err := c.WaitForValidation(ctx, "cck-1")
	if !errors.Is(err, context.Canceled) || requests.Load() != 1 {
		t.Errorf("got %v after %d checks", err, requests.Load())
	}
}

func TestWaitForValidationNotFound(t *testing.T) {
	srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusNotFound, testdata(t, "failure-404.json"))
	}))
	_, err := newClient(t, srv, testkit.NewClock()).WaitForValidation(context.Background(), "cck-1")
	if !errors.Is(err, wrapper.ErrNotFound) {
		t.Errorf("got %v", err)
	}
}

// TestWaitCanceledDuringCheckSaysPhase: when the context ends during a
// check, the error still says which phase the key was last in, as the doc
// of WaitForValidation promises. Before, the check's error came alone.
func TestWaitCanceledDuringCheckSaysPhase(t *testing.T) {
	var requests atomic.Int32
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	answer := phases(t, &requests, "INITIALIZING")
	srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if requests.Load() == 2 {
			cancel() // the client gives up during the third check
			<-r.Context().Done()
			return
		}
		answer.ServeHTTP(w, r)
	}))
	_, err := newClient(t, srv, testkit.NewClock()).WaitForValidation(ctx, "cck-1")
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "still INITIALIZING after 2 checks") {
		t.Errorf("got %v; want context.Canceled and the last phase", err)
	}
}
