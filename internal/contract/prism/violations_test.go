package prism

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The header and bodies below have the shapes Prism 5.14.2 sends (seen in
// a run against a deliberately wrong upstream).
const (
	wrongType   = `[{"location":["response","body","id"],"severity":"Error","code":"type","message":"Response body property id must be string"}]`
	wrongStatus = `[{"location":["response"],"severity":"Warning","message":"Unable to match the returned status code with those defined in the document: 200,400,401,403,404,429,500"}]`
	refused     = `{"type":"https://stoplight.io/prism/errors#UNPROCESSABLE_ENTITY","title":"Invalid request","status":422,"detail":"Your request is not valid and no HTTP validation response was found in the spec, so Prism is generating this error for you.","validation":[{"location":["query","page_size"],"severity":"Error","code":"minimum","message":"Request query parameter page_size must be >= 1"}]}`
	noAuth      = `{"type":"https://stoplight.io/prism/errors#UNAUTHORIZED","title":"Invalid security scheme used","status":401,"detail":""}`
)

func TestViolations(t *testing.T) {
	for name, c := range map[string]struct {
		header http.Header
		body   string
		want   []string
	}{
		"a clean exchange": {http.Header{"Content-Type": {"application/json"}}, `{"errors":[]}`, nil},
		"the header, at error level": {http.Header{"Sl-Violations": {wrongType}, "Content-Type": {"application/json"}}, `{}`,
			[]string{"error at response.body.id: Response body property id must be string"}},
		"the header, at warning level": {http.Header{"Sl-Violations": {wrongStatus}}, `{}`,
			[]string{"warning at response: Unable to match the returned status code with those defined in the document: 200,400,401,403,404,429,500"}},
		"a request Prism refused": {http.Header{"Content-Type": {"application/problem+json"}}, refused,
			[]string{"error at query.page_size: Request query parameter page_size must be >= 1"}},
		"a response Prism replaced lists its violations once": {http.Header{"Sl-Violations": {wrongType}, "Content-Type": {"application/problem+json"}},
			`{"type":"https://stoplight.io/prism/errors#VIOLATIONS","title":"Request/Response not valid","status":500,"validation":` + wrongType + `}`,
			[]string{"error at response.body.id: Response body property id must be string"}},
		"a problem without a list": {http.Header{"Content-Type": {"application/problem+json; charset=utf-8"}}, noAuth,
			[]string{"error at exchange: Prism answered 401 Invalid security scheme used:  (https://stoplight.io/prism/errors#UNAUTHORIZED)"}},
	} {
		t.Run(name, func(t *testing.T) {
			vs, err := Violations(c.header, []byte(c.body))
			require.NoError(t, err)
			var got []string
			for _, v := range vs {
				got = append(got, v.String())
			}
			assert.Equal(t, c.want, got)
		})
	}
}

func TestViolationsRejectsWhatItCannotRead(t *testing.T) {
	_, err := Violations(http.Header{"Sl-Violations": {"[oops"}}, nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "sl-violations")
	_, err = Violations(http.Header{"Content-Type": {"application/problem+json"}}, []byte("<html>"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "problem answer")
}
