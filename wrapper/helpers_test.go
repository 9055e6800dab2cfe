package wrapper_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/byokctl/byok/internal/contract"
	"github.com/byokctl/byok/internal/testkit"
	"github.com/byokctl/byok/wrapper"
)

// testSecret is recognisable, so that tests can show it never leaks.
const (
	testKey    = "TESTKEY0123456789"
	testSecret = "s3cr3t-MUST-NOT-LEAK-7f9a2c"
)

// validator returns the contract validator of the test. Under make test it
// records the (operation, status) pairs it saw for make contract.
func validator(t *testing.T) *contract.Validator {
	t.Helper()
	return contract.ForTest(t)
}

// serve starts a loopback server for h.
func serve(t *testing.T, h http.Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// newClient returns a client of srv whose exchanges go through the
// contract validator, with a fake clock.
func newClient(t *testing.T, srv *httptest.Server, clock *testkit.Clock, opts ...wrapper.Option) *wrapper.Client {
	t.Helper()
	base := []wrapper.Option{
		wrapper.WithAPIKey(testKey, testSecret),
		wrapper.WithEndpoint(srv.URL),
		wrapper.WithHTTPClient(&http.Client{Transport: validator(t).Transport(t, nil), Timeout: 10 * time.Second}),
		wrapper.WithClock(clock),
	}
	c, err := wrapper.New(append(base, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// newRawClient is newClient without the contract validator, for exchanges
// that break the spec on purpose.
func newRawClient(t *testing.T, srv *httptest.Server, clock *testkit.Clock, opts ...wrapper.Option) *wrapper.Client {
	t.Helper()
	base := []wrapper.Option{
		wrapper.WithAPIKey(testKey, testSecret),
		wrapper.WithEndpoint(srv.URL),
		wrapper.WithHTTPClient(&http.Client{Timeout: 10 * time.Second}),
		wrapper.WithClock(clock),
	}
	c, err := wrapper.New(append(base, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// testdata returns a file of testdata/keys.
func testdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "testdata", "keys", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// testdataAs returns testdata/keys/name with its id set to id, for a server
// answering a request about key id.
func testdataAs(t testing.TB, name, id string) []byte {
	t.Helper()
	m := generic(t, testdata(t, name))
	m["id"] = id
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// writeJSON answers with a JSON body and the headers every answer carries.
func writeJSON(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	if w.Header().Get("X-Request-Id") == "" {
		w.Header().Set("X-Request-Id", "req-test-1")
	}
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// fault marks an answer that breaks the spec on purpose.
func fault(w http.ResponseWriter, what string) {
	w.Header().Set(contract.FaultHeader, what)
}

// generic decodes JSON into plain maps, independently of the wrapper.
func generic(t testing.TB, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func timeField(t testing.TB, m map[string]any, name string) time.Time {
	t.Helper()
	s, _ := m[name].(string)
	if s == "" {
		return time.Time{}
	}
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func str(m map[string]any, name string) string {
	s, _ := m[name].(string)
	return s
}

func obj(m map[string]any, name string) map[string]any {
	o, _ := m[name].(map[string]any)
	return o
}
