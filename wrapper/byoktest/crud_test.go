package byoktest_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/byokctl/byok/api"
	"github.com/byokctl/byok/wrapper/byoktest"
)

func TestCreateGetUpdateDelete(t *testing.T) {
	srv, _ := validated(t)
	resp, b := call(t, srv, http.MethodPost, "/byok/v1/keys", awsBody)
	require.Equal(t, http.StatusCreated, resp.StatusCode, "%s", b)
	k := decode[api.Key](t, b)
	require.NotNil(t, k.ID)
	assert.Regexp(t, `^cck-[a-z0-9]{8}$`, k.ID)
	assert.Equal(t, srv.URL()+"/byok/v1/keys/"+k.ID, resp.Header.Get("Location"))
	assert.Equal(t, srv.URL()+"/byok/v1/keys/"+k.ID, k.Metadata.Self)
	assert.Equal(t, api.KeyProviderAWS, k.Provider)
	assert.Equal(t, api.KeyStateAVAILABLE, k.State)
	assert.Equal(t, api.KeyValidationPhaseINITIALIZING, k.Validation.Phase)
	assert.Empty(t, k.Validation.Region, "region is computed after validation")
	aws, err := k.Key.AsAwsKey()
	require.NoError(t, err)
	assert.NotEmpty(t, aws.Roles)

	resp, b = call(t, srv, http.MethodGet, "/byok/v1/keys/"+k.ID, "")
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s", b)
	got := decode[api.Key](t, b)
	assert.Equal(t, api.KeyValidationPhaseVALID, got.Validation.Phase)
	require.NotNil(t, got.Validation.Region)
	assert.Equal(t, "us-west-2", got.Validation.Region)

	resp, b = call(t, srv, http.MethodPatch, "/byok/v1/keys/"+k.ID, `{"display_name":"renamed"}`)
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s", b)
	assert.Equal(t, "renamed", decode[api.Key](t, b).DisplayName)

	resp, b = call(t, srv, http.MethodDelete, "/byok/v1/keys/"+k.ID, "")
	require.Equal(t, http.StatusNoContent, resp.StatusCode, "%s", b)
	assert.Empty(t, b)
	resp, _ = call(t, srv, http.MethodGet, "/byok/v1/keys/"+k.ID, "")
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
}

// TestTimestampsAreWholeSecondsInUTC: the API writes its timestamps in UTC to
// the second (RFC 3339 without a fraction), whatever the clock's precision.
func TestTimestampsAreWholeSecondsInUTC(t *testing.T) {
	at := time.Date(2026, 3, 20, 17, 30, 0, 987654321, time.FixedZone("CET", 3600))
	srv, _ := validated(t, byoktest.WithClock(func() time.Time { return at }))
	id := createKey(t, srv, awsBody)
	_, b := call(t, srv, http.MethodGet, "/byok/v1/keys/"+id, "")
	for _, field := range []string{`"created_at":"2026-03-20T16:30:00Z"`, `"updated_at":"2026-03-20T16:30:00Z"`, `"since":"2026-03-20T16:30:00Z"`} {
		assert.Contains(t, string(b), field)
	}
}
