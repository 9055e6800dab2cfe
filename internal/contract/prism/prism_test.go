package prism_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/byokctl/byok/api"
	"github.com/byokctl/byok/internal/contract"
	"github.com/byokctl/byok/internal/contract/prism"
	"github.com/byokctl/byok/internal/testkit"
	"github.com/byokctl/byok/wrapper/byoktest"
)

// These tests run the real Prism; they skip unless BYOK_PRISM_BIN names
// its executable (`make prism` sets it to node_modules/.bin/prism).

func prismBin(t *testing.T) string {
	t.Helper()
	bin := os.Getenv(prism.BinEnv)
	if bin == "" {
		t.Skipf("%s is not set: run `make prism` to run the Prism checks", prism.BinEnv)
	}
	return bin
}

func specPath(t *testing.T) string {
	t.Helper()
	p, err := filepath.Abs(filepath.Join("..", "..", "..", "openapi", "byok-v1.yaml"))
	require.NoError(t, err)
	return p
}

// start runs Prism for the test and stops it, by its pid, when the test
// ends; Prism's output goes to the test log if the test fails.
func start(t *testing.T, mode prism.Mode, upstream string) *prism.Prism {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	begun := time.Now()
	p, err := prism.Start(ctx, prism.Options{Bin: prismBin(t), Spec: specPath(t), Mode: mode, Upstream: upstream, Errors: true})
	require.NoError(t, err)
	t.Logf("prism %s listening on %s (pid %d) after %v", mode, p.URL(), p.Pid(), time.Since(begun).Round(time.Millisecond))
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("prism output:\n%s", p.Output())
		}
		assert.NoError(t, p.Stop())
	})
	return p
}

// client is the generated client for base, with basic credentials, whose
// every exchange goes through our validator and Prism's report.
func client(t *testing.T, base, user, password string) *api.ClientWithResponses {
	t.Helper()
	httpClient := &http.Client{
		Timeout:   10 * time.Second,
		Transport: contract.ForTest(t).Transport(t, prism.Transport(t, nil)),
	}
	c, err := api.NewClientWithResponses(base,
		api.WithHTTPClient(httpClient),
		api.WithRequestEditorFn(func(_ context.Context, req *http.Request) error {
			req.SetBasicAuth(user, password)
			return nil
		}))
	require.NoError(t, err)
	return c
}

func awsKey(t *testing.T, arn, name string) api.Key {
	t.Helper()
	var details api.KeyDetails
	require.NoError(t, details.FromAwsKey(api.AwsKey{KeyARN: arn}))
	return api.Key{Key: details, DisplayName: name}
}

// TestMockSmoke runs the five operations against `prism mock`, which
// answers with the spec's own examples (read from openapi/byok-v1.yaml).
func TestMockSmoke(t *testing.T) {
	p := start(t, prism.Mock, "")
	c := client(t, p.URL(), "key", "secret")
	ctx := context.Background()

	size := api.PageSize(25)
	list, err := c.ListByokV1KeysWithResponse(ctx, &api.ListByokV1KeysParams{PageSize: &size})
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, list.StatusCode(), "%s", list.Body)
	require.NotNil(t, list.JSON200)
	require.Len(t, list.JSON200.Data, 1)
	assert.Equal(t, "cck-12345", list.JSON200.Data[0].ID)
	assert.Equal(t, int32(123), list.JSON200.Metadata.TotalSize)

	created, err := c.CreateByokV1KeyWithResponse(ctx, awsKey(t, "arn:aws:kms:us-west-2:111122223333:key/1", "smoke"))
	require.NoError(t, err)
	require.Equal(t, http.StatusCreated, created.StatusCode(), "%s", created.Body)
	assert.Equal(t, "cck-12346", created.JSON201.ID)
	kind, err := created.JSON201.Key.Discriminator()
	require.NoError(t, err)
	assert.Equal(t, "GcpKey", kind)

	got, err := c.GetByokV1KeyWithResponse(ctx, "cck-12345")
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, got.StatusCode(), "%s", got.Body)
	assert.Equal(t, api.KeyProviderAzure, got.JSON200.Provider)

	name := "renamed"
	updated, err := c.UpdateByokV1KeyWithResponse(ctx, "cck-12345", api.KeyUpdate{DisplayName: name})
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, updated.StatusCode(), "%s", updated.Body)
	assert.Equal(t, "cck-12345", updated.JSON200.ID)

	deleted, err := c.DeleteByokV1KeyWithResponse(ctx, "cck-12345")
	require.NoError(t, err)
	assert.Equal(t, http.StatusNoContent, deleted.StatusCode(), "%s", deleted.Body)
}

