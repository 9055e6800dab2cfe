package contract

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/byokctl/byok/internal/testkit"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// answer is a handler that answers every request with status and body.
func answer(status int, body string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Request-Id", "r-1")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	})
}

func get(t *testing.T, client *http.Client, url string) string {
	t.Helper()
	resp, err := client.Get(url)
	require.NoError(t, err)
	defer func() { _ = resp.Body.Close() }()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return string(b)
}

func TestTransport(t *testing.T) {
	for name, c := range map[string]struct {
		status int
		body   string
		want   string // a part of the one report; "" for none
	}{
		"a good response":    {200, key("AWS", "IN_USE", "VALID"), ""},
		"a wrong type":       {200, `{"api_version":"byok/v1","kind":"Key","id":7}`, "response body /id: value must be a string (got 7)"},
		"a missing field":    {404, `{}`, `response body /errors: property "errors" is missing`},
		"a status not there": {204, ``, "getByokV1Key GET /byok/v1/keys/cck-1 -> 204"},
	} {
		t.Run(name, func(t *testing.T) {
			srv := httptest.NewServer(answer(c.status, c.body))
			defer srv.Close()
			r := &testkit.Reporter{}
			client := &http.Client{Transport: newValidator(t).Transport(r, nil)}
			got := get(t, client, srv.URL+"/byok/v1/keys/cck-1")
			assert.Equal(t, c.body, got, "the client still reads the whole body")
			if c.want == "" {
				assert.Empty(t, r.Messages())
				return
			}
			require.Len(t, r.Messages(), 1)
			assert.Contains(t, r.Messages()[0], c.want)
		})
	}
}

func TestTransportChecksTheRequest(t *testing.T) {
	srv := httptest.NewServer(answer(201, strings.Replace(key("AWS", "AVAILABLE", "INITIALIZING"), `"id":"cck-1"`, `"id":"cck-2"`, 1)))
	defer srv.Close()
	r := &testkit.Reporter{}
	client := &http.Client{Transport: newValidator(t).Transport(r, srv.Client().Transport)}
	resp, err := client.Post(srv.URL+"/byok/v1/keys", "application/json", strings.NewReader(`{"key":{"kind":"GcpKey"}}`))
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	require.Len(t, r.Messages(), 1)
	assert.Contains(t, r.Messages()[0], `createByokV1Key POST /byok/v1/keys -> 201: the request violates the spec
    request body /key/key_id: property "key_id" is missing`)
}

func TestMiddleware(t *testing.T) {
	for name, c := range map[string]struct {
		status int
		body   string
		want   string
	}{
		"a good response": {200, key("Azure", "AVAILABLE", "VALID"), ""},
		"a wrong type":    {200, `{"api_version":"byok/v1","kind":"Key","id":true}`, "response body /id: value must be a string (got true)"},
	} {
		t.Run(name, func(t *testing.T) {
			r := &testkit.Reporter{}
			srv := httptest.NewServer(newValidator(t).Middleware(r, answer(c.status, c.body)))
			defer srv.Close()
			assert.Equal(t, c.body, get(t, srv.Client(), srv.URL+"/byok/v1/keys/cck-1"), "the client gets what the handler wrote")
			srv.Close() // the handler has returned: its report is in
			if c.want == "" {
				assert.Empty(t, r.Messages())
				return
			}
			require.Len(t, r.Messages(), 1)
			assert.Contains(t, r.Messages()[0], c.want)
		})
	}
}

func TestMiddlewareSkipsAnInjectedFault(t *testing.T) {
	r := &testkit.Reporter{}
	v := newValidator(t)
	h := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set(FaultHeader, "bad-json")
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"id":`)
	})
	srv := httptest.NewServer(v.Middleware(r, h))
	defer srv.Close()
	assert.Equal(t, `{"id":`, get(t, srv.Client(), srv.URL+"/byok/v1/keys/cck-1"))
	srv.Close()
	assert.Empty(t, r.Messages())
	assert.Empty(t, v.Counts())
}
