package httpapi_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/google/go-cmp/cmp"

	"github.com/wabsp/wabsp/openapi"
)

// specOp is one operation of the embedded spec.
type specOp struct {
	id, method, path string
	op               *openapi3.Operation
}

func specOps(t *testing.T) []specOp {
	t.Helper()
	doc, err := openapi.GetSwagger()
	if err != nil {
		t.Fatal(err)
	}
	var ops []specOp
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			ops = append(ops, specOp{id: op.OperationID, method: method, path: path, op: op})
		}
	}
	sort.Slice(ops, func(i, j int) bool { return ops[i].id < ops[j].id })
	return ops
}

func v1Ops(t *testing.T) []specOp {
	var out []specOp
	for _, o := range specOps(t) {
		if strings.HasPrefix(o.path, "/v1/") {
			out = append(out, o)
		}
	}
	return out
}

// victimPath fills a path template with tenant A's ids (and partner A's),
// the way an attacker holding another client's token would aim.
func (e *env) victimPath(tmpl string) string {
	r := strings.NewReplacer(
		"{tenant_id}", e.tenantA.ID.String(),
		"{waba_ref}", e.wabaA.ID.String(),
		"{waba_id}", e.wabaA.WABAID,
		"{phone_ref}", e.phoneA.ID.String(),
		"{partner_id}", e.partnerA.ID.String(),
		"{client_ref}", e.clientA.Client.ID.String(),
		"{archive_id}", strconv.FormatInt(e.archiveID, 10),
		"{number_id}", e.qualityNumberA.String(),
		"{template_id}", e.qualityTemplateA,
		"{wamid}", "wamid.victim",
		"{alert_id}", e.qualityAlertA.String(),
		"{month}", "2026-10",
		"{contact_id}", e.contactA.String(),
		"{import_id}", e.importA.String(),
		"{subscription_id}", e.subscriptionA.String(),
		"{delivery_id}", strconv.FormatInt(e.deliveryA, 10),
		"{journey_id}", e.journeyA.String(),
		"{experiment_id}", e.experimentA.String(),
		"{onboarding_id}", e.onboardingA.String(),
		"{send_id}", e.sendA.String(),
		"{campaign_id}", e.campaignA.String(),
	)
	return r.Replace(tmpl)
}

// exampleBody returns the operation's JSON request example, so requests get
// past validation and reach authorization with a body the API accepts.
func exampleBody(t *testing.T, op *openapi3.Operation) string {
	t.Helper()
	if op.RequestBody == nil || op.RequestBody.Value == nil {
		return ""
	}
	mt := op.RequestBody.Value.Content.Get("application/json")
	if mt == nil || mt.Example == nil {
		t.Fatalf("operation %s has a JSON body without an example", op.OperationID)
	}
	b, err := json.Marshal(mt.Example)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// exampleQuery returns the operation's required query parameters with
// their examples, so requests get past validation to authorization.
func exampleQuery(t *testing.T, op *openapi3.Operation) string {
	t.Helper()
	q := url.Values{}
	for _, p := range op.Parameters {
		if p.Value == nil || p.Value.In != "query" || !p.Value.Required {
			continue
		}
		if p.Value.Example == nil {
			t.Fatalf("operation %s has a required query parameter %s without an example", op.OperationID, p.Value.Name)
		}
		q.Set(p.Value.Name, fmt.Sprint(p.Value.Example))
	}
	if len(q) == 0 {
		return ""
	}
	return "?" + q.Encode()
}

// isPublic reports whether the operation may be called without credentials:
// an empty security requirement makes authentication optional.
func isPublic(o specOp) bool {
	if o.op.Security == nil {
		return false
	}
	for _, req := range *o.op.Security {
		if len(req) == 0 {
			return true
		}
	}
	return false
}

// TestIsolation calls every /v1 operation of the spec, aimed at tenant A,
// with credentials that must not reach it. A new operation is covered as soon
// as it is in the spec.
func TestIsolation(t *testing.T) {
	e := newEnv(t, options{})
	tokenB := e.token(e.clientB)
	partnerB := e.token(e.partnerClientB)
	tenantA := e.token(e.clientA)
	partnerA := e.token(e.partnerClientA)
	before := e.counts()

	for _, o := range v1Ops(t) {
		if isPublic(o) {
			continue
		}
		path := e.victimPath(o.path) + exampleQuery(t, o.op)
		if strings.Contains(path, "{") {
			t.Fatalf("%s: give victimPath a value of tenant A for every parameter of %s", o.id, o.path)
		}
		body := exampleBody(t, o.op)
		isAdmin := strings.HasPrefix(o.path, "/v1/admin/")
		tenantScoped := strings.Contains(o.path, "{tenant_id}") || strings.Contains(o.path, "{partner_id}")

		cases := []struct {
			name  string
			token string
			run   bool
			want  []int
		}{
			{"no token", "", true, []int{http.StatusUnauthorized}},
			{"another tenant's token", tokenB, tenantScoped || isAdmin, []int{http.StatusForbidden, http.StatusNotFound}},
			{"unassigned partner's token", partnerB, tenantScoped || isAdmin, []int{http.StatusForbidden, http.StatusNotFound}},
			{"tenant token on admin path", tenantA, isAdmin, []int{http.StatusForbidden}},
			{"partner token on admin path", partnerA, isAdmin, []int{http.StatusForbidden}},
		}
		for _, tc := range cases {
			if !tc.run {
				continue
			}
			t.Run(o.id+"/"+tc.name, func(t *testing.T) {
				res := e.do(request{method: o.method, path: path, token: tc.token, body: body})
				for _, s := range tc.want {
					if res.status == s {
						res.problem(t)
						return
					}
				}
				t.Errorf("%s %s: status %d, want one of %v; body %s", o.method, path, res.status, tc.want, res.body)
			})
		}
	}
	if diff := cmp.Diff(before, e.counts()); diff != "" {
		t.Errorf("refused requests changed the database (-before +after):\n%s", diff)
	}

	// The control: the same requests with an admin token get past
	// authentication and authorization, so the refusals above are the
	// tenancy rules at work and not a broken route.
	admin := e.token(e.admin)
	for _, o := range v1Ops(t) {
		if isPublic(o) {
			continue
		}
		res := e.do(request{method: o.method, path: e.victimPath(o.path) + exampleQuery(t, o.op), token: admin, body: exampleBody(t, o.op)})
		if res.status == http.StatusUnauthorized || res.status == http.StatusForbidden {
			t.Errorf("admin %s %s: status %d; body %s", o.method, o.path, res.status, res.body)
		}
	}
}

// TestRoutesMatchSpec checks that Fiber serves exactly the spec's /v1
// operations: nothing hand-written under /v1, nothing in the spec unserved.
func TestRoutesMatchSpec(t *testing.T) {
	e := newEnv(t, options{})
	served := map[string]bool{}
	for _, r := range e.app.GetRoutes(true) {
		if !strings.HasPrefix(r.Path, "/v1") || r.Method == http.MethodHead {
			continue
		}
		served[r.Method+" "+r.Path] = true
	}
	specified := map[string]bool{}
	for _, o := range v1Ops(t) {
		fiberPath := strings.NewReplacer("{", ":", "}", "").Replace(o.path)
		specified[o.method+" "+fiberPath] = true
	}
	if diff := cmp.Diff(specified, served); diff != "" {
		t.Errorf("served /v1 routes differ from the spec (-spec +served):\n%s", diff)
	}
}
