package httpapi_test

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wabsp/wabsp/openapi"
	"github.com/wabsp/wabsp/tenants/tenantstest"
)

// must fails the test unless res has status want, and decodes its body into
// v when v is not nil.
func must(t *testing.T, res response, want int, v any) {
	t.Helper()
	if res.status != want {
		t.Fatalf("status %d, want %d; body %s", res.status, want, res.body)
	}
	if v != nil {
		res.decode(t, v)
	}
}

// TestOnboarding walks the API the way a BSP onboards a client: an admin
// creates the tenant and a partner, assigns them, issues clients; the tenant
// client gets tokens every supported way and registers and lists its WABAs;
// the partner sees only what it was given; the audit log shows it all.
func TestOnboarding(t *testing.T) {
	e := newEnv(t, options{})
	admin := e.token(e.admin)

	var tn openapi.Tenant
	must(t, e.do(request{method: "POST", path: "/v1/admin/tenants", token: admin, body: `{"name":"Lucky Shrub","slug":"lucky-shrub","time_zone":"America/Los_Angeles"}`,
		header: map[string]string{"X-Request-Id": "onboard-1"}}), http.StatusCreated, &tn)
	if tn.Currency != "USD" || tn.RetentionDays != 400 || tn.Status != openapi.TenantStatus("active") {
		t.Errorf("created tenant = %+v; want the defaults", tn)
	}
	var partner openapi.Partner
	must(t, e.do(request{method: "POST", path: "/v1/admin/partners", token: admin, body: `{"name":"Acme Integrations"}`}), http.StatusCreated, &partner)
	assign := "/v1/admin/partners/" + partner.Id.String() + "/tenants/" + tn.Id.String()
	must(t, e.do(request{method: "POST", path: assign, token: admin}), http.StatusNoContent, nil)
	must(t, e.do(request{method: "POST", path: assign, token: admin}), http.StatusNoContent, nil)

	var tc, pc openapi.ApiClientCreated
	must(t, e.do(request{method: "POST", path: "/v1/admin/clients", token: admin,
		body: mustJSON(t, map[string]any{"name": "CRM", "role": "tenant", "tenant_id": tn.Id})}), http.StatusCreated, &tc)
	must(t, e.do(request{method: "POST", path: "/v1/admin/clients", token: admin,
		body: mustJSON(t, map[string]any{"name": "Acme", "role": "partner", "partner_id": partner.Id, "scopes": []string{"tenants:read"}})}), http.StatusCreated, &pc)
	if tc.ClientSecret == "" || tc.Client.TenantId == nil || *tc.Client.TenantId != tn.Id {
		t.Fatalf("tenant client = %+v", tc)
	}

	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {tc.Client.ClientId}, "client_secret": {tc.ClientSecret}}
	grants := []struct {
		name string
		req  request
	}{
		{"form body", request{method: "POST", path: "/v1/oauth/token", body: form.Encode(), contentType: "application/x-www-form-urlencoded"}},
		{"JSON body", request{method: "POST", path: "/v1/oauth/token",
			body: mustJSON(t, map[string]string{"grant_type": "client_credentials", "client_id": tc.Client.ClientId, "client_secret": tc.ClientSecret})}},
		{"HTTP Basic", request{method: "POST", path: "/v1/oauth/token", body: "grant_type=client_credentials",
			contentType: "application/x-www-form-urlencoded", header: map[string]string{"Authorization": basic(tc.Client.ClientId, tc.ClientSecret)}}},
	}
	var tenantToken string
	for _, g := range grants {
		t.Run("token via "+g.name, func(t *testing.T) {
			res := e.do(g.req)
			var tok openapi.TokenResponse
			must(t, res, http.StatusOK, &tok)
			if tok.TokenType != "Bearer" || tok.ExpiresIn <= 0 || tok.AccessToken == "" || res.header.Get("Cache-Control") != "no-store" {
				t.Errorf("token response %+v, Cache-Control %q", tok, res.header.Get("Cache-Control"))
			}
			tenantToken = tok.AccessToken
		})
	}
	if tenantToken == "" {
		t.Fatal("no token")
	}

	base := "/v1/tenants/" + tn.Id.String()
	var w openapi.WABA
	res := e.do(request{method: "POST", path: base + "/wabas", token: tenantToken,
		body: `{"waba_id":"102290129340398","name":"Main","access_token":"EAAJB0secret"}`})
	must(t, res, http.StatusCreated, &w)
	if !w.HasAccessToken || strings.Contains(string(res.body), "EAAJB0secret") {
		t.Errorf("created WABA = %s", res.body)
	}
	var num openapi.PhoneNumber
	must(t, e.do(request{method: "POST", path: base + "/phone-numbers", token: tenantToken,
		body: mustJSON(t, map[string]any{"waba_ref": w.Id, "phone_number_id": "106540352242922", "display_phone_number": "+1 555-078-3881"})}),
		http.StatusCreated, &num)
	if num.DisplayPhoneNumber != "+15550783881" {
		t.Errorf("display number %q, want E.164", num.DisplayPhoneNumber)
	}
	var wabas openapi.WABAList
	must(t, e.do(request{method: "GET", path: base + "/wabas", token: tenantToken}), http.StatusOK, &wabas)
	if len(wabas.Items) != 1 || wabas.Items[0].Id != w.Id || wabas.NextCursor != nil {
		t.Errorf("WABAs = %+v", wabas)
	}
	var nums openapi.PhoneNumberList
	must(t, e.do(request{method: "GET", path: base + "/phone-numbers?waba_ref=" + w.Id.String(), token: tenantToken}), http.StatusOK, &nums)
	if len(nums.Items) != 1 || nums.Items[0].Id != num.Id {
		t.Errorf("numbers = %+v", nums)
	}

	// The partner sees its tenant, not the others.
	var pt openapi.TokenResponse
	must(t, e.do(request{method: "POST", path: "/v1/oauth/token",
		body: mustJSON(t, map[string]string{"grant_type": "client_credentials", "client_id": pc.Client.ClientId, "client_secret": pc.ClientSecret})}),
		http.StatusOK, &pt)
	var me openapi.Me
	must(t, e.do(request{method: "GET", path: "/v1/me", token: pt.AccessToken}), http.StatusOK, &me)
	if me.Tenants == nil || len(*me.Tenants) != 1 || (*me.Tenants)[0].Id != tn.Id || me.PartnerId == nil || *me.PartnerId != partner.Id {
		t.Errorf("partner's me = %+v", me)
	}
	var listed openapi.TenantList
	must(t, e.do(request{method: "GET", path: "/v1/partners/" + partner.Id.String() + "/tenants", token: pt.AccessToken}), http.StatusOK, &listed)
	if len(listed.Items) != 1 || listed.Items[0].Id != tn.Id {
		t.Errorf("partner's tenants = %+v", listed)
	}
	must(t, e.do(request{method: "GET", path: base + "/wabas", token: pt.AccessToken}), http.StatusOK, nil)
	must(t, e.do(request{method: "GET", path: "/v1/tenants/" + e.tenantA.ID.String(), token: pt.AccessToken}), http.StatusForbidden, nil)
	// Its token was narrowed to tenants:read.
	must(t, e.do(request{method: "PATCH", path: base, token: pt.AccessToken, body: `{"name":"x"}`}), http.StatusForbidden, nil)

	// Unassigned, the partner loses the tenant at once.
	must(t, e.do(request{method: "DELETE", path: assign, token: admin}), http.StatusNoContent, nil)
	must(t, e.do(request{method: "GET", path: base + "/wabas", token: pt.AccessToken}), http.StatusForbidden, nil)
	must(t, e.do(request{method: "DELETE", path: assign, token: admin}), http.StatusNotFound, nil)

	var audit openapi.AuditLogPage
	must(t, e.do(request{method: "GET", path: "/v1/admin/audit-log?actor_id=" + e.admin.Client.ID.String(), token: admin}), http.StatusOK, &audit)
	var actions []string
	for _, a := range audit.Items {
		actions = append(actions, a.Action)
	}
	want := []string{"partner.unassign_tenant", "client.create", "client.create", "partner.assign_tenant", "partner.create", "tenant.create"}
	if diff := cmp.Diff(want, actions); diff != "" {
		t.Errorf("admin's audit entries (-want +got):\n%s", diff)
	}
	last := audit.Items[len(audit.Items)-1]
	if last.RequestId == nil || *last.RequestId != "onboard-1" || last.TenantId == nil || *last.TenantId != tn.Id || last.After == nil {
		t.Errorf("tenant.create entry = %+v", last)
	}
	var byTenant openapi.AuditLogPage
	must(t, e.do(request{method: "GET", path: "/v1/admin/audit-log?action=waba.create&tenant_id=" + tn.Id.String(), token: admin}), http.StatusOK, &byTenant)
	if len(byTenant.Items) != 1 || byTenant.Items[0].ActorRole != "tenant" {
		t.Errorf("tenant's WABA entry = %+v", byTenant.Items)
	}
}

