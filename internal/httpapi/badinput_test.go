package httpapi_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/wabsp/wabsp/openapi"
)

// scenario is one request and what must come back: a status, and for
// problems the code and the fields named.
type scenario struct {
	name       string
	req        request
	wantStatus int
	wantCode   string
	wantFields []string
}

func (e *env) run(t *testing.T, scenarios []scenario) {
	t.Helper()
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			res := e.do(sc.req)
			if res.status != sc.wantStatus {
				t.Fatalf("status %d, want %d; body %s", res.status, sc.wantStatus, res.body)
			}
			if sc.wantCode == "" {
				return
			}
			p := res.problem(t)
			if p.Code != sc.wantCode {
				t.Errorf("code %q, want %q", p.Code, sc.wantCode)
			}
			if sc.wantFields != nil {
				var got []string
				if p.Errors != nil {
					for _, f := range *p.Errors {
						got = append(got, f.Field)
					}
				}
				if diff := cmp.Diff(sc.wantFields, got); diff != "" {
					t.Errorf("fields (-want +got):\n%s", diff)
				}
			}
			if strings.Contains(string(res.body), "json:") || strings.Contains(string(res.body), "pgx") ||
				strings.Contains(string(res.body), "SQLSTATE") || strings.Contains(string(res.body), "Go struct") {
				t.Errorf("problem leaks internal text: %s", res.body)
			}
		})
	}
}

func TestBadInput(t *testing.T) {
	e := newEnv(t, options{})
	admin := e.token(e.admin)
	tokenA := e.token(e.clientA)
	a := "/v1/tenants/" + e.tenantA.ID.String()
	before := e.counts()

	e.run(t, []scenario{
		{"malformed JSON", request{method: "POST", path: "/v1/admin/tenants", token: admin, body: `{"name": "x",`},
			400, "invalid_request", []string{"body"}},
		{"unknown member", request{method: "POST", path: "/v1/admin/tenants", token: admin, body: `{"name":"x","slug":"xx","colour":"red"}`},
			400, "invalid_request", nil},
		{"wrong type", request{method: "POST", path: "/v1/admin/tenants", token: admin, body: `{"name":"x","slug":"xx","retention_days":"long"}`},
			400, "invalid_request", []string{"retention_days"}},
		{"missing required member", request{method: "POST", path: "/v1/admin/tenants", token: admin, body: `{"name":"x"}`},
			400, "invalid_request", nil},
		{"several problems at once", request{method: "POST", path: "/v1/admin/tenants", token: admin, body: `{"name":"","slug":"BAD","currency":"usd"}`},
			400, "invalid_request", []string{"currency", "name", "slug"}},
		{"domain rule", request{method: "POST", path: "/v1/admin/tenants", token: admin, body: `{"name":"x","slug":"tz-bad","time_zone":"Mars/Olympus"}`},
			400, "invalid_request", []string{"time_zone"}},
		{"body is not an object", request{method: "POST", path: "/v1/admin/tenants", token: admin, body: `[1,2]`},
			400, "invalid_request", nil},
		{"empty PATCH", request{method: "PATCH", path: a, token: admin, body: `{}`},
			400, "invalid_request", nil},
		{"wrong content type", request{method: "POST", path: "/v1/admin/partners", token: admin, body: `name=x`, contentType: "text/plain"},
			400, "invalid_request", []string{"Content-Type"}},
		{"no body", request{method: "POST", path: "/v1/admin/partners", token: admin},
			400, "invalid_request", []string{"body"}},
		{"oversized body", request{method: "POST", path: "/v1/admin/partners", token: admin,
			body: `{"name":"` + strings.Repeat("x", 1<<20) + `"}`}, 413, "payload_too_large", nil},
		{"malformed path id", request{method: "GET", path: "/v1/tenants/not-a-uuid", token: admin},
			400, "invalid_request", []string{"tenant_id"}},
		{"limit too large", request{method: "GET", path: a + "/wabas?limit=500", token: tokenA},
			400, "invalid_request", []string{"limit"}},
		{"limit zero", request{method: "GET", path: a + "/wabas?limit=0", token: tokenA},
			400, "invalid_request", []string{"limit"}},
		{"forged cursor", request{method: "GET", path: a + "/wabas?cursor=bm9wZQ", token: tokenA},
			400, "invalid_request", []string{"cursor"}},
		{"unknown status filter", request{method: "GET", path: "/v1/admin/tenants?status=deleted", token: admin},
			400, "invalid_request", []string{"status"}},
		{"unknown tenant", request{method: "GET", path: "/v1/tenants/" + uuid.NewString(), token: admin},
			404, "not_found", nil},
		{"another tenant's WABA", request{method: "GET", path: a + "/wabas/" + e.wabaB.ID.String(), token: tokenA},
			404, "not_found", nil},
		{"another tenant's WABA, as admin under the wrong tenant", request{method: "GET", path: a + "/wabas/" + e.wabaB.ID.String(), token: admin},
			404, "not_found", nil},
		{"update another tenant's WABA", request{method: "PATCH", path: a + "/wabas/" + e.wabaB.ID.String(), token: tokenA, body: `{"name":"mine"}`},
			404, "not_found", nil},
		{"delete another tenant's WABA", request{method: "DELETE", path: a + "/wabas/" + e.wabaB.ID.String(), token: tokenA},
			404, "not_found", nil},
		{"delete another tenant's phone number", request{method: "DELETE", path: a + "/phone-numbers/" + e.phoneB.ID.String(), token: tokenA},
			404, "not_found", nil},
		{"number under another tenant's WABA", request{method: "POST", path: a + "/phone-numbers", token: tokenA,
			body: `{"waba_ref":"` + e.wabaB.ID.String() + `","phone_number_id":"123","display_phone_number":"+15550001111"}`},
			400, "invalid_request", []string{"waba_ref"}},
		{"claim another tenant's waba_id", request{method: "POST", path: a + "/wabas", token: tokenA, body: `{"waba_id":"` + e.wabaB.WABAID + `"}`},
			409, "conflict", nil},
		{"tenant changes its own settings", request{method: "PATCH", path: a, token: tokenA, body: `{"name":"Free plan forever"}`},
			403, "forbidden", nil},
		{"unknown route", request{method: "GET", path: "/v1/nothing-here", token: admin},
			404, "not_found", nil},
		{"wrong method", request{method: "PUT", path: "/v1/me", token: admin},
			405, "invalid_request", nil},
		{"unknown route outside the API", request{method: "GET", path: "/nothing-here"},
			404, "not_found", nil},
	})
	if diff := cmp.Diff(before, e.counts()); diff != "" {
		t.Errorf("bad requests changed the database (-before +after):\n%s", diff)
	}
	got, err := e.svc.GetWABA(t.Context(), e.tenantB.ID, e.wabaB.ID)
	if err != nil || got.Name != e.wabaB.Name {
		t.Errorf("tenant B's WABA after the attempts = %+v, %v", got, err)
	}
}

