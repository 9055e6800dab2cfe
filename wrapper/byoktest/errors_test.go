package byoktest_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/byokctl/byok/api"
	"github.com/byokctl/byok/internal/contract"
	"github.com/byokctl/byok/wrapper/byoktest"
)

// pointers returns the source pointers of a Failure body.
func pointers(t *testing.T, b []byte) []string {
	t.Helper()
	var out []string
	for _, e := range decode[api.Failure](t, b).Errors {
		require.NotNilf(t, e.Source, "error without source: %s", b)
		out = append(out, e.Source.Pointer)
	}
	return out
}

func TestCreateRefusesInvalidBodies(t *testing.T) {
	srv, _ := validated(t)
	for name, c := range map[string]struct {
		body     string
		pointers []string
	}{
		"no key":             {`{"display_name":"x"}`, []string{"/key"}},
		"key null":           {`{"key":null}`, []string{"/key"}},
		"key not an object":  {`{"key":"arn"}`, []string{"/key"}},
		"no kind":            {`{"key":{"key_arn":"arn:aws:kms:us-west-2:1:key/1"}}`, []string{"/key/kind"}},
		"unknown kind":       {`{"key":{"kind":"OracleKey","key_arn":"a"}}`, []string{"/key/kind"}},
		"aws without arn":    {`{"key":{"kind":"AwsKey"}}`, []string{"/key/key_arn"}},
		"aws empty arn":      {`{"key":{"kind":"AwsKey","key_arn":""}}`, []string{"/key/key_arn"}},
		"azure missing some": {`{"key":{"kind":"AzureKey","key_id":"https://v.vault.azure.net/keys/k"}}`, []string{"/key/key_vault_id", "/key/tenant_id"}},
		"gcp without key_id": {`{"key":{"kind":"GcpKey"}}`, []string{"/key/key_id"}},
		"roles sent":         {`{"key":{"kind":"AwsKey","key_arn":"arn:aws:kms:us-west-2:1:key/1","roles":["r"]}}`, []string{"/key/roles"}},
		"application_id sent": {`{"key":{"kind":"AzureKey","key_id":"https://v.vault.azure.net/keys/k","key_vault_id":"/v","tenant_id":"t","application_id":"a"}}`,
			[]string{"/key/application_id"}},
		"security_group sent":   {`{"key":{"kind":"GcpKey","key_id":"projects/p/locations/l/keyRings/r/cryptoKeys/k","security_group":"g"}}`, []string{"/key/security_group"}},
		"field of another kind": {`{"key":{"kind":"AwsKey","key_arn":"arn:aws:kms:us-west-2:1:key/1","tenant_id":"t"}}`, []string{"/key/tenant_id"}},
		"read-only top-level": {`{"id":"cck-1","kind":"Key","api_version":"byok/v1","metadata":{},"provider":"AWS","state":"IN_USE","validation":{},` +
			`"key":{"kind":"AwsKey","key_arn":"arn:aws:kms:us-west-2:1:key/1"}}`,
			[]string{"/api_version", "/id", "/kind", "/metadata", "/provider", "/state", "/validation"}},
		"unknown property":        {`{"colour":"red","key":{"kind":"AwsKey","key_arn":"arn:aws:kms:us-west-2:1:key/1"}}`, []string{"/colour"}},
		"display_name not string": {`{"display_name":5,"key":{"kind":"AwsKey","key_arn":"arn:aws:kms:us-west-2:1:key/1"}}`, []string{"/display_name"}},
		"not an object":           {`["key"]`, nil},
	} {
		t.Run(name, func(t *testing.T) {
			resp, b := call(t, srv, http.MethodPost, "/byok/v1/keys", c.body)
			require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode, "%s", b)
			if c.pointers != nil {
				assert.Equal(t, c.pointers, pointers(t, b))
			}
		})
	}
	assert.Zero(t, srv.Len(), "no invalid body creates a key")
}

func TestCreateRefusesMalformedAndOversizedBodies(t *testing.T) {
	srv, _ := validated(t, byoktest.WithBodyLimit(512))
	for name, body := range map[string]string{
		"truncated JSON": `{"key":{"kind":"AwsKey"`,
		"not JSON":       `key=value`,
		"too large":      `{"display_name":"` + strings.Repeat("x", 600) + `","key":{"kind":"AwsKey","key_arn":"arn:aws:kms:us-west-2:1:key/1"}}`,
	} {
		t.Run(name, func(t *testing.T) {
			resp, b := call(t, srv, http.MethodPost, "/byok/v1/keys", body)
			require.Equal(t, http.StatusBadRequest, resp.StatusCode, "%s", b)
			f := decode[api.Failure](t, b)
			require.Len(t, f.Errors, 1)
			if name == "too large" {
				assert.Contains(t, f.Errors[0].Detail, "512 bytes")
			}
		})
	}
	resp, b := call(t, srv, http.MethodPost, "/byok/v1/keys", "")
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode, "empty body: %s", b)
	resp, b = send(t, srv, http.MethodPost, "/byok/v1/keys", awsBody, func(r *http.Request) {
		srv.Authorize(r)
		r.Header.Set("Content-Type", "text/plain")
	})
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode, "wrong content type: %s", b)
	assert.Contains(t, string(b), "application/json")
	resp, b = send(t, srv, http.MethodPost, "/byok/v1/keys", awsBody, func(r *http.Request) {
		srv.Authorize(r)
		r.Header.Set("Content-Type", "application/json; charset=utf-8")
	})
	assert.Equal(t, http.StatusCreated, resp.StatusCode, "content type with parameters: %s", b)
}

