package billing_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wabsp/wabsp/billing"
	"github.com/wabsp/wabsp/internal/apperr"
	"github.com/wabsp/wabsp/internal/metasim"
)

// octoberTraffic is three delivered marketing messages to Brazil in October.
func octoberTraffic(t *testing.T, e *env) {
	t.Helper()
	var st []metasim.Status
	for i, w := range []string{"wamid.1", "wamid.2", "wamid.3"} {
		st = append(st, pair(w, toBR, regular("marketing"), day(5+i))...)
	}
	e.deliver(t, e.statuses(st...))
}

func TestFinalizeMonth(t *testing.T) {
	e := newEnv(t)
	octoberTraffic(t, e)
	oct, _ := billing.ParseMonth("2026-10")
	nov, _ := billing.ParseMonth("2026-11")
	if _, err := e.billing.FinalizeMonth(e.ctx, billing.SystemActor("test"), e.tenant.ID, nov); !apperr.Is(err, apperr.FailedPrecondition) {
		t.Fatalf("finalizing the open month: got %v, want failed_precondition", err)
	}
	n, err := e.billing.FinalizeDue(e.ctx)
	if err != nil || n != 1 {
		t.Fatalf("FinalizeDue = %d, %v; want 1 invoice", n, err)
	}
	if n, err := e.billing.FinalizeDue(e.ctx); err != nil || n != 0 {
		t.Fatalf("second FinalizeDue = %d, %v; want nothing to do", n, err)
	}
	first, err := e.billing.Invoice(e.ctx, e.tenant.ID, oct)
	if err != nil {
		t.Fatal(err)
	}
	// Late statuses of the closed month reach the ledger, not the invoice.
	e.deliver(t, e.statuses(pair("wamid.4", toBR, regular("marketing"), day(30))...))
	again, err := e.billing.FinalizeMonth(e.ctx, billing.SystemActor("test"), e.tenant.ID, oct)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(first, again); diff != "" {
		t.Errorf("final invoice changed (-first +again):\n%s", diff)
	}
	if first.Status != billing.StatusFinal || first.Total.String() != "0.1900" || first.Lines[0].Quantity != 3 {
		t.Errorf("final invoice: status %s, total %s, lines %+v", first.Status, first.Total, first.Lines)
	}
	if _, err := e.db.Exec(e.ctx, `UPDATE billing_invoices SET total_micros = 0 WHERE tenant_id = $1`, e.tenant.ID); err == nil {
		t.Error("a final invoice was updated")
	}
	var events int
	if err := e.db.QueryRow(e.ctx, `SELECT count(*) FROM domain_events WHERE tenant_id = $1 AND type = 'billing.invoice.finalized'`,
		e.tenant.ID).Scan(&events); err != nil || events != 1 {
		t.Errorf("billing.invoice.finalized events: %d, %v; want 1", events, err)
	}
	page, err := e.billing.ListInvoices(e.ctx, e.tenant.ID, 10, "")
	if err != nil {
		t.Fatal(err)
	}
	var months []string
	for _, s := range page.Items {
		months = append(months, s.Month+" "+s.Status)
	}
	if diff := cmp.Diff([]string{"2026-11 draft", "2026-10 final"}, months); diff != "" {
		t.Errorf("invoice list (-want +got):\n%s", diff)
	}
	var buf bytes.Buffer
	if err := first.WriteCSV(&buf, false); err != nil {
		t.Fatal(err)
	}
	wantCSV := "month,status,currency,market,category,rate_from,tier_from,quantity,unit_price,amount,override,verified,rate_missing\n" +
		"2026-10,final,USD,Brazil,marketing,2026-10-01,0,3,0.0625,0.19,false,false,false\n" +
		"2026-10,final,USD,monthly_fee,,,,,,0.00,,,\n" +
		"2026-10,final,USD,total,,,,,,0.19,,,\n"
	if diff := cmp.Diff(wantCSV, buf.String()); diff != "" {
		t.Errorf("CSV (-want +got):\n%s", diff)
	}
}

func TestMarginsAndPrices(t *testing.T) {
	e := newEnv(t)
	octoberTraffic(t, e)
	if _, err := e.billing.SetPlan(e.ctx, billing.SystemActor("test"), e.tenant.ID, billing.PlanInput{
		Currency: "USD", MonthlyFee: 10_000_000, MarkupBP: 1000}); err != nil {
		t.Fatal(err)
	}
	oct, _ := billing.ParseMonth("2026-10")
	page, err := e.billing.Margins(e.ctx, oct, 50, "")
	if err != nil {
		t.Fatal(err)
	}
	want := []billing.Margin{{TenantID: e.tenant.ID, TenantName: e.tenant.Name, Month: "2026-10", Status: billing.StatusDraft,
		Currency: "USD", MetaCost: 190_000, Revenue: 10_210_000, Margin: 10_020_000, Charged: 3}}
	if diff := cmp.Diff(want, page.Items); diff != "" {
		t.Errorf("margins (-want +got):\n%s", diff)
	}
	pl, err := e.billing.Prices(e.ctx, e.tenant.ID, at("2026-10-20T00:00:00Z"))
	if err != nil {
		t.Fatal(err)
	}
	var brazil []string
	for _, p := range pl.Prices {
		if p.Market == "Brazil" {
			brazil = append(brazil, p.Category+" "+p.UnitPrice.String()+" "+p.MetaRate.String())
		}
	}
	if diff := cmp.Diff([]string{"authentication 0.00748 0.0068", "marketing 0.06875 0.0625", "service 0.00748 0.0068", "utility 0.00748 0.0068"}, brazil); diff != "" {
		t.Errorf("Brazil prices (-want +got):\n%s", diff)
	}
}

