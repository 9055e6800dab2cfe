package wrapper_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/byokctl/byok/internal/testkit"
	"github.com/byokctl/byok/wrapper"
)

// gatewayAnswer answers every request with status and a Failure body
// carrying two details and a request id, as a gateway in front of the API
// might (502 and 504 are not in the spec, hence the fault mark).
func gatewayAnswer(status int, requests *atomic.Int32) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		n := requests.Add(1)
		w.Header().Set("X-Request-Id", fmt.Sprintf("gw-req-%d", n))
		fault(w, "a gateway's answer")
		body := fmt.Sprintf(`{"errors":[{"status":"%d","code":"upstream","title":"Upstream failed","detail":"no answer from the upstream"},{"detail":"second detail"}]}`, status)
		writeJSON(w, status, []byte(body))
	})
}

// TestCreateAnsweredByGatewayIsOutcomeUnknown: a create answered 502 or 504
// may have reached the API behind the gateway. It is not retried, and its
// error matches both ErrOutcomeUnknown and ErrServer while keeping the
// *APIError with every detail.
func TestCreateAnsweredByGatewayIsOutcomeUnknown(t *testing.T) {
	for _, status := range []int{http.StatusBadGateway, http.StatusGatewayTimeout} {
		var requests atomic.Int32
		srv := serve(t, gatewayAnswer(status, &requests))
		c := newClient(t, srv, testkit.NewClock())
		_, _, err := c.CreateKey(context.Background(), wrapper.CreateKeyRequest{Material: wrapper.AWSKey{KeyARN: "arn:aws:kms:us-west-2:111122223333:key/x"}})
		var apiErr *wrapper.APIError
		switch {
		case requests.Load() != 1:
			t.Errorf("%d: %d requests, want 1 (a create that may have been carried out is not repeated)", status, requests.Load())
		case !errors.Is(err, wrapper.ErrOutcomeUnknown):
			t.Errorf("%d: %v; want ErrOutcomeUnknown", status, err)
		case !errors.Is(err, wrapper.ErrServer):
			t.Errorf("%d: %v; want ErrServer too", status, err)
		case !errors.As(err, &apiErr):
			t.Errorf("%d: %v; want an *APIError inside", status, err)
		case apiErr.StatusCode != status || apiErr.Method != http.MethodPost || apiErr.RequestID != "gw-req-1" ||
			len(apiErr.Errors) != 2 || apiErr.Errors[0].Code != "upstream" || apiErr.Errors[1].Detail != "second detail":
			t.Errorf("%d: the APIError lost details: %+v", status, apiErr)
		}
		if err == nil {
			continue
		}
		msg := err.Error()
		for _, want := range []string{"create key", "outcome unknown", fmt.Sprint(status), "may have been created", "list the keys", "request id gw-req-1"} {
			if !strings.Contains(msg, want) {
				t.Errorf("%d: %q lacks %q", status, msg, want)
			}
		}
		if n := strings.Count(msg, "byok: "); n != 1 {
			t.Errorf("%d: %q says \"byok: \" %d times; want once, at the start", status, msg, n)
		}
	}
}

// TestCreateAnsweredByAPIWithServerErrorIsNotOutcomeUnknown: a 500 or 503
// (the API's own answer) stays a plain ErrServer; a GET answered 502 or 504
// is retried and never called outcome unknown.
func TestCreateAnsweredByAPIWithServerErrorIsNotOutcomeUnknown(t *testing.T) {
	for _, status := range []int{http.StatusInternalServerError, http.StatusServiceUnavailable} {
		var requests atomic.Int32
		srv := serve(t, gatewayAnswer(status, &requests))
		c := newClient(t, srv, testkit.NewClock())
		_, _, err := c.CreateKey(context.Background(), wrapper.CreateKeyRequest{Material: wrapper.AWSKey{KeyARN: "arn:aws:kms:us-west-2:111122223333:key/x"}})
		if requests.Load() != 1 || !errors.Is(err, wrapper.ErrServer) || errors.Is(err, wrapper.ErrOutcomeUnknown) {
			t.Errorf("create %d: %v after %d requests; want ErrServer alone after 1", status, err, requests.Load())
		}
	}
	for _, status := range []int{http.StatusBadGateway, http.StatusGatewayTimeout} {
		var requests atomic.Int32
		srv := serve(t, gatewayAnswer(status, &requests))
		c := newClient(t, srv, testkit.NewClock(), wrapper.WithRetryPolicy(wrapper.RetryPolicy{MaxAttempts: 2, BaseDelay: 1, MaxDelay: 1}))
		_, _, err := c.GetKey(context.Background(), "cck-1")
		if requests.Load() != 2 || !errors.Is(err, wrapper.ErrServer) || errors.Is(err, wrapper.ErrOutcomeUnknown) {
			t.Errorf("get %d: %v after %d requests; want ErrServer alone after 2", status, err, requests.Load())
		}
	}
}