func TestCreateConflictNamesTheExistingKey(t *testing.T) {
	srv, _ := validated(t)
	id := createKey(t, srv, gcpBody)
	resp, b := call(t, srv, http.MethodPost, "/byok/v1/keys", strings.Replace(gcpBody, `"logs"`, `"other name"`, 1))
	require.Equal(t, http.StatusConflict, resp.StatusCode, "%s", b)
	assert.Equal(t, srv.URL()+"/byok/v1/keys/"+id, resp.Header.Get("Location"))
	assert.Contains(t, decode[api.Failure](t, b).Errors[0].Detail, id)
	assert.Equal(t, 1, srv.Len())
}

func TestQuota(t *testing.T) {
	srv, _ := validated(t, byoktest.WithMaxKeys(2))
	first := createKey(t, srv, awsBody)
	createKey(t, srv, gcpBody)
	resp, b := call(t, srv, http.MethodPost, "/byok/v1/keys", azureBody)
	require.Equal(t, http.StatusPaymentRequired, resp.StatusCode, "%s", b)
	assert.Contains(t, decode[api.Failure](t, b).Errors[0].Detail, "byok.max_keys.per_org")
	resp, _ = call(t, srv, http.MethodDelete, "/byok/v1/keys/"+first, "")
	require.Equal(t, http.StatusNoContent, resp.StatusCode)
	createKey(t, srv, azureBody) // room again
}

func TestUpdateChangesOnlyDisplayName(t *testing.T) {
	now := fixedClock()()
	clock := func() time.Time { return now }
	srv, _ := validated(t, byoktest.WithClock(clock))
	id := createKey(t, srv, awsBody)
	before, _ := srv.Key(id)

	for name, body := range map[string]string{
		"state":         `{"state":"IN_USE"}`,
		"key":           `{"key":{"kind":"AwsKey","key_arn":"arn:aws:kms:us-west-2:111122223333:key/1234abcd"}}`,
		"metadata":      `{"metadata":{"self":"http://x"}}`,
		"with a name":   `{"display_name":"new","provider":"GCP"}`,
		"name not text": `{"display_name":7}`,
		"not an object": `"new"`,
		"unknown":       `{"colour":"red"}`,
	} {
		t.Run(name, func(t *testing.T) {
			resp, b := call(t, srv, http.MethodPatch, "/byok/v1/keys/"+id, body)
			require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode, "%s", b)
		})
	}
	after, _ := srv.Key(id)
	assert.Equal(t, before, after, "refused updates change nothing")

	now = now.Add(time.Hour)
	resp, b := call(t, srv, http.MethodPatch, "/byok/v1/keys/"+id, `{"display_name":"new"}`)
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s", b)
	k := decode[api.Key](t, b)
	assert.Equal(t, "new", k.DisplayName)
	assert.Equal(t, now, k.Metadata.UpdatedAt)
	assert.Equal(t, before.Metadata.CreatedAt, k.Metadata.CreatedAt)
	assert.Equal(t, before.Key, k.Key)
}

// TestDeleteInUse: deleting an IN_USE key answers 409, as the live API does.
// The published reference documents no 409 for deleteByokV1Key; the contract
// validator accepts it as a known deviation (contract.Deviation), with a
// Failure body.
func TestDeleteInUse(t *testing.T) {
	srv, v := validated(t)
	id := createKey(t, srv, awsBody)
	require.NoError(t, srv.SetState(id, api.KeyStateINUSE))
	resp, b := call(t, srv, http.MethodDelete, "/byok/v1/keys/"+id, "")
	require.Equal(t, http.StatusConflict, resp.StatusCode, "%s", b)
	assert.Equal(t, "409", decode[api.Failure](t, b).Errors[0].Status)
	assert.Equal(t, 1, srv.Len())
	require.NoError(t, srv.SetState(id, api.KeyStateAVAILABLE))
	resp, _ = call(t, srv, http.MethodDelete, "/byok/v1/keys/"+id, "")
	assert.Equal(t, http.StatusNoContent, resp.StatusCode)
	assert.Equal(t, 1, v.Counts()[contract.Pair{OperationID: "deleteByokV1Key", Status: http.StatusConflict}].Valid)
}

