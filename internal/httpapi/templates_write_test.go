package httpapi_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wabsp/wabsp/internal/graph"
	"github.com/wabsp/wabsp/internal/metasim"
	"github.com/wabsp/wabsp/openapi"
	"github.com/wabsp/wabsp/tenants"
	"github.com/wabsp/wabsp/tenants/tenantstest"
)

// templateEnv is the API with a Graph client talking to the simulator,
// which knows tenant A's and B's WABAs with their stored tokens.
type templateEnv struct {
	*env
	sim *metasim.Graph
	tok string
	// staleWABA is a WABA of tenant A whose stored token Meta refuses.
	staleWABA tenants.WABA
}

func newTemplateEnv(t *testing.T, opts ...metasim.GraphOption) *templateEnv {
	t.Helper()
	sim := metasim.NewGraph(opts...)
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	client, err := graph.New(srv.URL, "v25.0")
	if err != nil {
		t.Fatal(err)
	}
	e := &templateEnv{env: newEnv(t, options{graph: client}), sim: sim}
	e.staleWABA = tenantstest.MustCreateWABA(t, e.svc, e.tenantA.ID, "EAAJB0revoked")
	for _, w := range []struct{ id, token string }{
		{e.wabaA.WABAID, "EAAJB0tokenA"}, {e.wabaB.WABAID, "EAAJB0tokenB"}, {e.staleWABA.WABAID, "EAAJB0current"},
	} {
		if err := sim.AddWABA(metasim.WABA{ID: w.id, Name: "w" + w.id, AccessToken: w.token}); err != nil {
			t.Fatal(err)
		}
	}
	e.tok = e.token(e.clientA)
	return e
}

func (e *templateEnv) templatesPath(tenant, waba tenants.WABA) string {
	return "/v1/tenants/" + tenant.TenantID.String() + "/wabas/" + waba.ID.String() + "/templates"
}

// metaCalls counts the simulator's calls of one method on an edge.
func (e *templateEnv) metaCalls(method, edge string) int {
	n := 0
	for _, c := range e.sim.Calls() {
		if c.Method == method && c.Edge == edge {
			n++
		}
	}
	return n
}

const orderReady = `{"name":"order_ready","language":"en_US","category":"UTILITY","components":[
	{"type":"BODY","text":"Hi {{1}}, your order {{2}} is ready.","example":{"body_text":[["Ana","1042"]]}},
	{"type":"BUTTONS","buttons":[{"type":"QUICK_REPLY","text":"Thanks"}]}]}`

func TestCreateTemplate(t *testing.T) {
	e := newTemplateEnv(t)
	path := e.templatesPath(e.wabaA, e.wabaA)

	var created openapi.TemplateDefinition
	must(t, e.do(request{method: "POST", path: path, token: e.tok, body: orderReady}), http.StatusCreated, &created)
	want := openapi.TemplateDefinition{TemplateId: created.TemplateId, WabaId: e.wabaA.WABAID, Name: "order_ready",
		Language: "en_US", Category: "UTILITY", Status: "PENDING", ParameterFormat: "",
		Components: []openapi.TemplateComponent{
			{Type: "BODY", Text: ptr("Hi {{1}}, your order {{2}} is ready."),
				Example: &map[string]interface{}{"body_text": []interface{}{[]interface{}{"Ana", "1042"}}}},
			{Type: "BUTTONS", Buttons: &[]openapi.TemplateComponent_Buttons_Item{{Type: ptr("QUICK_REPLY"), Text: ptr("Thanks")}}},
		}}
	if diff := cmp.Diff(want, created); diff != "" || created.TemplateId == "" {
		t.Fatalf("created (-want +got):\n%s", diff)
	}
	if got := e.sim.Templates(e.wabaA.WABAID); len(got) != 1 || got[0].Status != "PENDING" {
		t.Fatalf("Meta holds %+v", got)
	}
	var stored openapi.QualityTemplate
	must(t, e.do(request{method: "GET", path: "/v1/tenants/" + e.tenantA.ID.String() + "/quality/templates/" + created.TemplateId,
		token: e.tok}), http.StatusOK, &stored)
	if stored.DiscoveredVia != openapi.QualityTemplateDiscoveredViaApi || stored.Status.Value != "PENDING" {
		t.Errorf("stored template = %+v", stored)
	}

	// The same name and language again is Meta's duplicate, named in detail.
	dup := e.do(request{method: "POST", path: path, token: e.tok, body: orderReady})
	p := dup.problem(t)
	if dup.status != http.StatusConflict || p.Code != "conflict" || p.Detail == nil || !strings.Contains(*p.Detail, "2388024") {
		t.Errorf("duplicate: %d %+v", dup.status, p)
	}
}

