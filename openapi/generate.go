// Package openapi holds wabsp's HTTP contract, openapi.yaml, and the Fiber
// strict-server interfaces, models and embedded spec generated from it. The
// YAML is the source of truth: change it, run `go generate ./openapi`, then
// implement the new StrictServerInterface methods in internal/httpapi.
package openapi

//go:generate go tool oapi-codegen -config oapi-codegen.yaml openapi.yaml
