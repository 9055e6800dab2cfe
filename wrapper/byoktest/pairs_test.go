package byoktest_test

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/byokctl/byok/api"
	"github.com/byokctl/byok/internal/contract"
	"github.com/byokctl/byok/wrapper/byoktest"
)

// fixedClock returns a clock that stays at one instant.
func fixedClock() func() time.Time {
	at := time.Date(2024, 3, 20, 15, 30, 0, 0, time.UTC)
	return func() time.Time { return at }
}

// createKey creates the AWS key of awsBody and returns its id.
func createKey(t *testing.T, srv *byoktest.Server, body string) string {
	t.Helper()
	resp, b := call(t, srv, http.MethodPost, "/byok/v1/keys", body)
	require.Equal(t, http.StatusCreated, resp.StatusCode, "%s", b)
	return decode[api.Key](t, b).ID
}

func noAuth(*http.Request) {}

func wrongBasic(r *http.Request) { r.SetBasicAuth(byoktest.DefaultAPIKey, "wrong") }

func wrongBearer(r *http.Request) { r.Header.Set("Authorization", "Bearer wrong") }

// TestEveryDocumentedPair produces each (operation, status) pair the
// published API documents, through the contract validator: an answer the
// spec rejects fails the test, and a pair not produced fails it too.
func TestEveryDocumentedPair(t *testing.T) {
	v := contract.ForTest(t)
	mw := byoktest.WithMiddleware(func(h http.Handler) http.Handler { return v.Middleware(t, h) })

	exhaust := func(t *testing.T, srv *byoktest.Server) string {
		resp, _ := call(t, srv, http.MethodGet, "/byok/v1/keys", "")
		require.Equal(t, http.StatusOK, resp.StatusCode)
		return ""
	}
	key := func(t *testing.T, srv *byoktest.Server) string { return createKey(t, srv, awsBody) }
	respond := func(op byoktest.Operation, status int, setup func(*testing.T, *byoktest.Server) string) func(*testing.T, *byoktest.Server) string {
		return func(t *testing.T, srv *byoktest.Server) string {
			id := ""
			if setup != nil {
				id = setup(t, srv)
			}
			require.NoError(t, srv.RespondNext(op, status))
			return id
		}
	}
	limited := []byoktest.Option{byoktest.WithRateLimit(1, time.Minute), byoktest.WithClock(fixedClock())}
	long := strings.Repeat("x", 256)

	cases := []struct {
		op     byoktest.Operation
		status int
		opts   []byoktest.Option
		setup  func(*testing.T, *byoktest.Server) string // returns the id for %s
		method string
		path   string
		body   string
		auth   func(*http.Request) // nil: the accepted credentials
	}{
		{byoktest.OpList, 200, nil, key, "GET", "/byok/v1/keys?page_size=5", "", nil},
		{byoktest.OpList, 400, nil, nil, "GET", "/byok/v1/keys?page_size=0", "", nil},
		{byoktest.OpList, 401, nil, nil, "GET", "/byok/v1/keys", "", noAuth},
		{byoktest.OpList, 403, []byoktest.Option{byoktest.WithForbiddenOperations(byoktest.OpList)}, nil, "GET", "/byok/v1/keys", "", nil},
		{byoktest.OpList, 429, limited, exhaust, "GET", "/byok/v1/keys", "", nil},
		{byoktest.OpList, 500, nil, respond(byoktest.OpList, 500, nil), "GET", "/byok/v1/keys", "", nil},

		{byoktest.OpCreate, 201, nil, nil, "POST", "/byok/v1/keys", gcpBody, nil},
		{byoktest.OpCreate, 400, nil, nil, "POST", "/byok/v1/keys", `{"key":`, nil},
		{byoktest.OpCreate, 401, nil, nil, "POST", "/byok/v1/keys", awsBody, wrongBasic},
		{byoktest.OpCreate, 402, []byoktest.Option{byoktest.WithMaxKeys(1)}, key, "POST", "/byok/v1/keys", azureBody, nil},
		{byoktest.OpCreate, 403, []byoktest.Option{byoktest.WithForbiddenOperations(byoktest.OpCreate)}, nil, "POST", "/byok/v1/keys", awsBody, nil},
		{byoktest.OpCreate, 409, nil, key, "POST", "/byok/v1/keys", awsBody, nil},
		{byoktest.OpCreate, 422, nil, nil, "POST", "/byok/v1/keys", `{"display_name":"no key"}`, nil},
		{byoktest.OpCreate, 429, limited, exhaust, "POST", "/byok/v1/keys", awsBody, nil},
		{byoktest.OpCreate, 500, nil, respond(byoktest.OpCreate, 500, nil), "POST", "/byok/v1/keys", awsBody, nil},

		{byoktest.OpGet, 200, nil, key, "GET", "/byok/v1/keys/%s", "", nil},
		{byoktest.OpGet, 400, nil, nil, "GET", "/byok/v1/keys/" + long, "", nil},
		{byoktest.OpGet, 401, nil, key, "GET", "/byok/v1/keys/%s", "", wrongBearer},
		{byoktest.OpGet, 403, []byoktest.Option{byoktest.WithForbiddenKeys("cck-secret1")}, nil, "GET", "/byok/v1/keys/cck-secret1", "", nil},
		{byoktest.OpGet, 404, nil, nil, "GET", "/byok/v1/keys/cck-00000", "", nil},
		{byoktest.OpGet, 429, limited, exhaust, "GET", "/byok/v1/keys/cck-00000", "", nil},
		{byoktest.OpGet, 500, nil, respond(byoktest.OpGet, 500, key), "GET", "/byok/v1/keys/%s", "", nil},

		{byoktest.OpUpdate, 200, nil, key, "PATCH", "/byok/v1/keys/%s", `{"display_name":"renamed"}`, nil},
		{byoktest.OpUpdate, 400, nil, key, "PATCH", "/byok/v1/keys/%s", `{"display_name":`, nil},
		{byoktest.OpUpdate, 401, nil, key, "PATCH", "/byok/v1/keys/%s", `{"display_name":"x"}`, noAuth},
		{byoktest.OpUpdate, 402, nil, respond(byoktest.OpUpdate, 402, key), "PATCH", "/byok/v1/keys/%s", `{"display_name":"x"}`, nil},
		{byoktest.OpUpdate, 403, []byoktest.Option{byoktest.WithForbiddenOperations(byoktest.OpUpdate)}, key, "PATCH", "/byok/v1/keys/%s", `{"display_name":"x"}`, nil},
		{byoktest.OpUpdate, 404, nil, nil, "PATCH", "/byok/v1/keys/cck-00000", `{"display_name":"x"}`, nil},
		{byoktest.OpUpdate, 409, nil, respond(byoktest.OpUpdate, 409, key), "PATCH", "/byok/v1/keys/%s", `{"display_name":"x"}`, nil},
		{byoktest.OpUpdate, 422, nil, key, "PATCH", "/byok/v1/keys/%s", `{"display_name":"x","state":"IN_USE"}`, nil},
		{byoktest.OpUpdate, 429, limited, exhaust, "PATCH", "/byok/v1/keys/cck-00000", `{"display_name":"x"}`, nil},
		{byoktest.OpUpdate, 500, nil, respond(byoktest.OpUpdate, 500, key), "PATCH", "/byok/v1/keys/%s", `{"display_name":"x"}`, nil},

		{byoktest.OpDelete, 204, nil, key, "DELETE", "/byok/v1/keys/%s", "", nil},
		{byoktest.OpDelete, 400, nil, nil, "DELETE", "/byok/v1/keys/cck%20bad", "", nil},
		{byoktest.OpDelete, 401, nil, key, "DELETE", "/byok/v1/keys/%s", "", wrongBasic},
		{byoktest.OpDelete, 403, []byoktest.Option{byoktest.WithForbiddenOperations(byoktest.OpDelete)}, key, "DELETE", "/byok/v1/keys/%s", "", nil},
		{byoktest.OpDelete, 404, nil, nil, "DELETE", "/byok/v1/keys/cck-00000", "", nil},
		{byoktest.OpDelete, 429, limited, exhaust, "DELETE", "/byok/v1/keys/cck-00000", "", nil},
		{byoktest.OpDelete, 500, nil, respond(byoktest.OpDelete, 500, key), "DELETE", "/byok/v1/keys/%s", "", nil},
	}
	require.Len(t, cases, 39)
	for _, c := range cases {
		t.Run(fmt.Sprintf("%s %d", c.op, c.status), func(t *testing.T) {
			srv := byoktest.NewServer(t, append([]byoktest.Option{mw}, c.opts...)...)
			id := ""
			if c.setup != nil {
				id = c.setup(t, srv)
			}
			path := c.path
			if strings.Contains(path, "%s") {
				path = fmt.Sprintf(path, id)
			}
			auth := c.auth
			if auth == nil {
				auth = srv.Authorize
			}
			resp, b := send(t, srv, c.method, path, c.body, auth)
			require.Equal(t, c.status, resp.StatusCode, "%s", b)
			assert.NotEmpty(t, resp.Header.Get("X-Request-Id"))
			for _, h := range []string{"X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"} {
				assert.NotEmptyf(t, resp.Header.Get(h), "header %s", h)
			}
			switch {
			case c.status == http.StatusNoContent:
				assert.Empty(t, b)
			case c.status >= 400:
				f := decode[api.Failure](t, b)
				require.NotEmpty(t, f.Errors)
				for _, e := range f.Errors {
					assert.Equal(t, strconv.Itoa(c.status), e.Status)
					assert.NotEmpty(t, e.ID)
					assert.NotEmpty(t, e.Code)
					assert.NotEmpty(t, e.Title)
					assert.NotEmpty(t, e.Detail)
				}
			default:
				assert.Equal(t, "application/json", resp.Header.Get("Content-Type"))
			}
			if c.status == http.StatusTooManyRequests {
				assert.NotEmpty(t, resp.Header.Get("Retry-After"))
			}
			if c.status == http.StatusUnauthorized {
				assert.Contains(t, resp.Header.Get("WWW-Authenticate"), "Basic")
			}
		})
	}
	assert.Empty(t, v.Missing(), "documented pairs not produced with a valid answer")
}

// TestRespondNextKnowsTheDocumentedErrors checks RespondNext's list of
// documented error statuses against the spec.
func TestRespondNextKnowsTheDocumentedErrors(t *testing.T) {
	v := contract.ForTest(t)
	documented := map[contract.Pair]bool{}
	for _, p := range v.Documented() {
		documented[p] = true
	}
	srv := byoktest.NewServer(t)
	for _, op := range byoktest.Operations() {
		for status := 400; status <= 599; status++ {
			err := srv.RespondNext(op, status)
			assert.Equalf(t, documented[contract.Pair{OperationID: string(op), Status: status}], err == nil, "%s %d: %v", op, status, err)
		}
	}
}