func TestTokenEndpointErrors(t *testing.T) {
	e := newEnv(t, options{})
	c := e.clientA
	form := func(v url.Values) request {
		return request{method: "POST", path: "/v1/oauth/token", body: v.Encode(), contentType: "application/x-www-form-urlencoded"}
	}
	good := url.Values{"grant_type": {"client_credentials"}, "client_id": {c.Client.ClientID}, "client_secret": {c.Secret}}
	with := func(k, v string) url.Values {
		out := url.Values{}
		for key, vals := range good {
			out[key] = slices.Clone(vals)
		}
		out.Set(k, v)
		return out
	}
	basicBoth := form(good)
	basicBoth.header = map[string]string{"Authorization": basic(c.Client.ClientID, c.Secret)}
	tests := []struct {
		name       string
		req        request
		wantStatus int
		wantError  string
	}{
		{"wrong secret", form(with("client_secret", "nope")), 401, "invalid_client"},
		{"unknown client", form(with("client_id", "tnt_nobody")), 401, "invalid_client"},
		{"password grant", form(with("grant_type", "password")), 400, "unsupported_grant_type"},
		{"scope not held", form(with("scope", "tenants:read admin")), 400, "invalid_scope"},
		{"no credentials", form(url.Values{"grant_type": {"client_credentials"}}), 400, "invalid_request"},
		{"Basic and body together", basicBoth, 400, "invalid_request"},
		{"malformed Basic", request{method: "POST", path: "/v1/oauth/token", body: "grant_type=client_credentials",
			contentType: "application/x-www-form-urlencoded", header: map[string]string{"Authorization": "Basic !!!"}}, 401, "invalid_client"},
		{"malformed JSON", request{method: "POST", path: "/v1/oauth/token", body: `{"grant_type":`}, 400, "invalid_request"},
		{"no body", request{method: "POST", path: "/v1/oauth/token"}, 400, "invalid_request"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := e.do(tc.req)
			var oe openapi.OAuthError
			must(t, res, tc.wantStatus, &oe)
			if string(oe.Error) != tc.wantError {
				t.Errorf("error %q, want %q; body %s", oe.Error, tc.wantError, res.body)
			}
		})
	}
	res := e.do(form(with("scope", "tenants:read")))
	var tok openapi.TokenResponse
	must(t, res, http.StatusOK, &tok)
	if tok.Scope != "tenants:read" {
		t.Errorf("narrowed scope = %q", tok.Scope)
	}
	must(t, e.do(request{method: "POST", path: "/v1/tenants/" + e.tenantA.ID.String() + "/wabas", token: tok.AccessToken,
		body: `{"waba_id":"1"}`}), http.StatusForbidden, nil)
}

