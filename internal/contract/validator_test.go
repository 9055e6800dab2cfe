package contract

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const goodKey = `{"api_version":"byok/v1","kind":"Key","id":"cck-1","metadata":{"self":"http://127.0.0.1/byok/v1/keys/cck-1"},
"key":{"kind":"AwsKey","key_arn":"arn:aws:kms:us-west-2:111122223333:key/1"},"provider":"%s","state":"AVAILABLE",
"validation":{"phase":"INITIALIZING","since":"2024-03-20T15:30:00Z"}}`

func check(t *testing.T, status int, body string) []error {
	t.Helper()
	v, err := New()
	require.NoError(t, err)
	req := httptest.NewRequest(http.MethodGet, "http://127.0.0.1:8080/byok/v1/keys/cck-1", nil)
	h := http.Header{"Content-Type": {"application/json"}, "X-Request-Id": {"r-1"}}
	return v.Check(context.Background(), Exchange{Request: req, Status: status, Header: h, ResponseBody: []byte(body)})
}

func TestCheckAcceptsAGoodKeyAndAnUnknownProvider(t *testing.T) {
	assert.Empty(t, check(t, 200, sprintf(goodKey, "AWS")))
	assert.Empty(t, check(t, 200, sprintf(goodKey, "Oracle")), "extensible enum")
}

func TestCheckRejects(t *testing.T) {
	for name, c := range map[string]struct {
		status int
		body   string
	}{
		"wrong type":          {200, `{"api_version":"byok/v1","kind":"Key","id":7}`},
		"missing required":    {200, `{"api_version":"byok/v1","kind":"Key","id":"cck-1"}`},
		"undocumented status": {418, `{"errors":[]}`},
	} {
		t.Run(name, func(t *testing.T) {
			errs := check(t, c.status, c.body)
			require.NotEmpty(t, errs)
			assert.Contains(t, errs[0].Error(), "getByokV1Key")
		})
	}
}

func sprintf(format string, args ...any) string { return fmt.Sprintf(format, args...) }
