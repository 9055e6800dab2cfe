package contract

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestExternalEndpoint(t *testing.T) {
	t.Setenv(EndpointEnv, "")
	_, ok := ExternalEndpoint()
	assert.False(t, ok)

	want := Endpoint{URL: "http://127.0.0.1:4010", APIKey: "k", APISecret: "s", Server: ServerPrismProxy}
	for _, kv := range want.Environ() {
		name, value, _ := strings.Cut(kv, "=")
		t.Setenv(name, value)
	}
	got, ok := ExternalEndpoint()
	assert.True(t, ok)
	assert.Equal(t, want, got)
}