func TestSetPlanRejectsBadInput(t *testing.T) {
	e := newEnv(t)
	_, err := e.billing.SetPlan(e.ctx, billing.SystemActor("test"), e.tenant.ID, billing.PlanInput{
		Currency: "dollars", MonthlyFee: -1, MarkupBP: -5,
		Overrides: []billing.Override{{Market: "Brazil", Category: "marketing", Price: -1}, {Market: "Mars", Category: "marketing"}},
	})
	ae, ok := apperr.As(err)
	if !ok || ae.Code != apperr.Invalid {
		t.Fatalf("got %v, want invalid_request", err)
	}
	want := map[string]string{
		"currency": "must be an ISO 4217 code such as USD", "monthly_fee": "must not be negative",
		"markup_percent": "must be between 0 and 10000", "overrides[0]": "price must not be negative",
		"overrides[1]": `market "Mars" is not a rate-card market`,
	}
	if diff := cmp.Diff(want, ae.Fields); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestReconcile(t *testing.T) {
	e := newEnv(t)
	octoberTraffic(t, e)
	e.deliver(t, e.statuses(pair("wamid.9", toNA, regular("utility"), day(9))...))
	points, err := billing.ParsePricingAnalytics([]byte(`{"pricing_analytics":{"data":[{"data_points":[
		{"start":1790000000,"end":1790086400,"country":"BR","pricing_type":"REGULAR","pricing_category":"MARKETING","volume":2,"cost":0.125},
		{"start":1790000000,"end":1790086400,"country":"US","pricing_type":"REGULAR","pricing_category":"UTILITY","volume":1,"cost":0.0034},
		{"start":1790000000,"end":1790086400,"country":"XX","pricing_type":"REGULAR","pricing_category":"MARKETING","volume":1,"cost":0.00000051}
	]}]},"id":"1"}`))
	if err != nil {
		t.Fatal(err)
	}
	oct, _ := billing.ParseMonth("2026-10")
	rec, err := e.billing.Reconcile(e.ctx, e.tenant.ID, oct, points)
	if err != nil {
		t.Fatal(err)
	}
	want := []billing.ReconciliationRow{
		{Market: "Brazil", Category: "marketing", PricingType: "regular", Ours: 3, Meta: 2, Difference: 1, MetaCost: 125_000},
		{Market: "North America", Category: "utility", PricingType: "regular", Ours: 1, Meta: 1, MetaCost: 3_400},
		{Market: "Other", Category: "marketing", PricingType: "regular", Meta: 1, Difference: -1, MetaCost: 1},
	}
	if diff := cmp.Diff(want, rec.Rows); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
	if rec.Matches || strings.Join(rec.UnknownCountries, ",") != "XX" {
		t.Errorf("matches %v, unknown countries %v", rec.Matches, rec.UnknownCountries)
	}
	u := e.usage(t, "2026-10-01", "2026-10-31")
	if u.Totals.All.Charged != 4 {
		t.Errorf("reconciling changed the counts: %d charged, want 4", u.Totals.All.Charged)
	}
}

func TestServiceWindow(t *testing.T) {
	e := newEnv(t)
	t0 := day(3)
	e.deliver(t, e.inbound(metasim.InboundText{From: toBR, WAMID: "wamid.in1", Timestamp: t0, Body: "hi"}))
	e.deliver(t, e.inbound(metasim.InboundText{From: toBR, WAMID: "wamid.in0", Timestamp: t0.Add(-time.Hour), Body: "earlier, delivered late"}))
	tests := []struct {
		name string
		at   time.Time
		open bool
	}{
		{name: "just after", at: t0.Add(time.Minute), open: true},
		{name: "23 hours later", at: t0.Add(23 * time.Hour), open: true},
		{name: "24 hours later", at: t0.Add(24 * time.Hour), open: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			open, until, err := e.billing.ServiceWindow(e.ctx, e.tenant.ID, e.phone.PhoneNumberID, toBR, tt.at)
			if err != nil || open != tt.open || !until.Equal(t0.Add(24*time.Hour)) {
				t.Errorf("open %v until %v (%v); want open %v until %v", open, until, err, tt.open, t0.Add(24*time.Hour))
			}
		})
	}
}
