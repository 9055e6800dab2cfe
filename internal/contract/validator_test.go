package contract

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// key returns a valid stored Key body with the given provider, state and
// validation phase.
func key(provider, state, phase string) string {
	return `{"api_version":"byok/v1","kind":"Key","id":"cck-1",
"metadata":{"self":"http://127.0.0.1/byok/v1/keys/cck-1","created_at":"2024-03-20T15:30:00Z"},
"key":{"kind":"AwsKey","key_arn":"arn:aws:kms:us-west-2:111122223333:key/1","roles":["arn:aws:iam::1:role/r"]},
"provider":"` + provider + `","state":"` + state + `",
"validation":{"phase":"` + phase + `","since":"2024-03-20T15:30:00Z"}}`
}

var jsonHeader = http.Header{"Content-Type": {"application/json"}, "X-Request-Id": {"r-1"}}

func newValidator(t *testing.T) *Validator {
	t.Helper()
	v, err := New()
	require.NoError(t, err)
	return v
}

// exchange builds an Exchange of method and target (a URL) answered with
// status, header and body.
func exchange(method, target, reqBody string, status int, header http.Header, body string) Exchange {
	req := httptest.NewRequest(method, target, strings.NewReader(reqBody))
	if reqBody != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	return Exchange{Request: req, RequestBody: []byte(reqBody), Status: status, Header: header, ResponseBody: []byte(body)}
}

func getKey(status int, body string) Exchange {
	return exchange(http.MethodGet, "http://127.0.0.1:8080/byok/v1/keys/cck-1", "", status, jsonHeader, body)
}

// only returns the single *Violation in errs.
func only(t *testing.T, errs []error) *Violation {
	t.Helper()
	require.Len(t, errs, 1, "violations: %v", errs)
	var v *Violation
	require.True(t, errors.As(errs[0], &v), "%T is not a *Violation", errs[0])
	return v
}

func TestCheckAcceptsAGoodKey(t *testing.T) {
	v := newValidator(t)
	assert.Empty(t, v.Check(context.Background(), getKey(200, key("AWS", "AVAILABLE", "INITIALIZING"))))
}

func TestCheckAcceptsUnknownValuesOfExtensibleEnums(t *testing.T) {
	v := newValidator(t)
	for name, body := range map[string]string{
		"provider":         key("Oracle", "IN_USE", "VALID"),
		"state":            key("AWS", "RETIRING", "VALID"),
		"validation.phase": key("AWS", "IN_USE", "REVALIDATING"),
	} {
		t.Run(name, func(t *testing.T) {
			assert.Empty(t, v.Check(context.Background(), getKey(200, body)))
		})
	}
	t.Run("a closed enum still is one", func(t *testing.T) {
		bad := strings.Replace(key("AWS", "IN_USE", "VALID"), `"api_version":"byok/v1"`, `"api_version":"byok/v2"`, 1)
		got := only(t, v.Check(context.Background(), getKey(200, bad)))
		assert.Equal(t, "/api_version", got.Problems[0].Pointer)
	})
}

