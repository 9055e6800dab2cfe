// Package byok is the root of the byok module: a Go client, a fake server and
// a command-line tool for the Confluent Cloud Bring Your Own Key (BYOK)
// Management API v1.
//
// The generated package api is written from openapi/byok-v1.yaml by
// oapi-codegen; run `make generate` after changing the spec.
package byok

//go:generate go tool oapi-codegen -config openapi/oapi-codegen.yaml openapi/byok-v1.yaml