func TestCreateTemplateInvalid(t *testing.T) {
	e := newTemplateEnv(t)
	body := `{"name":"Order Ready!","language":"xx_XX","category":"UTILITY","components":[
		{"type":"BODY","text":"Hi there, your order is ready {{1}}","example":{"body_text":[["1042"]]}},
		{"type":"FOOTER","text":"Reply {{1}}"}]}`
	res := e.do(request{method: "POST", path: e.templatesPath(e.wabaA, e.wabaA), token: e.tok, body: body})
	p := res.problem(t)
	if res.status != http.StatusUnprocessableEntity || p.Code != "unprocessable" || p.Errors == nil {
		t.Fatalf("invalid template: %d %s", res.status, res.body)
	}
	type rule struct{ Field, Code string }
	var got []rule
	for _, fe := range *p.Errors {
		if fe.Code == nil || fe.Problem == "" {
			t.Errorf("violation without code or problem: %+v", fe)
			continue
		}
		got = append(got, rule{fe.Field, *fe.Code})
	}
	want := []rule{
		{"name", "template_name_format"},
		{"language", "template_language_unsupported"},
		{"components[0].text", "template_variable_at_edge"},
		{"components[1].text", "template_footer_variables"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("violations (-want +got):\n%s", diff)
	}
	if n := len(e.sim.Calls()); n != 0 {
		t.Errorf("Meta saw %d calls for an invalid template", n)
	}
}

func TestCreateTemplateIdempotent(t *testing.T) {
	e := newTemplateEnv(t)
	path := e.templatesPath(e.wabaA, e.wabaA)
	key := map[string]string{"Idempotency-Key": "order-ready-1"}

	var first, again openapi.TemplateDefinition
	must(t, e.do(request{method: "POST", path: path, token: e.tok, body: orderReady, header: key}), http.StatusCreated, &first)
	must(t, e.do(request{method: "POST", path: path, token: e.tok, body: orderReady, header: key}), http.StatusCreated, &again)
	if diff := cmp.Diff(first, again); diff != "" {
		t.Errorf("replay (-first +replay):\n%s", diff)
	}
	if n := e.metaCalls("POST", "message_templates"); n != 1 {
		t.Errorf("Meta saw %d submissions, want 1", n)
	}
	other := strings.Replace(orderReady, "order_ready", "order_shipped", 1)
	res := e.do(request{method: "POST", path: path, token: e.tok, body: other, header: key})
	if p := res.problem(t); res.status != http.StatusConflict || p.Code != "conflict" {
		t.Errorf("key reused for another template: %d %+v", res.status, p)
	}
}

func TestEditAndDeleteTemplate(t *testing.T) {
	e := newTemplateEnv(t)
	path := e.templatesPath(e.wabaA, e.wabaA)
	var created openapi.TemplateDefinition
	must(t, e.do(request{method: "POST", path: path, token: e.tok, body: orderReady}), http.StatusCreated, &created)
	one := path + "/" + created.TemplateId
	edit := `{"components":[{"type":"BODY","text":"Hello {{1}}, order {{2}} is ready.","example":{"body_text":[["Ana","1042"]]}}]}`

	cases := []struct {
		name   string
		review bool
		body   string
		status int
		code   string
	}{
		{"in review", false, edit, http.StatusConflict, "failed_precondition"},
		{"breaks a rule", true, `{"components":[{"type":"BODY","text":"{{1}} is ready"}]}`, http.StatusUnprocessableEntity, "unprocessable"},
		{"approved", false, edit, http.StatusOK, ""},
		{"again the same day", true, edit, http.StatusConflict, "failed_precondition"},
	}
	for _, c := range cases {
		if c.review {
			e.sim.ReviewPending()
		}
		res := e.do(request{method: "PATCH", path: one, token: e.tok, body: c.body})
		if res.status != c.status {
			t.Fatalf("%s: status %d, want %d; %s", c.name, res.status, c.status, res.body)
		}
		if c.code != "" {
			if p := res.problem(t); p.Code != c.code {
				t.Errorf("%s: code %q, want %q", c.name, p.Code, c.code)
			}
			continue
		}
		var got openapi.TemplateDefinition
		res.decode(t, &got)
		if got.Status != "PENDING" || got.Components[0].Text == nil || !strings.HasPrefix(*got.Components[0].Text, "Hello") {
			t.Errorf("%s: edited = %+v", c.name, got)
		}
	}

	// Another language of the same name, so deleting one leaves one.
	spanish := strings.Replace(orderReady, "en_US", "es", 1)
	must(t, e.do(request{method: "POST", path: path, token: e.tok, body: spanish}), http.StatusCreated, nil)
	must(t, e.do(request{method: "DELETE", path: one, token: e.tok}), http.StatusNoContent, nil)
	must(t, e.do(request{method: "PATCH", path: one, token: e.tok, body: edit}), http.StatusNotFound, nil)
	var deleted openapi.TemplateDeletion
	must(t, e.do(request{method: "DELETE", path: path + "?name=order_ready", token: e.tok}), http.StatusOK, &deleted)
	if deleted.Deleted != 1 || len(e.sim.Templates(e.wabaA.WABAID)) != 0 {
		t.Errorf("deleted %d; Meta still holds %+v", deleted.Deleted, e.sim.Templates(e.wabaA.WABAID))
	}
	res := e.do(request{method: "DELETE", path: path + "?name=order_ready", token: e.tok})
	if p := res.problem(t); res.status != http.StatusNotFound || p.Detail == nil || !strings.Contains(*p.Detail, "2593002") {
		t.Errorf("delete of a gone name: %d %+v", res.status, p)
	}
}

func TestTemplateMetaTokenRefused(t *testing.T) {
	e := newTemplateEnv(t)
	res := e.do(request{method: "POST", path: e.templatesPath(e.wabaA, e.staleWABA), token: e.tok, body: orderReady})
	p := res.problem(t)
	if res.status != http.StatusFailedDependency || p.Code != "meta_token_invalid" || p.Detail == nil || !strings.Contains(*p.Detail, "190") {
		t.Errorf("refused token: %d %+v", res.status, p)
	}
}

// TestTemplateMetaThrottled spends the WABA's call budget: the next call is
// a 429 telling the client when to come back.
func TestTemplateMetaThrottled(t *testing.T) {
	e := newTemplateEnv(t, metasim.WithCallBudget(1))
	path := e.templatesPath(e.wabaA, e.wabaA)
	must(t, e.do(request{method: "POST", path: path, token: e.tok, body: orderReady}), http.StatusCreated, nil)
	res := e.do(request{method: "DELETE", path: path + "?name=order_ready", token: e.tok})
	p := res.problem(t)
	if res.status != http.StatusTooManyRequests || p.Code != "rate_limited" || res.header.Get("Retry-After") == "" {
		t.Errorf("throttled: %d %+v, Retry-After %q", res.status, p, res.header.Get("Retry-After"))
	}
}

// TestTemplateIsolation addresses tenant B's WABA under tenant A's id, and
// tenant A's template under another of its WABAs: neither is found, and
// Meta is not called.
func TestTemplateIsolation(t *testing.T) {
	e := newTemplateEnv(t)
	var created openapi.TemplateDefinition
	must(t, e.do(request{method: "POST", path: e.templatesPath(e.wabaA, e.wabaA), token: e.tok, body: orderReady}), http.StatusCreated, &created)
	e.sim.ResetCalls()
	foreign := "/v1/tenants/" + e.tenantA.ID.String() + "/wabas/" + e.wabaB.ID.String() + "/templates"
	sibling := e.templatesPath(e.wabaA, e.staleWABA) + "/" + created.TemplateId
	cases := []struct {
		name         string
		method, path string
		body         string
	}{
		{"create on a foreign WABA", "POST", foreign, orderReady},
		{"delete by name on a foreign WABA", "DELETE", foreign + "?name=order_ready", ""},
		{"edit under a foreign WABA", "PATCH", foreign + "/" + created.TemplateId, `{"components":[{"type":"BODY","text":"Hi there"}]}`},
		{"delete under a foreign WABA", "DELETE", foreign + "/" + created.TemplateId, ""},
		{"edit under a sibling WABA", "PATCH", sibling, `{"components":[{"type":"BODY","text":"Hi there"}]}`},
		{"delete under a sibling WABA", "DELETE", sibling, ""},
	}
	for _, c := range cases {
		res := e.do(request{method: c.method, path: c.path, token: e.tok, body: c.body})
		if p := res.problem(t); res.status != http.StatusNotFound || p.Code != "not_found" {
			t.Errorf("%s: %d %+v", c.name, res.status, p)
		}
	}
	if n := len(e.sim.Calls()); n != 0 {
		t.Errorf("Meta saw %d calls", n)
	}
	if got := e.sim.Templates(e.wabaA.WABAID); len(got) != 1 {
		t.Errorf("tenant A's templates at Meta = %+v", got)
	}
}

func ptr[T any](v T) *T { return &v }
