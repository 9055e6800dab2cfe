package main

import (
	"context"
	"fmt"
	"net/http"
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
)

// helperEnv makes this test binary act as the command prismrun runs (see
// TestHelperClient); its value says what the client does.
const helperEnv = "PRISMRUN_HELPER"

func TestConfigCheck(t *testing.T) {
	good := config{prismBin: "prism", mode: prism.Proxy, timeout: time.Minute, command: []string{"true"}}
	require.NoError(t, good.check())
	for name, c := range map[string]struct {
		change func(*config)
		want   string
	}{
		"no command":    {func(c *config) { c.command = nil }, "no command given"},
		"no prism":      {func(c *config) { c.prismBin = "" }, prism.BinEnv},
		"a bad mode":    {func(c *config) { c.mode = "stub" }, `-mode "stub"`},
		"a bad timeout": {func(c *config) { c.timeout = 0 }, "-timeout 0s"},
	} {
		t.Run(name, func(t *testing.T) {
			cfg := good
			c.change(&cfg)
			err := run(context.Background(), &strings.Builder{}, cfg)
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.want)
		})
	}
}

// runWith runs prismrun with this test binary as the command, acting as
// helper says.
func runWith(t *testing.T, mode prism.Mode, helper string) (string, error) {
	t.Helper()
	bin := os.Getenv(prism.BinEnv)
	if bin == "" {
		t.Skipf("%s is not set: run `make prism` to run the Prism checks", prism.BinEnv)
	}
	spec, err := filepath.Abs(filepath.Join("..", "..", "..", "..", "openapi", "byok-v1.yaml"))
	require.NoError(t, err)
	t.Setenv(helperEnv, helper)
	var out strings.Builder
	err = run(context.Background(), &out, config{
		prismBin: bin, spec: spec, mode: mode, timeout: 2 * time.Minute, minExchanges: 1,
		command: []string{os.Args[0], "-test.run=^TestHelperClient$", "-test.count=1"},
	})
	t.Logf("prismrun said:\n%s", out.String())
	return out.String(), err
}

func TestRunProxyWithAGoodClient(t *testing.T) {
	out, err := runWith(t, prism.Proxy, "good")
	require.NoError(t, err)
	assert.Contains(t, out, "prismrun: prism proxy: 6 exchanges, 0 flagged by Prism, 0 flagged by the contract validator")
}

func TestRunProxyFailsOnARequestThatBreaksTheSpec(t *testing.T) {
	_, err := runWith(t, prism.Proxy, "bad")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "Prism: GET /byok/v1/keys -> 422:\n    error at query.page_size: Request query parameter page_size must be >= 1")
}

func TestRunMockWithAGoodClient(t *testing.T) {
	out, err := runWith(t, prism.Mock, "mock")
	require.NoError(t, err)
	assert.Contains(t, out, "prismrun: prism mock: 2 exchanges, 0 flagged by Prism, 0 flagged by the contract validator")
}

func TestRunFailsWhenTheCommandDoesNotUseTheAPI(t *testing.T) {
	_, err := runWith(t, prism.Mock, "idle")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "only 0 exchanges went through Prism; expected at least 1")
}

// TestHelperClient is the command of the tests above; it does nothing
// unless PRISMRUN_HELPER is set.
func TestHelperClient(t *testing.T) {
	what := os.Getenv(helperEnv)
	if what == "" {
		t.Skip("a helper for the tests of run")
	}
	ep, ok := contract.ExternalEndpoint()
	require.True(t, ok, "prismrun sets %s", contract.EndpointEnv)
	var transport http.RoundTripper
	if what != "bad" { // the bad client breaks the spec on purpose
		transport = contract.ForTest(t).Transport(t, nil)
	}
	c, err := api.NewClientWithResponses(ep.URL,
		api.WithHTTPClient(&http.Client{Timeout: 10 * time.Second, Transport: transport}),
		api.WithRequestEditorFn(func(_ context.Context, req *http.Request) error {
			req.SetBasicAuth(ep.APIKey, ep.APISecret)
			return nil
		}))
	require.NoError(t, err)
	ctx := context.Background()

	switch what {
	case "idle":
	case "bad":
		size := api.PageSize(0)
		resp, err := c.ListByokV1KeysWithResponse(ctx, &api.ListByokV1KeysParams{PageSize: &size})
		require.NoError(t, err)
		assert.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode(), "Prism refuses it")
	case "mock":
		assert.Equal(t, contract.ServerPrismMock, ep.Server)
		list, err := c.ListByokV1KeysWithResponse(ctx, nil)
		require.NoError(t, err)
		assert.Equal(t, http.StatusOK, list.StatusCode())
		got, err := c.GetByokV1KeyWithResponse(ctx, "cck-12345")
		require.NoError(t, err)
		assert.Equal(t, http.StatusOK, got.StatusCode())
	case "good":
		assert.Equal(t, contract.ServerPrismProxy, ep.Server)
		var details api.KeyDetails
		require.NoError(t, details.FromAwsKey(api.AwsKey{KeyARN: fmt.Sprintf("arn:aws:kms:us-west-2:111122223333:key/prismrun-%d", time.Now().UnixNano())}))
		created, err := c.CreateByokV1KeyWithResponse(ctx, api.Key{Key: details})
		require.NoError(t, err)
		require.Equal(t, http.StatusCreated, created.StatusCode(), "%s", created.Body)
		id := created.JSON201.ID
		require.NotNil(t, created.JSON201.Metadata.Self)
		assert.True(t, strings.HasPrefix(created.JSON201.Metadata.Self, ep.URL+"/"), "links name the front door: %s", created.JSON201.Metadata.Self)
		got, err := c.GetByokV1KeyWithResponse(ctx, id)
		require.NoError(t, err)
		assert.Equal(t, http.StatusOK, got.StatusCode())
		list, err := c.ListByokV1KeysWithResponse(ctx, nil)
		require.NoError(t, err)
		assert.Equal(t, http.StatusOK, list.StatusCode())
		name := "renamed"
		updated, err := c.UpdateByokV1KeyWithResponse(ctx, id, api.KeyUpdate{DisplayName: name})
		require.NoError(t, err)
		assert.Equal(t, http.StatusOK, updated.StatusCode())
		deleted, err := c.DeleteByokV1KeyWithResponse(ctx, id)
		require.NoError(t, err)
		assert.Equal(t, http.StatusNoContent, deleted.StatusCode())
		gone, err := c.GetByokV1KeyWithResponse(ctx, id)
		require.NoError(t, err)
		assert.Equal(t, http.StatusNotFound, gone.StatusCode())
	default:
		t.Fatalf("%s=%q: unknown", helperEnv, what)
	}
}
