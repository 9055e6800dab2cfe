package wrapper_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/byokctl/byok/internal/testkit"
	"github.com/byokctl/byok/wrapper"
)

var sentinels = []error{
	wrapper.ErrBadRequest, wrapper.ErrUnauthorized, wrapper.ErrQuotaExceeded, wrapper.ErrForbidden,
	wrapper.ErrNotFound, wrapper.ErrConflict, wrapper.ErrInvalid, wrapper.ErrRateLimited, wrapper.ErrServer,
}

func sentinelOf(status int) error {
	switch status {
	case 400:
		return wrapper.ErrBadRequest
	case 401:
		return wrapper.ErrUnauthorized
	case 402:
		return wrapper.ErrQuotaExceeded
	case 403:
		return wrapper.ErrForbidden
	case 404:
		return wrapper.ErrNotFound
	case 409:
		return wrapper.ErrConflict
	case 422:
		return wrapper.ErrInvalid
	case 429:
		return wrapper.ErrRateLimited
	case 500:
		return wrapper.ErrServer
	}
	return nil
}

// operations calls each of the five operations.
var operations = []struct {
	name, method, path string
	statuses           []int // the error statuses the spec documents
	call               func(context.Context, *wrapper.Client) error
}{
	{"list", http.MethodGet, "/byok/v1/keys", []int{400, 401, 403, 429, 500}, func(ctx context.Context, c *wrapper.Client) error {
		_, _, err := c.ListKeys(ctx, wrapper.ListKeysOptions{})
		return err
	}},
	{"create", http.MethodPost, "/byok/v1/keys", []int{400, 401, 402, 403, 409, 422, 429, 500}, func(ctx context.Context, c *wrapper.Client) error {
		_, _, err := c.CreateKey(ctx, wrapper.CreateKeyRequest{Material: wrapper.AWSKey{KeyARN: "arn:aws:kms:us-west-2:111122223333:key/1234abcd"}})
		return err
	}},
	{"get", http.MethodGet, "/byok/v1/keys/cck-1", []int{400, 401, 403, 404, 429, 500}, func(ctx context.Context, c *wrapper.Client) error {
		_, _, err := c.GetKey(ctx, "cck-1")
		return err
	}},
	{"update", http.MethodPatch, "/byok/v1/keys/cck-1", []int{400, 401, 402, 403, 404, 409, 422, 429, 500}, func(ctx context.Context, c *wrapper.Client) error {
		_, _, err := c.UpdateKey(ctx, "cck-1", wrapper.UpdateKeyRequest{DisplayName: "x"})
		return err
	}},
	{"delete", http.MethodDelete, "/byok/v1/keys/cck-1", []int{400, 401, 403, 404, 429, 500}, func(ctx context.Context, c *wrapper.Client) error {
		_, err := c.DeleteKey(ctx, "cck-1")
		return err
	}},
}

func TestEveryDocumentedStatusMapsToItsSentinel(t *testing.T) {
	for _, op := range operations {
		for _, status := range op.statuses {
			t.Run(fmt.Sprintf("%s %d", op.name, status), func(t *testing.T) {
				body := testdata(t, fmt.Sprintf("failure-%d.json", status))
				srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
					h := w.Header()
					h.Set("X-Request-Id", fmt.Sprintf("req-%d", status))
					h.Set("X-RateLimit-Limit", "60")
					h.Set("X-RateLimit-Remaining", "0")
					h.Set("X-RateLimit-Reset", "3")
					if status == 429 {
						h.Set("Retry-After", "2")
					}
					if status == 401 {
						h.Set("WWW-Authenticate", `Basic error="invalid_key"`)
					}
					writeJSON(w, status, body)
				}))
				err := op.call(context.Background(), newClient(t, srv, testkit.NewClock(), wrapper.WithoutRetries()))
				for _, s := range sentinels {
					if want := errors.Is(sentinelOf(status), s); errors.Is(err, s) != want {
						t.Errorf("errors.Is(err, %v) = %v, want %v", s, !want, want)
					}
				}
				var apiErr *wrapper.APIError
				if !errors.As(err, &apiErr) {
					t.Fatalf("%v is not an *APIError", err)
				}
				var want struct {
					Errors []wrapper.ErrorDetail `json:"errors"`
				}
				if err := json.Unmarshal(body, &want); err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(apiErr.Errors, want.Errors) || len(want.Errors) == 0 {
					t.Errorf("details %+v, want %+v", apiErr.Errors, want.Errors)
				}
				if apiErr.StatusCode != status || apiErr.Method != op.method || apiErr.Path != op.path || apiErr.RequestID != fmt.Sprintf("req-%d", status) {
					t.Errorf("status %d method %s path %s request id %s", apiErr.StatusCode, apiErr.Method, apiErr.Path, apiErr.RequestID)
				}
				rl := apiErr.RateLimit
				if rl.Limit != 60 || rl.Remaining != 0 || !rl.HasRemaining || rl.Reset != 3*time.Second {
					t.Errorf("rate limit %+v", rl)
				}
				if wantRA := map[bool]time.Duration{true: 2 * time.Second}[status == 429]; apiErr.RetryAfter != wantRA {
					t.Errorf("RetryAfter %v, want %v", apiErr.RetryAfter, wantRA)
				}
				if status == 401 && apiErr.Header.Get("WWW-Authenticate") == "" {
					t.Error("the WWW-Authenticate header was not kept")
				}
				if apiErr.Body != "" {
					t.Errorf("Body %q for a JSON Failure", apiErr.Body)
				}
				if msg := err.Error(); strings.Contains(msg, "\n") || !strings.Contains(msg, want.Errors[0].Detail) {
					t.Errorf("Error() = %q: want one line with the first detail", msg)
				}
			})
		}
	}
}

