// Package openapi holds the BYOK v1 OpenAPI spec, byok-v1.yaml, the source of
// truth that package api is generated from, and gives it to Go code.
package openapi

import (
	_ "embed"
	"fmt"

	"github.com/getkin/kin-openapi/openapi3"
)

// YAML is the spec as written in byok-v1.yaml.
//
//go:embed byok-v1.yaml
var YAML []byte

// Load parses the spec. Each call returns a new document that the caller may
// change.
func Load() (*openapi3.T, error) {
	doc, err := openapi3.NewLoader().LoadFromData(YAML)
	if err != nil {
		return nil, fmt.Errorf("openapi: parsing byok-v1.yaml: %w", err)
	}
	return doc, nil
}