func TestIDs(t *testing.T) {
	srv, _ := validated(t)
	id := createKey(t, srv, awsBody)
	for path, want := range map[string]int{
		"/byok/v1/keys/" + id: http.StatusOK,
		"/byok/v1/keys/" + strings.Replace(id, "-", "%2D", 1): http.StatusOK, // unescaped first
		"/byok/v1/keys/cck-nothere":                           http.StatusNotFound,
		"/byok/v1/keys/cck%20space":                           http.StatusBadRequest,
		"/byok/v1/keys/cck%2Fslash":                           http.StatusBadRequest,
		"/byok/v1/keys/" + strings.Repeat("a", 256):           http.StatusBadRequest,
	} {
		resp, b := send(t, srv, http.MethodGet, path, "", srv.Authorize)
		if !assert.Equalf(t, want, resp.StatusCode, "%s: %s", path, b) {
			continue
		}
		if want == http.StatusBadRequest {
			e := decode[api.Failure](t, b).Errors[0]
			assert.Equal(t, "id", e.Source.Parameter)
		}
	}
}

func TestAuthentication(t *testing.T) {
	srv, _ := validated(t, byoktest.WithCredentials("K", "S"), byoktest.WithToken("T"))
	assert.Equal(t, "K", srv.APIKey())
	assert.Equal(t, "S", srv.APISecret())
	assert.Equal(t, "T", srv.Token())
	for name, c := range map[string]struct {
		auth func(*http.Request)
		want int
	}{
		"basic":        {func(r *http.Request) { r.SetBasicAuth("K", "S") }, http.StatusOK},
		"bearer":       {func(r *http.Request) { r.Header.Set("Authorization", "Bearer T") }, http.StatusOK},
		"none":         {noAuth, http.StatusUnauthorized},
		"wrong secret": {func(r *http.Request) { r.SetBasicAuth("K", "s") }, http.StatusUnauthorized},
		"wrong key":    {func(r *http.Request) { r.SetBasicAuth("k", "S") }, http.StatusUnauthorized},
		"wrong token":  {func(r *http.Request) { r.Header.Set("Authorization", "Bearer t") }, http.StatusUnauthorized},
		"other scheme": {func(r *http.Request) { r.Header.Set("Authorization", "Digest x") }, http.StatusUnauthorized},
	} {
		t.Run(name, func(t *testing.T) {
			resp, b := send(t, srv, http.MethodGet, "/byok/v1/keys", "", c.auth)
			require.Equal(t, c.want, resp.StatusCode, "%s", b)
			if c.want == http.StatusUnauthorized {
				assert.NotEmpty(t, resp.Header.Values("WWW-Authenticate"))
				assert.NotContains(t, string(b), "S\"", "the secret is not echoed")
			}
		})
	}
	srv2 := byoktest.NewServer(t, byoktest.WithToken(""))
	resp, _ := send(t, srv2, http.MethodGet, "/byok/v1/keys", "", func(r *http.Request) { r.Header.Set("Authorization", "Bearer ") })
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, "bearer off")
}

// TestOnlyGivenCredentialsWork checks that credentials given with
// WithCredentials or WithToken replace both built-in kinds: the
// DefaultAPIKey pair and the DefaultToken bearer are then refused.
func TestOnlyGivenCredentialsWork(t *testing.T) {
	builtinPair := func(r *http.Request) { r.SetBasicAuth(byoktest.DefaultAPIKey, byoktest.DefaultAPISecret) }
	builtinToken := func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+byoktest.DefaultToken) }
	for name, c := range map[string]struct {
		opts              []byoktest.Option
		pair, token, mine int
		mineAuth          func(*http.Request)
	}{
		"none given": {nil, http.StatusOK, http.StatusOK, http.StatusOK, builtinPair},
		"key and secret": {[]byoktest.Option{byoktest.WithCredentials("K", "S")},
			http.StatusUnauthorized, http.StatusUnauthorized, http.StatusOK, func(r *http.Request) { r.SetBasicAuth("K", "S") }},
		"token": {[]byoktest.Option{byoktest.WithToken("T")},
			http.StatusUnauthorized, http.StatusUnauthorized, http.StatusOK, func(r *http.Request) { r.Header.Set("Authorization", "Bearer T") }},
	} {
		t.Run(name, func(t *testing.T) {
			srv, _ := validated(t, c.opts...)
			for what, want := range map[string]struct {
				auth   func(*http.Request)
				status int
			}{"the built-in pair": {builtinPair, c.pair}, "the built-in token": {builtinToken, c.token}, "the given ones": {c.mineAuth, c.mine}} {
				resp, b := send(t, srv, http.MethodGet, "/byok/v1/keys", "", want.auth)
				assert.Equalf(t, want.status, resp.StatusCode, "%s: %s", what, b)
			}
			// Authorize uses what is accepted.
			resp, b := call(t, srv, http.MethodGet, "/byok/v1/keys", "")
			assert.Equal(t, http.StatusOK, resp.StatusCode, "%s", b)
		})
	}
	srv := byoktest.NewServer(t, byoktest.WithToken("T"))
	assert.Empty(t, srv.APIKey(), "no pair is accepted")
	assert.Empty(t, srv.APISecret())
	srv = byoktest.NewServer(t, byoktest.WithCredentials("K", "S"))
	assert.Empty(t, srv.Token(), "no token is accepted")
}