// TestProxySmoke runs the five operations, and the documented errors a
// spec-valid request can meet, through `prism proxy --errors` in front of
// byoktest; byoktest's side is checked by our validator as well.
func TestProxySmoke(t *testing.T) {
	srv := byoktest.NewServer(t, byoktest.WithMiddleware(func(h http.Handler) http.Handler {
		return contract.ForTest(t).Middleware(t, h)
	}))
	p := start(t, prism.Proxy, srv.URL())
	c := client(t, p.URL(), srv.APIKey(), srv.APISecret())
	ctx := context.Background()

	body := awsKey(t, "arn:aws:kms:us-west-2:111122223333:key/smoke-1", "smoke")
	created, err := c.CreateByokV1KeyWithResponse(ctx, body)
	require.NoError(t, err)
	require.Equal(t, http.StatusCreated, created.StatusCode(), "%s", created.Body)
	id := created.JSON201.ID
	assert.Equal(t, api.KeyProviderAWS, created.JSON201.Provider)

	again, err := c.CreateByokV1KeyWithResponse(ctx, body)
	require.NoError(t, err)
	assert.Equal(t, http.StatusConflict, again.StatusCode(), "%s", again.Body)

	got, err := c.GetByokV1KeyWithResponse(ctx, id)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, got.StatusCode(), "%s", got.Body)
	assert.Equal(t, "smoke", got.JSON200.DisplayName)

	provider := "AWS"
	size := api.PageSize(1)
	list, err := c.ListByokV1KeysWithResponse(ctx, &api.ListByokV1KeysParams{Provider: &provider, PageSize: &size})
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, list.StatusCode(), "%s", list.Body)
	require.Len(t, list.JSON200.Data, 1)
	assert.Equal(t, id, list.JSON200.Data[0].ID)

	name := "renamed"
	updated, err := c.UpdateByokV1KeyWithResponse(ctx, id, api.KeyUpdate{DisplayName: name})
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, updated.StatusCode(), "%s", updated.Body)
	assert.Equal(t, name, updated.JSON200.DisplayName)

	deleted, err := c.DeleteByokV1KeyWithResponse(ctx, id)
	require.NoError(t, err)
	assert.Equal(t, http.StatusNoContent, deleted.StatusCode(), "%s", deleted.Body)

	gone, err := c.GetByokV1KeyWithResponse(ctx, id)
	require.NoError(t, err)
	assert.Equal(t, http.StatusNotFound, gone.StatusCode(), "%s", gone.Body)
	require.NotNil(t, gone.JSON404)
	assert.NotEmpty(t, gone.JSON404.Errors)
}

// TestBothValidatorsCatchAWrongResponse puts a deliberately wrong server
// behind Prism and our validator: each wrong response is caught by both.
func TestBothValidatorsCatchAWrongResponse(t *testing.T) {
	good := `{"api_version":"byok/v1","kind":"Key","id":"cck-1","metadata":{"self":"http://127.0.0.1/byok/v1/keys/cck-1"},
"key":{"kind":"AwsKey","key_arn":"arn:aws:kms:us-west-2:111122223333:key/1"},"provider":"AWS","state":"AVAILABLE",
"validation":{"phase":"VALID","since":"2024-03-20T15:30:00Z"}}`
	cases := []struct {
		id     string
		status int
		body   string
		ours   string // part of our validator's report
		prisms string // part of Prism's report
	}{
		{"cck-good", 200, good, "", ""},
		{"cck-type", 200, strings.Replace(good, `"id":"cck-1"`, `"id":7`, 1),
			"response body /id: value must be a string (got 7)", "error at response.body.id: Response body property id must be string"},
		{"cck-required", 200, strings.Replace(good, `"state":"AVAILABLE",`, ``, 1),
			`response body /state: property "state" is missing`, "error at response.body: Response body must have required property 'state'"},
		{"cck-status", 418, `{"errors":[]}`,
			"response status: not documented for this operation", "warning at response: Unable to match the returned status code"},
	}
	answers := map[string]int{}
	for i, c := range cases {
		answers["/byok/v1/keys/"+c.id] = i
	}
	wrong := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := cases[answers[r.URL.Path]]
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(c.status)
		_, _ = io.WriteString(w, c.body)
	})
	ours := &testkit.Reporter{}
	v, err := contract.New()
	require.NoError(t, err)
	upstream := httptest.NewServer(v.Middleware(ours, wrong))
	defer upstream.Close()
	p := start(t, prism.Proxy, upstream.URL)

	prisms := &testkit.Reporter{}
	httpClient := &http.Client{Timeout: 10 * time.Second, Transport: prism.Transport(prisms, nil)}
	for _, c := range cases {
		t.Run(c.id, func(t *testing.T) {
			ours.Reset()
			prisms.Reset()
			req, err := http.NewRequest(http.MethodGet, p.URL()+"/byok/v1/keys/"+c.id, nil)
			require.NoError(t, err)
			req.SetBasicAuth("key", "secret")
			resp, err := httpClient.Do(req)
			require.NoError(t, err)
			_, _ = io.Copy(io.Discard, resp.Body)
			require.NoError(t, resp.Body.Close())
			if c.ours == "" {
				assert.Empty(t, ours.Messages(), "our validator")
				assert.Empty(t, prisms.Messages(), "Prism")
				return
			}
			require.Len(t, ours.Messages(), 1, "our validator")
			assert.Contains(t, ours.Messages()[0], c.ours)
			require.Len(t, prisms.Messages(), 1, "Prism")
			assert.Contains(t, prisms.Messages()[0], c.prisms)
		})
	}
}
