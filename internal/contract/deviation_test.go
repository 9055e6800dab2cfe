package contract

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
)

func deleteKey(status int, header http.Header, body string) Exchange {
	return exchange(http.MethodDelete, "http://127.0.0.1:8080/byok/v1/keys/cck-1", "", status, header, body)
}

const conflict = `{"errors":[{"id":"r-1","status":"409","code":"resource_in_use","title":"Key In Use","detail":"key cck-1 is IN_USE"}]}`

func TestDeviationAcceptsAFailureBodyAndCountsIt(t *testing.T) {
	v := newValidator(t)
	assert.Empty(t, v.Check(context.Background(), deleteKey(409, jsonHeader, conflict)))
	p := Pair{"deleteByokV1Key", 409}
	assert.True(t, Deviation(p))
	assert.Equal(t, Count{Seen: 1, Valid: 1}, v.Counts()[p])
	assert.NotContains(t, v.Documented(), p, "a deviation is not one of the documented pairs")
}

func TestDeviationRejectsABodyThatIsNotAFailure(t *testing.T) {
	v := newValidator(t)
	for name, c := range map[string]struct {
		header http.Header
		body   string
	}{
		"not JSON":           {http.Header{"Content-Type": {"text/html"}}, "<html>busy</html>"},
		"no errors":          {jsonHeader, `{"message":"in use"}`},
		"an unknown field":   {jsonHeader, `{"errors":[{"status":"409","reason":"in use"}]}`},
		"a wrong type":       {jsonHeader, `{"errors":[{"status":409}]}`},
		"a broken JSON body": {jsonHeader, `{"errors":[`},
	} {
		t.Run(name, func(t *testing.T) {
			errs := v.Check(context.Background(), deleteKey(409, c.header, c.body))
			assert.Equal(t, 409, only(t, errs).Status)
		})
	}
}

func TestOtherUndocumentedStatusesStayViolations(t *testing.T) {
	v := newValidator(t)
	assert.False(t, Deviation(Pair{"getByokV1Key", 409}))
	assert.Equal(t, 409, only(t, v.Check(context.Background(), getKey(409, conflict))).Status)
	assert.Equal(t, 422, only(t, v.Check(context.Background(), deleteKey(422, jsonHeader, conflict))).Status)
}