// TestCreateCanceledAfterSendingIsOutcomeUnknown: a create whose context ends
// after the request reached the server may have been carried out: its error
// matches both the context's error and ErrOutcomeUnknown. A create whose
// context ended before anything was sent, and a read cut off the same way,
// are not of unknown outcome.
func TestCreateCanceledAfterSendingIsOutcomeUnknown(t *testing.T) {
	received := make(chan struct{}, 8)
	srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The body read, the server notices the client going away.
		_, _ = io.Copy(io.Discard, r.Body)
		received <- struct{}{}
		select { // hold the answer until the client gives up
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
		fault(w, "no answer")
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	c := newClient(t, srv, testkit.NewClock(), wrapper.WithoutRetries())
	create := func(ctx context.Context) error {
		_, _, err := c.CreateKey(ctx, wrapper.CreateKeyRequest{Material: wrapper.AWSKey{KeyARN: "arn:aws:kms:us-west-2:111122223333:key/x"}})
		return err
	}
	cancelOnArrival := func() context.Context {
		ctx, cancel := context.WithCancel(context.Background())
		go func() { <-received; cancel() }()
		return ctx
	}

	err := create(cancelOnArrival())
	if !errors.Is(err, context.Canceled) || !errors.Is(err, wrapper.ErrOutcomeUnknown) {
		t.Errorf("create canceled after sending: %v; want context.Canceled and ErrOutcomeUnknown", err)
	}

	_, _, err = c.GetKey(cancelOnArrival(), "cck-1")
	if !errors.Is(err, context.Canceled) || errors.Is(err, wrapper.ErrOutcomeUnknown) {
		t.Errorf("get canceled after sending: %v; want context.Canceled only", err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err = create(ctx)
	if !errors.Is(err, context.Canceled) || errors.Is(err, wrapper.ErrOutcomeUnknown) {
		t.Errorf("create canceled before sending: %v; want context.Canceled only", err)
	}
}

// TestCreateAnswerUnreadableIsOutcomeUnknown: a create answered 201 whose
// body is JSON but not a key, or is too large, was carried out, but the
// program cannot learn the key: like a 201 cut short, its error matches
// ErrOutcomeUnknown (list before creating again) and it is not repeated.
// Before, only the cut answer did, and a program that retried on any other
// error registered the key twice.
func TestCreateAnswerUnreadableIsOutcomeUnknown(t *testing.T) {
	for name, body := range map[string][]byte{
		"no key object": []byte(`{"id":"cck-1","display_name":"billing"}`),
		"too large":     []byte(`{"id":"cck-1","pad":"` + strings.Repeat("x", wrapper.MaxResponseBytes) + `"}`),
	} {
		t.Run(name, func(t *testing.T) {
			var requests atomic.Int32
			srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				requests.Add(1)
				w.Header().Set("X-Request-Id", "req-created")
				writeJSON(w, http.StatusCreated, body)
			}))
			_, resp, err := newRawClient(t, srv, testkit.NewClock()).CreateKey(context.Background(),
				wrapper.CreateKeyRequest{Material: wrapper.AWSKey{KeyARN: "arn:aws:kms:us-west-2:111122223333:key/x"}})
			if !errors.Is(err, wrapper.ErrOutcomeUnknown) || !strings.Contains(err.Error(), "list the keys") {
				t.Errorf("got %v; want ErrOutcomeUnknown", err)
			}
			if name == "too large" && !errors.Is(err, wrapper.ErrResponseTooLarge) {
				t.Errorf("got %v; want ErrResponseTooLarge too", err)
			}
			if requests.Load() != 1 || resp == nil || resp.RequestID != "req-created" {
				t.Errorf("%d requests, response %+v; want 1 and the 201's request id", requests.Load(), resp)
			}
		})
	}
}