// TestAuthenticationComesBeforeQueuedAnswersAndFaults checks that a request
// without valid credentials gets 401 and leaves RespondNext, FailNext and
// the random faults to the next authenticated request.
func TestAuthenticationComesBeforeQueuedAnswersAndFaults(t *testing.T) {
	srv, _ := validated(t)
	require.NoError(t, srv.RespondNext(byoktest.OpGet, http.StatusNotFound))
	resp, _ := send(t, srv, http.MethodGet, "/byok/v1/keys/cck-1", "", noAuth)
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	resp, _ = call(t, srv, http.MethodGet, "/byok/v1/keys/cck-1", "")
	assert.Equal(t, http.StatusNotFound, resp.StatusCode, "the queued 404 is still there")

	require.NoError(t, srv.FailNext(1, byoktest.FaultServerError))
	resp, _ = send(t, srv, http.MethodGet, "/byok/v1/keys", "", noAuth)
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	assert.Empty(t, resp.Header.Get(byoktest.FaultHeader))
	resp, _ = call(t, srv, http.MethodGet, "/byok/v1/keys", "")
	assert.Equal(t, http.StatusInternalServerError, resp.StatusCode, "the fault is still queued")

	require.NoError(t, srv.SetFaults(byoktest.Faults{Seed: 1, Rate: 1, Modes: []byoktest.FaultMode{byoktest.FaultServerError}}))
	resp, _ = send(t, srv, http.MethodGet, "/byok/v1/keys", "", noAuth)
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, "no fault before authentication")
}

func TestForbidden(t *testing.T) {
	srv, _ := validated(t, byoktest.WithForbiddenKeys("cck-locked"), byoktest.WithForbiddenOperations(byoktest.OpCreate))
	_, err := srv.AddKey(awsKey(t, "cck-locked", "arn:aws:kms:us-west-2:1:key/locked"))
	require.NoError(t, err)
	for _, m := range []string{http.MethodGet, http.MethodDelete} {
		resp, b := call(t, srv, m, "/byok/v1/keys/cck-locked", "")
		assert.Equalf(t, http.StatusForbidden, resp.StatusCode, "%s: %s", m, b)
	}
	resp, _ := call(t, srv, http.MethodPatch, "/byok/v1/keys/cck-locked", `{"display_name":"x"}`)
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)
	resp, _ = call(t, srv, http.MethodPost, "/byok/v1/keys", awsBody)
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)
	resp, _ = call(t, srv, http.MethodGet, "/byok/v1/keys", "")
	assert.Equal(t, http.StatusOK, resp.StatusCode, "listing is allowed")
	assert.Equal(t, 1, srv.Len())
}

func TestRespondNextRefusesUndocumentedStatuses(t *testing.T) {
	srv := byoktest.NewServer(t)
	require.Error(t, srv.RespondNext(byoktest.OpDelete, http.StatusConflict))
	require.Error(t, srv.RespondNext(byoktest.OpList, http.StatusNotFound))
	require.Error(t, srv.RespondNext("nope", http.StatusInternalServerError))
	require.NoError(t, srv.RespondNext(byoktest.OpGet, http.StatusNotFound))
}

func TestUnknownPathsAndMethods(t *testing.T) {
	srv := byoktest.NewServer(t)
	resp, _ := call(t, srv, http.MethodGet, "/byok/v2/keys", "")
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
	resp, _ = call(t, srv, http.MethodPut, "/byok/v1/keys/cck-1", "{}")
	assert.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode)
	assert.Equal(t, "GET, PATCH, DELETE", resp.Header.Get("Allow"))
	resp, _ = call(t, srv, http.MethodDelete, "/byok/v1/keys", "")
	assert.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode)
}

// awsKey returns a Key for AddKey.
func awsKey(t *testing.T, id, arn string) api.Key {
	t.Helper()
	var d api.KeyDetails
	require.NoError(t, d.FromAwsKey(api.AwsKey{KeyARN: arn}))
	return api.Key{ID: id, Key: d}
}