func TestCheckRejectsABadResponse(t *testing.T) {
	good := key("AWS", "AVAILABLE", "VALID")
	for name, c := range map[string]struct {
		status  int
		header  http.Header
		body    string
		problem Problem
	}{
		"a field of the wrong type": {200, jsonHeader, strings.Replace(good, `"id":"cck-1"`, `"id":7`, 1),
			Problem{"response body", "/id", "value must be a string (got 7)"}},
		"a missing required field": {200, jsonHeader, strings.Replace(good, `"state":"AVAILABLE",`, ``, 1),
			Problem{"response body", "/state", `property "state" is missing`}},
		"a missing field of a key variant": {200, jsonHeader, strings.Replace(good, `"key_arn":"arn:aws:kms:us-west-2:111122223333:key/1",`, ``, 1),
			Problem{"response body", "/key/key_arn", `property "key_arn" is missing`}},
		"an undocumented status": {418, jsonHeader, `{"errors":[]}`,
			Problem{"response status", "", "not documented for this operation"}},
		"a field the error model does not have": {404, jsonHeader, `{"errors":[{"id":"e-1","reason":"gone"}]}`,
			Problem{"response body", "/errors/0", `property "reason" is unsupported`}},
		"a self that is no URI": {200, jsonHeader, strings.Replace(good, `"self":"http://127.0.0.1/byok/v1/keys/cck-1"`, `"self":"keys/cck-1"`, 1),
			Problem{"response body", "/metadata/self", `string doesn't match the format "uri" (not an absolute URI (no scheme)) (got "keys/cck-1")`}},
		"a time that is no date-time": {200, jsonHeader, strings.Replace(good, `"since":"2024-03-20T15:30:00Z"`, `"since":"yesterday"`, 1),
			Problem{"response body", "/validation/since", `string doesn't match the format "date-time" (not an RFC 3339 date-time) (got "yesterday")`}},
		"a body that is no JSON": {500, jsonHeader, `oops`,
			Problem{"response body", "", "failed to decode response body: invalid character 'o' looking for beginning of value"}},
		"a rate-limit header that is no integer": {200, http.Header{"Content-Type": {"application/json"}, "X-Ratelimit-Reset": {"soon"}}, good,
			Problem{"response header", "", ""}},
	} {
		t.Run(name, func(t *testing.T) {
			got := only(t, newValidator(t).Check(context.Background(), getKey(c.status, c.body).withHeader(c.header)))
			assert.Equal(t, "getByokV1Key", got.OperationID)
			assert.Equal(t, c.status, got.Status)
			assert.False(t, got.Request)
			require.NotEmpty(t, got.Problems)
			if c.problem.Where == "response header" {
				assert.Equal(t, `response header "X-RateLimit-Reset"`, got.Problems[0].Where)
				assert.Contains(t, got.Problems[0].Reason, "invalid integer")
				return
			}
			assert.Equal(t, []Problem{c.problem}, got.Problems)
		})
	}
}

func TestViolationMessageIsShortAndSaysWhatAndWhere(t *testing.T) {
	body := `{"api_version":"byok/v1","kind":"Key","id":7}`
	msg := only(t, newValidator(t).Check(context.Background(), getKey(200, body))).Error()
	assert.Equal(t, `contract: getByokV1Key GET /byok/v1/keys/cck-1 -> 200: the response violates the spec
    response body /id: value must be a string (got 7)
    response body /key: property "key" is missing
    response body /metadata: property "metadata" is missing
    response body /provider: property "provider" is missing
    response body /state: property "state" is missing
    response body /validation: property "validation" is missing`, msg)
	assert.NotContains(t, msg, "Schema:", "no schema dump")
}

func TestCheckRejectsABadRequest(t *testing.T) {
	for name, c := range map[string]struct {
		method, target, body string
		problem              Problem
	}{
		"a key without its ARN": {http.MethodPost, "http://127.0.0.1/byok/v1/keys", `{"key":{"kind":"AwsKey"}}`,
			Problem{"request body", "/key/key_arn", `property "key_arn" is missing`}},
		"a read-only field sent": {http.MethodPost, "http://127.0.0.1/byok/v1/keys", `{"key":{"kind":"AwsKey","key_arn":"a"},"provider":"AWS"}`,
			Problem{"request body", "/provider", `readOnly property "provider" in request (got "AWS")`}},
		"a page size out of range": {http.MethodGet, "http://127.0.0.1/byok/v1/keys?page_size=0", "",
			Problem{`query parameter "page_size"`, "", "number must be at least 1 (got 0)"}},
	} {
		t.Run(name, func(t *testing.T) {
			ex := exchange(c.method, c.target, c.body, 500, jsonHeader, `{"errors":[]}`)
			got := only(t, newValidator(t).Check(context.Background(), ex))
			assert.True(t, got.Request)
			assert.Equal(t, []Problem{c.problem}, got.Problems)
			assert.Contains(t, got.Error(), "the request violates the spec")
		})
	}
}

func TestCheckLetsARefusedRequestBreakTheSpec(t *testing.T) {
	// A server that answers 400 or 422 is being shown a bad request on
	// purpose; only its answer is held to the spec.
	for _, status := range []int{400, 422} {
		ex := exchange(http.MethodPost, "http://127.0.0.1/byok/v1/keys", `{"key":{"kind":"AwsKey"}}`, status, jsonHeader, `{"errors":[{"status":"422"}]}`)
		assert.Empty(t, newValidator(t).Check(context.Background(), ex), "status %d", status)
	}
}

