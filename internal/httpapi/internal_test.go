package httpapi

import (
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/gofiber/fiber/v2"

	"github.com/wabsp/wabsp/internal/apperr"
	"github.com/wabsp/wabsp/openapi"
)

// TestEveryOperationHasARule keeps the authorization table and the spec in
// step: an operation without a rule is refused to everyone, and a rule
// without an operation is a typo.
func TestEveryOperationHasARule(t *testing.T) {
	doc, err := openapi.GetSwagger()
	if err != nil {
		t.Fatal(err)
	}
	inSpec := map[string]bool{}
	for _, item := range doc.Paths.Map() {
		for _, op := range item.Operations() {
			id := operationName(op.OperationID)
			inSpec[id] = true
			if r, ok := accessRules[id]; !ok || r.access == denied {
				t.Errorf("operation %s has no access rule", id)
			}
		}
	}
	for id := range accessRules {
		if !inSpec[id] {
			t.Errorf("access rule for %s, which the spec does not have", id)
		}
	}
}

func TestClassify(t *testing.T) {
	tests := []struct {
		name       string
		err        error
		wantStatus int
		wantCode   apperr.Code
		wantDetail string
	}{
		{"invalid", apperr.InvalidField("name", "is required"), 400, apperr.Invalid, "name: is required"},
		{"not found", apperr.New(apperr.NotFound, "WABA not found"), 404, apperr.NotFound, "WABA not found"},
		{"conflict", apperr.New(apperr.Conflict, "taken"), 409, apperr.Conflict, "taken"},
		{"failed precondition", apperr.New(apperr.FailedPrecondition, "no key"), 409, apperr.FailedPrecondition, "no key"},
		{"unauthenticated", apperr.New(apperr.Unauthenticated, "invalid token"), 401, apperr.Unauthenticated, "invalid token"},
		{"forbidden", apperr.New(apperr.Forbidden, "no"), 403, apperr.Forbidden, "no"},
		{"suspended", apperr.New(apperr.TenantSuspended, "suspended"), 403, apperr.TenantSuspended, "suspended"},
		{"rate limited", apperr.New(apperr.RateLimited, "slow down"), 429, apperr.RateLimited, "slow down"},
		{"too large", apperr.New(apperr.PayloadTooLarge, "big"), 413, apperr.PayloadTooLarge, "big"},
		{"unavailable", apperr.New(apperr.Unavailable, "later"), 503, apperr.Unavailable, "later"},
		{"wrapped", fmt.Errorf("handler: %w", apperr.New(apperr.NotFound, "gone")), 404, apperr.NotFound, "gone"},
		{"internal keeps its message to the log", apperr.New(apperr.Internal, "pg: password wrong"), 500, apperr.Internal, "internal error"},
		{"plain error", errors.New("dial tcp 10.0.0.1:5432: refused"), 500, apperr.Internal, "internal error"},
		{"unknown code", apperr.New("teapot", "short and stout"), 500, apperr.Internal, "internal error"},
		{"fiber 404", fiber.ErrNotFound, 404, apperr.NotFound, "no such resource"},
		{"fiber 405", fiber.ErrMethodNotAllowed, 405, apperr.Invalid, "method not allowed for this resource"},
		{"fiber 413", fiber.ErrRequestEntityTooLarge, 413, apperr.PayloadTooLarge, "request body too large"},
		{"fiber body parser", fiber.NewError(400, "json: cannot unmarshal number into Go struct field"), 400, apperr.Invalid, "the request could not be parsed"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, status := problemFor(tc.err, "req-1")
			if status != tc.wantStatus || p.Status != status || p.Code != string(tc.wantCode) ||
				p.Detail == nil || *p.Detail != tc.wantDetail || p.RequestId != "req-1" ||
				p.Title != http.StatusText(status) || p.Type != "urn:wabsp:problem:"+string(tc.wantCode) {
				t.Errorf("problemFor = %+v (detail %q), %d", p, deref(p.Detail), status)
			}
		})
	}
}

func TestOperationMatch(t *testing.T) {
	doc, err := openapi.GetSwagger()
	if err != nil {
		t.Fatal(err)
	}
	x := newOperations(doc)
	tests := []struct {
		method, path string
		want         string
		params       map[string]string
	}{
		{"GET", "/v1/admin/tenants", "listTenants", map[string]string{}},
		{"GET", "/v1/tenants/abc", "getTenant", map[string]string{"tenant_id": "abc"}},
		{"GET", "/v1/tenants/abc/", "getTenant", map[string]string{"tenant_id": "abc"}},
		{"DELETE", "/v1/admin/partners/p/tenants/t", "unassignPartnerTenant", map[string]string{"partner_id": "p", "tenant_id": "t"}},
		{"GET", "/v1/partners/p/tenants", "listPartnerTenants", map[string]string{"partner_id": "p"}},
		{"PUT", "/v1/me", "", nil},
		{"GET", "/v1/tenants", "", nil},
		{"GET", "/v1/tenants//wabas", "", nil},
	}
	for _, tc := range tests {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			o, params := x.match(tc.method, tc.path)
			got := ""
			if o != nil {
				got = o.id
			}
			if got != tc.want {
				t.Fatalf("match = %q, want %q", got, tc.want)
			}
			if o != nil && fmt.Sprint(params) != fmt.Sprint(tc.params) {
				t.Errorf("params = %v, want %v", params, tc.params)
			}
		})
	}
}