func TestTokenAttacks(t *testing.T) {
	e := newEnv(t, options{})
	forged := forgedTokens(t, e)
	var scenarios []scenario
	for _, f := range forged {
		scenarios = append(scenarios, scenario{f.name, request{method: "GET", path: "/v1/me", token: f.token}, 401, "unauthenticated", nil})
	}
	scenarios = append(scenarios,
		scenario{"basic credentials on an API path", request{method: "GET", path: "/v1/me",
			header: map[string]string{"Authorization": basic(e.admin.Client.ClientID, e.admin.Secret)}}, 401, "unauthenticated", nil},
		scenario{"bearer without a token", request{method: "GET", path: "/v1/me",
			header: map[string]string{"Authorization": "Bearer "}}, 401, "unauthenticated", nil},
	)
	e.run(t, scenarios)

	res := e.do(request{method: "GET", path: "/v1/me", token: forged[0].token})
	if got := res.header.Get("WWW-Authenticate"); !strings.HasPrefix(got, "Bearer") {
		t.Errorf("WWW-Authenticate = %q", got)
	}
	res = e.do(request{method: "GET", path: "/v1/me", token: e.token(e.admin)})
	if res.status != http.StatusOK {
		t.Fatalf("the genuine token: status %d; body %s", res.status, res.body)
	}
	var me openapi.Me
	res.decode(t, &me)
	if me.ClientId != e.admin.Client.ID || me.Role != openapi.RoleAdmin {
		t.Errorf("me = %+v", me)
	}
}
