package byoktest

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/byokctl/byok/openapi"
)

// bodyRules are the spec's rules for the body of a create: which properties
// a Key and each kind of key have, which are required and which are
// read-only. They are read from the embedded spec (package openapi), the
// one place these rules are written.
type bodyRules struct {
	key      schemaRules
	kinds    []string // the key kinds the spec knows, sorted
	variants map[string]schemaRules
}

// schemaRules are the properties of one object schema.
type schemaRules struct {
	required []string        // in the spec's order
	props    map[string]bool // every property: true when read-only
}

// readOnly reports whether name is a read-only property.
func (s schemaRules) readOnly(name string) bool { return s.props[name] }

// known reports whether name is a property.
func (s schemaRules) known(name string) bool {
	_, ok := s.props[name]
	return ok
}

// kindList is the kinds for a message: "AwsKey, AzureKey, GcpKey".
func (b *bodyRules) kindList() string { return strings.Join(b.kinds, ", ") }

// specRules returns the rules of the embedded spec. The spec is parsed once
// per process (it takes tens of milliseconds, too long for each NewHandler);
// the rules never change afterwards.
var specRules = sync.OnceValues(func() (*bodyRules, error) {
	doc, err := openapi.Load()
	if err != nil {
		return nil, fmt.Errorf("byoktest: %w", err)
	}
	return rulesOf(doc)
})

// rulesOf reads the rules from the schemas Key and KeyDetails of doc.
func rulesOf(doc *openapi3.T) (*bodyRules, error) {
	key := doc.Components.Schemas["Key"]
	details := doc.Components.Schemas["KeyDetails"]
	if key == nil || key.Value == nil || details == nil || details.Value == nil || details.Value.Discriminator == nil {
		return nil, errors.New("byoktest: the spec has no schema Key, or KeyDetails with a discriminator")
	}
	out := &bodyRules{key: schemaRulesOf(key.Value), variants: map[string]schemaRules{}}
	for kind, ref := range details.Value.Discriminator.Mapping {
		name := strings.TrimPrefix(ref.Ref, "#/components/schemas/")
		s := doc.Components.Schemas[name]
		if s == nil || s.Value == nil {
			return nil, fmt.Errorf("byoktest: the spec maps kind %s to %s, which it does not define", kind, ref.Ref)
		}
		out.variants[kind] = schemaRulesOf(s.Value)
	}
	out.kinds = slices.Sorted(maps.Keys(out.variants))
	return out, nil
}

func schemaRulesOf(s *openapi3.Schema) schemaRules {
	r := schemaRules{required: slices.Clone(s.Required), props: map[string]bool{}}
	for name, p := range s.Properties {
		r.props[name] = p.Value != nil && p.Value.ReadOnly
	}
	return r
}
