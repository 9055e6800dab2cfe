package byoktest

import "strings"

// The rules of a create body are the spec's (openapi/byok-v1.yaml, the one
// place they are written), read at generate time into rules.gen.go, so
// that importing byoktest needs no OpenAPI library at run time.
//go:generate go run ./internal/rulesgen -o rules.gen.go

// bodyRules are the spec's rules for the body of a create: which properties
// a Key and each kind of key have, which are required and which are
// read-only.
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