func TestDisabledClientTokenStops(t *testing.T) {
	// No verifier cache: the client's status is read on every request.
	e := newEnv(t, options{verifierTTL: -1})
	tok := e.token(e.clientA)
	must(t, e.do(request{method: "GET", path: "/v1/me", token: tok}), http.StatusOK, nil)
	must(t, e.do(request{method: "POST", path: "/v1/admin/clients/" + e.clientA.Client.ID.String() + "/disable", token: e.token(e.admin)}), http.StatusOK, nil)
	res := e.do(request{method: "GET", path: "/v1/me", token: tok})
	if res.status != http.StatusUnauthorized || res.problem(t).Code != "unauthenticated" {
		t.Errorf("disabled client's token: status %d; body %s", res.status, res.body)
	}
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {e.clientA.Client.ClientID}, "client_secret": {e.clientA.Secret}}
	must(t, e.do(request{method: "POST", path: "/v1/oauth/token", body: form.Encode(), contentType: "application/x-www-form-urlencoded"}),
		http.StatusUnauthorized, nil)
}

func TestSuspendedTenant(t *testing.T) {
	// A long verifier cache: the HTTP layer must refuse the tenant on its
	// own, before the verifier learns of the suspension.
	e := newEnv(t, options{verifierTTL: time.Hour})
	tenantTok, partnerTok, admin := e.token(e.clientA), e.token(e.partnerClientA), e.token(e.admin)
	a := "/v1/tenants/" + e.tenantA.ID.String()
	must(t, e.do(request{method: "GET", path: a + "/wabas", token: tenantTok}), http.StatusOK, nil)
	must(t, e.do(request{method: "GET", path: a, token: partnerTok}), http.StatusOK, nil)

	must(t, e.do(request{method: "POST", path: "/v1/admin/tenants/" + e.tenantA.ID.String() + "/suspend", token: admin,
		body: `{"reason":"unpaid"}`}), http.StatusOK, nil)
	e.run(t, []scenario{
		{"tenant's own path", request{method: "GET", path: a + "/wabas", token: tenantTok}, 403, "tenant_suspended", nil},
		{"tenant's me", request{method: "GET", path: "/v1/me", token: tenantTok}, 403, "tenant_suspended", nil},
		{"partner on the tenant", request{method: "GET", path: a, token: partnerTok}, 403, "tenant_suspended", nil},
		{"partner elsewhere", request{method: "GET", path: "/v1/me", token: partnerTok}, 200, "", nil},
		{"other tenant", request{method: "GET", path: "/v1/me", token: e.token(e.clientB)}, 200, "", nil},
		{"admin", request{method: "GET", path: a + "/wabas", token: admin}, 200, "", nil},
	})
	var oe openapi.OAuthError
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {e.clientA.Client.ClientID}, "client_secret": {e.clientA.Secret}}
	must(t, e.do(request{method: "POST", path: "/v1/oauth/token", body: form.Encode(), contentType: "application/x-www-form-urlencoded"}),
		http.StatusBadRequest, &oe)
	if oe.Error != openapi.UnauthorizedClient {
		t.Errorf("token for a suspended tenant: %+v", oe)
	}

	must(t, e.do(request{method: "POST", path: "/v1/admin/tenants/" + e.tenantA.ID.String() + "/resume", token: admin}), http.StatusOK, nil)
	must(t, e.do(request{method: "GET", path: a + "/wabas", token: tenantTok}), http.StatusOK, nil)
}

func TestPaging(t *testing.T) {
	e := newEnv(t, options{})
	admin := e.token(e.admin)
	for i := range 3 {
		tenantstest.MustCreateTenant(t, e.svc, "Paged "+string(rune('A'+i)))
	}
	var seen []string
	path := "/v1/admin/tenants?limit=2&q=paged"
	for range 5 {
		var page openapi.TenantList
		must(t, e.do(request{method: "GET", path: path, token: admin}), http.StatusOK, &page)
		for _, tn := range page.Items {
			seen = append(seen, tn.Name)
		}
		if page.NextCursor == nil {
			break
		}
		path = "/v1/admin/tenants?limit=2&q=paged&cursor=" + url.QueryEscape(*page.NextCursor)
	}
	if diff := cmp.Diff([]string{"Paged C", "Paged B", "Paged A"}, seen); diff != "" {
		t.Errorf("pages (-want +got):\n%s", diff)
	}
}