func TestAPIErrorMessage(t *testing.T) {
	srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("X-Request-Id", "req-422")
		writeJSON(w, http.StatusUnprocessableEntity, testdata(t, "failure-422.json"))
	}))
	_, _, err := newClient(t, srv, testkit.NewClock()).UpdateKey(context.Background(), "cck-1", wrapper.UpdateKeyRequest{DisplayName: "x"})
	want := "byok: PATCH /byok/v1/keys/cck-1: 422 Unprocessable Entity: Validation Failed: key.key_arn is not a valid AWS KMS key ARN. (at /key/key_arn); Validation Failed: display_name must be at most 64 characters. (at /display_name); Validation Failed: key.kind is required. (at /key/kind) (request id req-422)"
	if err == nil || err.Error() != want {
		t.Errorf("Error() =\n %v\nwant\n %s", err, want)
	}
}

func TestErrorDetailString(t *testing.T) {
	for _, tc := range []struct {
		d    wrapper.ErrorDetail
		want string
	}{
		{wrapper.ErrorDetail{Title: "Not Found", Detail: "Key cck-1 was not found."}, "Not Found: Key cck-1 was not found."},
		{wrapper.ErrorDetail{Title: "Same", Detail: "Same"}, "Same"},
		{wrapper.ErrorDetail{Message: "only a message"}, "only a message"},
		{wrapper.ErrorDetail{Code: "quota_exceeded"}, "code quota_exceeded"},
		{wrapper.ErrorDetail{Detail: "bad size", Source: wrapper.ErrorSource{Parameter: "page_size"}}, "bad size (parameter page_size)"},
	} {
		if got := tc.d.String(); got != tc.want {
			t.Errorf("%+v: got %q, want %q", tc.d, got, tc.want)
		}
	}
}

func TestNonJSONErrorBodies(t *testing.T) {
	html := testdata(t, "proxy-502.html")
	for _, tc := range []struct {
		name     string
		status   int
		body     []byte
		sentinel error
		excerpt  string
	}{
		{"proxy HTML", http.StatusBadGateway, html, wrapper.ErrServer, "<!DOCTYPE html>"},
		{"empty 503", http.StatusServiceUnavailable, nil, wrapper.ErrServer, ""},
		{"empty 404", http.StatusNotFound, nil, wrapper.ErrNotFound, ""},
		{"JSON but no Failure", http.StatusForbidden, []byte(`{"message":"Forbidden"}`), wrapper.ErrForbidden, `{"message":"Forbidden"}`},
		{"undocumented status", http.StatusTeapot, []byte("short and stout"), nil, "short and stout"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				fault(w, "a proxy's answer")
				w.Header().Set("Content-Type", "text/html")
				w.WriteHeader(tc.status)
				_, _ = w.Write(tc.body)
			}))
			_, _, err := newRawClient(t, srv, testkit.NewClock(), wrapper.WithoutRetries()).GetKey(context.Background(), "cck-1")
			var apiErr *wrapper.APIError
			if !errors.As(err, &apiErr) || apiErr.StatusCode != tc.status {
				t.Fatalf("got %v, want an *APIError with status %d", err, tc.status)
			}
			if tc.sentinel != nil && !errors.Is(err, tc.sentinel) {
				t.Errorf("%v does not match %v", err, tc.sentinel)
			}
			for _, s := range sentinels {
				if tc.sentinel == nil && errors.Is(err, s) {
					t.Errorf("status %d matched %v", tc.status, s)
				}
			}
			if len(apiErr.Body) > 512+len("…") || !strings.HasPrefix(apiErr.Body, tc.excerpt) {
				t.Errorf("Body (%d bytes) %q, want a capped excerpt starting %q", len(apiErr.Body), apiErr.Body, tc.excerpt)
			}
			if len(tc.body) > 512 && !strings.HasSuffix(apiErr.Body, "…") {
				t.Errorf("a cut excerpt should say so: %q", apiErr.Body)
			}
			if strings.Contains(err.Error(), "\n") || len(err.Error()) > 300 {
				t.Errorf("Error() is not one short line: %q", err)
			}
		})
	}
}

func TestResponseTooLarge(t *testing.T) {
	big := bytes.Repeat([]byte("x"), wrapper.MaxResponseBytes+10)
	for _, tc := range []struct {
		status int
		check  func(error) bool
	}{
		{http.StatusOK, func(err error) bool { return errors.Is(err, wrapper.ErrResponseTooLarge) }},
		{http.StatusInternalServerError, func(err error) bool {
			var apiErr *wrapper.APIError
			return errors.As(err, &apiErr) && apiErr.StatusCode == 500 && len(apiErr.Body) <= 520
		}},
	} {
		srv := serve(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			fault(w, "too large")
			w.WriteHeader(tc.status)
			_, _ = w.Write(big)
		}))
		_, _, err := newRawClient(t, srv, testkit.NewClock(), wrapper.WithoutRetries()).GetKey(context.Background(), "cck-1")
		if !tc.check(err) {
			t.Errorf("status %d: got %v", tc.status, err)
		}
	}
}
