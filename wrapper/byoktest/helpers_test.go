package byoktest_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/byokctl/byok/internal/contract"
	"github.com/byokctl/byok/wrapper/byoktest"
)

// validated starts a server with the contract validator in front of it: any
// answer the spec rejects fails the test.
func validated(t *testing.T, opts ...byoktest.Option) (*byoktest.Server, *contract.Validator) {
	t.Helper()
	v := contract.ForTest(t)
	opts = append([]byoktest.Option{byoktest.WithMiddleware(func(h http.Handler) http.Handler { return v.Middleware(t, h) })}, opts...)
	return byoktest.NewServer(t, opts...), v
}

// answer is an HTTP answer with its body read.
type answer struct {
	StatusCode int
	Header     http.Header
}

// call sends one authorised request and returns the answer with its body
// read.
func call(t *testing.T, srv *byoktest.Server, method, path, body string) (answer, []byte) {
	t.Helper()
	return send(t, srv, method, path, body, srv.Authorize)
}

func send(t *testing.T, srv *byoktest.Server, method, path, body string, edit func(*http.Request)) (answer, []byte) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, srv.URL()+path, rd)
	require.NoError(t, err)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if edit != nil {
		edit(req)
	}
	c := *srv.Client()
	c.Timeout = 10 * time.Second
	resp, err := c.Do(req)
	require.NoError(t, err)
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	return answer{StatusCode: resp.StatusCode, Header: resp.Header}, b
}

func decode[T any](t *testing.T, b []byte) T {
	t.Helper()
	var v T
	require.NoErrorf(t, json.Unmarshal(b, &v), "body: %s", b)
	return v
}

const (
	awsBody   = `{"display_name":"billing","key":{"kind":"AwsKey","key_arn":"arn:aws:kms:us-west-2:111122223333:key/1234abcd"}}`
	azureBody = `{"display_name":"analytics","key":{"kind":"AzureKey","key_id":"https://vault-name.vault.azure.net/keys/key-name","key_vault_id":"/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/vault-name","tenant_id":"00000000-0000-0000-0000-000000000000"}}`
	gcpBody   = `{"display_name":"logs","key":{"kind":"GcpKey","key_id":"projects/p/locations/us-central1/keyRings/r/cryptoKeys/k"}}`
)

// status sends one authorised request and returns its status; unlike call
// it may run in any goroutine.
func status(srv *byoktest.Server, method, path, body string) (int, error) {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, srv.URL()+path, rd)
	if err != nil {
		return 0, err
	}
	srv.Authorize(req)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	c := *srv.Client()
	c.Timeout = 10 * time.Second
	resp, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, resp.Body.Close()
}

// serveOnce runs one authorised request through h in memory.
func serveOnce(t *testing.T, h *byoktest.Server, method, target, body string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequestWithContext(t.Context(), method, target, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	h.Authorize(req)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// serveOnceB runs one authorised GET through h in memory for a benchmark.
func serveOnceB(h *byoktest.Server, target string) []byte {
	req := httptest.NewRequest(http.MethodGet, target, nil)
	h.Authorize(req)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Body.Bytes()
}
