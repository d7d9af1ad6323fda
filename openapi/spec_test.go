package openapi_test

import (
	"context"
	"strings"
	"testing"

	"github.com/wabsp/wabsp/openapi"
)

// TestSpecIsValid loads the embedded spec the way the server does and runs
// kin-openapi's own validation of it, examples included.
func TestSpecIsValid(t *testing.T) {
	doc, err := openapi.GetSwagger()
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("spec does not validate: %v", err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.1") {
		t.Errorf("openapi %q, want 3.1", doc.OpenAPI)
	}
}

// TestConventions checks the API conventions every operation must follow, so
// an operation added later cannot drift from them unnoticed.
func TestConventions(t *testing.T) {
	doc, err := openapi.GetSwagger()
	if err != nil {
		t.Fatal(err)
	}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			name := method + " " + path
			if op.OperationID == "" || op.Summary == "" || op.Description == "" || len(op.Tags) == 0 {
				t.Errorf("%s: needs an operationId, summary, description and tag", name)
			}
			if !strings.HasPrefix(path, "/v1/") || path == "/v1/oauth/token" {
				continue
			}
			for _, status := range []string{"400", "401", "403", "404", "429", "500"} {
				if op.Responses.Value(status) == nil {
					t.Errorf("%s: does not document its %s answer", name, status)
				}
			}
			if rb := op.RequestBody; rb != nil {
				mt := rb.Value.Content.Get("application/json")
				if mt == nil || mt.Schema == nil || mt.Schema.Value.AdditionalProperties.Has == nil || *mt.Schema.Value.AdditionalProperties.Has {
					t.Errorf("%s: a JSON request body must set additionalProperties: false", name)
				}
				if mt != nil && mt.Example == nil {
					t.Errorf("%s: a JSON request body needs an example", name)
				}
				if op.Responses.Value("413") == nil {
					t.Errorf("%s: takes a body but does not document 413", name)
				}
			}
			if method == "GET" && strings.HasPrefix(op.OperationID, "List") {
				for _, p := range []string{"limit", "cursor"} {
					if op.Parameters.GetByInAndName("query", p) == nil {
						t.Errorf("%s: a list must take %s", name, p)
					}
				}
			}
		}
	}
}
