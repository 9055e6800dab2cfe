package wrapper

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestAttemptRedactsTheBodyOnce: the body of an answer is redacted where it
// is read, in attempt, whatever its status: an error's details and its
// excerpt come out of attempt without the credential, and apiError, which
// builds the *APIError from the body attempt has redacted, redacts nothing
// itself (given a body that still holds the credential, it keeps it), so
// that redaction happens in one place.
func TestAttemptRedactsTheBodyOnce(t *testing.T) {
	const secret = "s3cr3t-value-0123456789"
	c, err := New(WithBearerToken(secret), WithEndpoint("http://127.0.0.1:1"), WithoutRetries())
	if err != nil {
		t.Fatal(err)
	}
	op := operation{name: "get key cck-1", method: http.MethodGet, path: "/byok/v1/keys/cck-1"}
	for _, tc := range []struct {
		status int
		body   string
	}{
		{http.StatusBadRequest, `{"errors":[{"title":"Bad Request","detail":"bad token Bearer ` + secret + `"}]}`},
		{http.StatusBadGateway, "<html>proxy saw Bearer " + secret + "</html>"},
	} {
		send := func(context.Context) (*http.Response, error) {
			req, _ := http.NewRequest(http.MethodGet, "http://127.0.0.1:1/byok/v1/keys/cck-1", nil)
			req.Header.Set("Authorization", "Bearer "+secret)
			return &http.Response{StatusCode: tc.status, Header: http.Header{}, Body: io.NopCloser(strings.NewReader(tc.body)), Request: req}, nil
		}
		a := c.attempt(context.Background(), op, send)
		if a.apiErr == nil {
			t.Fatalf("%d: no *APIError", tc.status)
		}
		got := a.apiErr.Body
		for _, d := range a.apiErr.Errors {
			got += d.Detail
		}
		if strings.Contains(got, secret) || !strings.Contains(got, redactedMark) {
			t.Errorf("%d: the error's body and details %q; want the credential redacted", tc.status, got)
		}

		// apiError itself leaves the body as it is given.
		e := c.apiError(op, tc.status, http.Header{}, []byte(tc.body))
		kept := e.Body
		for _, d := range e.Errors {
			kept += d.Detail
		}
		if !strings.Contains(kept, secret) {
			t.Errorf("%d: apiError changed the body it was given: %q; the body is redacted once, in attempt", tc.status, kept)
		}
	}
}
