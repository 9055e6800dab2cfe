package openapi_test

import (
	"context"
	"maps"
	"slices"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/byokctl/byok/openapi"
)

// documented lists every (operation, status) pair the published API documents:
// 39 in all. Removing one from the spec fails TestSpecDocumentsEveryStatus.
var documented = map[string][]string{
	"listByokV1Keys":  {"200", "400", "401", "403", "429", "500"},
	"createByokV1Key": {"201", "400", "401", "402", "403", "409", "422", "429", "500"},
	"getByokV1Key":    {"200", "400", "401", "403", "404", "429", "500"},
	"updateByokV1Key": {"200", "400", "401", "402", "403", "404", "409", "422", "429", "500"},
	"deleteByokV1Key": {"204", "400", "401", "403", "404", "429", "500"},
}

func load(t *testing.T) *openapi3.T {
	t.Helper()
	doc, err := openapi.Load()
	require.NoError(t, err, "loading the spec")
	return doc
}

func operations(doc *openapi3.T) map[string]*openapi3.Operation {
	ops := map[string]*openapi3.Operation{}
	for _, item := range doc.Paths.Map() {
		for _, op := range item.Operations() {
			ops[op.OperationID] = op
		}
	}
	return ops
}

func TestSpecIsValid(t *testing.T) {
	doc := load(t)
	// Validate checks the document's structure and every example against
	// its schema (examples validation is on by default).
	require.NoError(t, doc.Validate(context.Background(), openapi3.EnableExamplesValidation()))
}

func TestSpecHasTheFiveOperations(t *testing.T) {
	ops := operations(load(t))
	assert.ElementsMatch(t, slices.Collect(maps.Keys(documented)), slices.Collect(maps.Keys(ops)))
}

func TestSpecDocumentsEveryStatus(t *testing.T) {
	ops := operations(load(t))
	pairs := 0
	for id, statuses := range documented {
		op, ok := ops[id]
		if !assert.Truef(t, ok, "operation %s missing", id) {
			continue
		}
		got := slices.Sorted(maps.Keys(op.Responses.Map()))
		assert.Equalf(t, statuses, got, "statuses of %s", id)
		pairs += len(got)
	}
	assert.Equal(t, 39, pairs, "documented (operation, status) pairs")
}

func TestErrorResponsesUseFailure(t *testing.T) {
	for id, op := range operations(load(t)) {
		for status, ref := range op.Responses.Map() {
			if status[0] != '4' && status[0] != '5' {
				continue
			}
			mt := ref.Value.Content.Get("application/json")
			if assert.NotNilf(t, mt, "%s %s has no JSON body", id, status) {
				assert.Equalf(t, "#/components/schemas/Failure", mt.Schema.Ref, "%s %s body", id, status)
			}
			assert.Containsf(t, ref.Value.Headers, "X-Request-Id", "%s %s headers", id, status)
		}
	}
}

func TestExtensibleEnumsAcceptUnknownValues(t *testing.T) {
	doc := load(t)
	for _, name := range []string{"KeyProvider", "KeyState", "KeyValidationPhase"} {
		s := doc.Components.Schemas[name].Value
		require.NotNilf(t, s, "schema %s", name)
		assert.Emptyf(t, s.Enum, "%s must not be a closed enum", name)
		assert.Containsf(t, s.Extensions, "x-extensible-enum", "%s lists its known values", name)
		assert.NoErrorf(t, s.VisitJSON("SOME_FUTURE_VALUE"), "%s accepts an unknown value", name)
	}
}

func TestSecuritySchemes(t *testing.T) {
	doc := load(t)
	want := map[string]string{"cloud-api-key": "basic", "global-api-key": "basic", "confluent-sts-access-token": "bearer"}
	got := map[string]string{}
	for name, ref := range doc.Components.SecuritySchemes {
		assert.Equal(t, "http", ref.Value.Type)
		got[name] = ref.Value.Scheme
	}
	assert.Equal(t, want, got)
}

func TestPageSizeBounds(t *testing.T) {
	s := load(t).Components.Parameters["PageSize"].Value.Schema.Value
	assert.Equal(t, 10.0, s.Default)
	require.NotNil(t, s.Max)
	assert.Equal(t, 100.0, *s.Max)
	require.NotNil(t, s.Min)
	assert.Equal(t, 1.0, *s.Min)
}