func TestCheckRejectsAnUndocumentedOperation(t *testing.T) {
	ex := exchange(http.MethodPut, "http://127.0.0.1/byok/v1/keys/cck-1", "", 200, jsonHeader, `{}`)
	got := only(t, newValidator(t).Check(context.Background(), ex))
	assert.Empty(t, got.OperationID)
	assert.Equal(t, []Problem{{"request", "", "no documented operation has this method and path"}}, got.Problems)
}

func TestCheckSkipsAnInjectedFault(t *testing.T) {
	v := newValidator(t)
	h := http.Header{FaultHeader: {"malformed-body"}}
	assert.Empty(t, v.Check(context.Background(), getKey(200, `{"id":`).withHeader(h)))
	assert.Empty(t, v.Counts(), "a fault is not counted")
}

// TestCheckHoldsTheRateLimitResetToAnInteger checks that a fractional
// X-RateLimit-Reset breaks the spec (the API publishes an integer), unless
// the answer is marked as a fault: byoktest's rate-limit burst sends one on
// purpose.
func TestCheckHoldsTheRateLimitResetToAnInteger(t *testing.T) {
	good := key("AWS", "AVAILABLE", "VALID")
	header := func(reset string, extra ...string) http.Header {
		h := http.Header{"Content-Type": {"application/json"}, "X-Ratelimit-Reset": {reset}}
		for i := 0; i+1 < len(extra); i += 2 {
			h.Set(extra[i], extra[i+1])
		}
		return h
	}
	v := newValidator(t)
	assert.Empty(t, v.Check(context.Background(), getKey(200, good).withHeader(header("59"))))

	got := only(t, v.Check(context.Background(), getKey(200, good).withHeader(header("59.484"))))
	require.NotEmpty(t, got.Problems)
	assert.Equal(t, `response header "X-RateLimit-Reset"`, got.Problems[0].Where)

	tooMany := `{"errors":[{"status":"429","code":"too_many_requests"}]}`
	assert.Empty(t, v.Check(context.Background(), getKey(429, tooMany).withHeader(header("0.05", FaultHeader, "rate-limit-burst"))),
		"a marked fault answer is exempt")
	got = only(t, v.Check(context.Background(), getKey(429, tooMany).withHeader(header("0.05", "Retry-After", "0"))))
	assert.Equal(t, `response header "X-RateLimit-Reset"`, got.Problems[0].Where, "an unmarked 429 is not")
}

func (ex Exchange) withHeader(h http.Header) Exchange { ex.Header = h; return ex }

func TestCheckCountsPairs(t *testing.T) {
	v := newValidator(t)
	ctx := context.Background()
	v.Check(ctx, getKey(200, key("AWS", "IN_USE", "VALID")))
	v.Check(ctx, getKey(200, key("GCP", "IN_USE", "VALID")))
	v.Check(ctx, getKey(200, `{}`))
	v.Check(ctx, getKey(404, `{"errors":[]}`))
	v.Check(ctx, getKey(418, `{"errors":[]}`))
	assert.Equal(t, map[Pair]Count{
		{"getByokV1Key", 200}: {Seen: 3, Valid: 2},
		{"getByokV1Key", 404}: {Seen: 1, Valid: 1},
		{"getByokV1Key", 418}: {Seen: 1, Valid: 0},
	}, v.Counts())
	assert.Equal(t, map[Pair]int{{"getByokV1Key", 200}: 2, {"getByokV1Key", 404}: 1}, v.Seen())
	missing := v.Missing()
	assert.Len(t, missing, 37)
	assert.NotContains(t, missing, Pair{"getByokV1Key", 200})
	assert.Contains(t, missing, Pair{"getByokV1Key", 500})
}

func TestDocumentedHasTheThirtyNinePairs(t *testing.T) {
	pairs := newValidator(t).Documented()
	require.Len(t, pairs, 39)
	assert.Equal(t, Pair{"createByokV1Key", 201}, pairs[0])
	assert.Equal(t, Pair{"updateByokV1Key", 500}, pairs[38])
	assert.Equal(t, "createByokV1Key 201", pairs[0].String())
}
