package httpapi_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wabsp/wabsp/internal/metasim"
	"github.com/wabsp/wabsp/openapi"
	"github.com/wabsp/wabsp/webhooks"
)

// TestBillingFlow sends two delivered marketing templates to Brazil through
// the intake, then reads usage, prices, the estimate and its CSV as tenant A,
// and sets the plan, loads rates and reads margins as an admin.
func TestBillingFlow(t *testing.T) {
	e := newEnv(t, options{})
	ctx := context.Background()
	if err := e.billing.Seed(ctx); err != nil {
		t.Fatal(err)
	}
	e.hooks.Register(webhooks.FieldMessages, e.hooks.Defaults(), e.billing.Handler())
	// Within the current month, so the estimate holds them.
	now := time.Now().UTC()
	sent := now.Add(-time.Minute).Truncate(time.Second)
	if first := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC); sent.Before(first) {
		sent = first
	}
	p := &metasim.Pricing{Billable: true, Model: "PMP", Type: "regular", Category: "marketing"}
	var st []metasim.Status
	for _, w := range []string{"wamid.b1", "wamid.b2"} {
		st = append(st, metasim.Status{WAMID: w, Status: "sent", Timestamp: sent, RecipientID: "5511911110001", Pricing: p},
			metasim.Status{WAMID: w, Status: "delivered", Timestamp: sent.Add(time.Second), RecipientID: "5511911110001", Pricing: p})
	}
	body := metasim.StatusesBody(e.wabaA.WABAID, e.phoneA.PhoneNumberID, metasim.Digits(e.phoneA.DisplayPhoneNumber), st)
	archived, err := e.hooks.Archive(ctx, []webhooks.Body{{Raw: body, ReceivedAt: time.Now(), AppID: testAppID}})
	if err != nil {
		t.Fatal(err)
	}
	batches, err := e.hooks.Route(ctx, archived)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range batches {
		if err := e.hooks.Apply(ctx, b.TenantID, b.Changes); err != nil {
			t.Fatal(err)
		}
	}

	tok, admin := e.token(e.clientA), e.token(e.admin)
	base := "/v1/tenants/" + e.tenantA.ID.String() + "/billing"
	var usage openapi.BillingUsage
	must(t, e.do(request{method: "GET", path: base + "/usage?group_by=market,category", token: tok}), http.StatusOK, &usage)
	if len(usage.Groups) != 1 || *usage.Groups[0].Market != "Brazil" || usage.Groups[0].Counts.Charged != 2 ||
		usage.Totals.ByClass["template"].Delivered != 2 {
		t.Errorf("usage = %+v", usage)
	}
	must(t, e.do(request{method: "GET", path: base + "/usage?group_by=colour", token: tok}), http.StatusBadRequest, nil)
	must(t, e.do(request{method: "GET", path: base + "/usage?limit=10001", token: tok}), http.StatusBadRequest, nil)
	must(t, e.do(request{method: "GET", path: base + "/usage?cursor=nonsense", token: tok}), http.StatusBadRequest, nil)

	var plan openapi.BillingPlan
	must(t, e.do(request{method: "PUT", path: "/v1/admin/tenants/" + e.tenantA.ID.String() + "/billing/plan", token: admin,
		body: `{"currency":"USD","monthly_fee":"10","markup_percent":"20","overrides":[{"market":"India","category":"utility","price":"0.002"}]}`}),
		http.StatusOK, &plan)
	if plan.Default || plan.MarkupPercent != "20.00" || plan.MonthlyFee != "10.00" {
		t.Errorf("plan = %+v", plan)
	}
	must(t, e.do(request{method: "PUT", path: "/v1/admin/tenants/" + e.tenantA.ID.String() + "/billing/plan", token: tok,
		body: `{"currency":"USD"}`}), http.StatusForbidden, nil)

	var est openapi.Invoice
	must(t, e.do(request{method: "GET", path: base + "/estimate", token: tok}), http.StatusOK, &est)
	// 2 × 0.0625 × 1.2 = 0.15, plus the fee.
	if est.Status != openapi.InvoiceStatusDraft || est.Total != "10.15" || len(est.Lines) != 1 || est.Lines[0].UnitPrice != "0.0750" {
		t.Errorf("estimate = %+v", est)
	}
	res := e.do(request{method: "GET", path: base + "/invoices/" + est.Month, token: tok, header: map[string]string{"Accept": "text/csv"}})
	if res.status != http.StatusOK || !strings.HasPrefix(res.header.Get("Content-Type"), "text/csv") ||
		!strings.Contains(string(res.body), ",Brazil,marketing,2026-10-01,0,2,0.0750,0.15,") {
		t.Errorf("CSV invoice: %d %s\n%s", res.status, res.header.Get("Content-Type"), res.body)
	}
	var prices openapi.PriceList
	must(t, e.do(request{method: "GET", path: base + "/prices", token: tok}), http.StatusOK, &prices)
	if len(prices.Prices) == 0 || prices.MarkupPercent != "20.00" {
		t.Errorf("prices = %d, markup %s", len(prices.Prices), prices.MarkupPercent)
	}

	// A rate card with a negative rate is refused row by row; a good one
	// loads once per idempotency key.
	var bad openapi.Problem
	must(t, e.do(request{method: "POST", path: "/v1/admin/billing/rates", token: admin,
		body: `{"csv":"effective_from,currency,market,category,rate\n2027-01-01,USD,Brazil,marketing,-0.07\n"}`}), http.StatusBadRequest, &bad)
	if bad.Errors == nil || len(*bad.Errors) != 1 || (*bad.Errors)[0].Field != "line 2" {
		t.Errorf("row errors = %+v", bad.Errors)
	}
	load := request{method: "POST", path: "/v1/admin/billing/rates", token: admin, header: map[string]string{"Idempotency-Key": "card-2027"},
		body: `{"note":"2027","rates":[{"effective_from":"2027-01-01","currency":"USD","market":"Brazil","category":"marketing","rate":"0.07"}]}`}
	var v1, v2 openapi.RateVersion
	must(t, e.do(load), http.StatusCreated, &v1)
	must(t, e.do(load), http.StatusCreated, &v2)
	if v1.Id != v2.Id || v1.RowCount != 1 {
		t.Errorf("versions %+v and %+v, want one", v1, v2)
	}
	res = e.do(request{method: "GET", path: "/v1/admin/billing/rates?currency=USD", token: admin, header: map[string]string{"Accept": "text/csv"}})
	if res.status != http.StatusOK || !strings.Contains(string(res.body), "2027-01-01,,USD,Brazil,marketing,0,0.0700,false,,") {
		t.Errorf("rates CSV: %d, 2027 row missing", res.status)
	}

	var margins openapi.MarginList
	must(t, e.do(request{method: "GET", path: "/v1/admin/billing/margins", token: admin}), http.StatusOK, &margins)
	var got []string
	for _, m := range margins.Items {
		if m.TenantId == e.tenantA.ID {
			got = append(got, m.MetaCost+" "+m.Revenue+" "+m.Margin)
		}
	}
	if diff := cmp.Diff([]string{"0.13 10.15 10.02"}, got); diff != "" {
		t.Errorf("tenant A margin (-want +got):\n%s", diff)
	}
	var recount openapi.RecountResult
	must(t, e.do(request{method: "GET", path: "/v1/admin/tenants/" + e.tenantA.ID.String() + "/billing/recount", token: admin}), http.StatusOK, &recount)
	if len(recount.Mismatches) != 0 {
		t.Errorf("recount = %+v", recount.Mismatches)
	}
}
