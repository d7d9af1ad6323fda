package billing_test

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/wabsp/wabsp/billing"
	"github.com/wabsp/wabsp/internal/metasim"
	"github.com/wabsp/wabsp/webhooks"
)

// Recipients in the three markets of the scripted month.
const (
	toNA     = "15551230001" // North America
	toBR     = "5511911110001"
	toIN     = "919812340001"
	fromNA   = "15551230002"
	midMonth = `effective_from,currency,market,category,tier_from,rate,source
2026-10-16,USD,Brazil,marketing,0,0.0700,golden test card
2026-10-16,USD,North America,utility,0,0.0040,golden test card
2026-10-16,USD,North America,utility,3,0.0030,golden test card
`
)

// golden is the hand-computed expectation in testdata/golden_month.json;
// testdata/golden_month.md shows the arithmetic.
type golden struct {
	Usage struct {
		All          billing.Counts            `json:"all"`
		ByClass      map[string]billing.Counts `json:"by_class"`
		Inbound      billing.InboundCounts     `json:"inbound"`
		Unrecognized []string                  `json:"unrecognized"`
		ByMarket     []billing.UsageGroup      `json:"by_market"`
	} `json:"october_usage"`
	Invoice          goldenInvoice  `json:"october_invoice"`
	NovemberEstimate goldenInvoice  `json:"november_estimate"`
	September        billing.Counts `json:"september"`
}

type goldenInvoice struct {
	Currency   string                `json:"currency"`
	MonthlyFee billing.Micros        `json:"monthly_fee"`
	Usage      billing.Micros        `json:"usage"`
	Total      billing.Micros        `json:"total"`
	MetaCost   billing.Micros        `json:"meta_cost"`
	Margin     billing.Micros        `json:"margin"`
	Lines      []billing.InvoiceLine `json:"lines"`
}

func summary(inv billing.Invoice) goldenInvoice {
	return goldenInvoice{Currency: inv.Currency, MonthlyFee: inv.MonthlyFee, Usage: inv.Usage, Total: inv.Total,
		MetaCost: inv.MetaCost, Margin: inv.Margin, Lines: inv.Lines}
}

// day is 11:00 in São Paulo on an October day.
func day(d int) time.Time { return time.Date(2026, 10, d, 14, 0, 0, 0, time.UTC) }

// pair is the sent and delivered statuses of a message, pricing on both.
func pair(wamid, to string, p *metasim.Pricing, sent time.Time) []metasim.Status {
	return []metasim.Status{
		{WAMID: wamid, Status: "sent", Timestamp: sent, RecipientID: to, Pricing: p},
		{WAMID: wamid, Status: "delivered", Timestamp: sent.Add(5 * time.Second), RecipientID: to, Pricing: p},
	}
}

func referralBody(e *env, from, wamid string, ts time.Time) []byte {
	value := fmt.Sprintf(`{"messaging_product":"whatsapp",
		"metadata":{"display_phone_number":%q,"phone_number_id":%q},
		"contacts":[{"profile":{"name":"Ad Visitor"},"wa_id":%q}],
		"messages":[{"referral":{"source_url":"https://fb.me/x","source_id":"120226305854810726","source_type":"ad",
			"headline":"Chat with us","media_type":"image","ctwa_clid":"Aff-n8ZT"},
			"from":%q,"id":%q,"timestamp":"%d","text":{"body":"Can I get more info about this?"},"type":"text"}]}`,
		metasim.Digits(e.phone.DisplayPhoneNumber), e.phone.PhoneNumberID, from, from, wamid, ts.Unix())
	return metasim.Body(metasim.Entry{ID: e.waba.WABAID, Changes: []metasim.Change{{Field: "messages", Value: json.RawMessage(value)}}})
}

// TestGoldenMonth plays a scripted October 2026 through the simulator's
// payloads and the real intake, then checks usage, the final invoice, the
// next month's estimate and the month before against hand-computed values.
func TestGoldenMonth(t *testing.T) {
	e := newEnv(t, withZone("America/Sao_Paulo"))
	rates, err := billing.ParseRatesCSV(strings.NewReader(midMonth))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.billing.ImportRates(e.ctx, billing.SystemActor("test"), billing.RateImport{Note: "mid-month", Rates: rates}); err != nil {
		t.Fatalf("mid-month card: %v", err)
	}
	if _, err := e.billing.SetPlan(e.ctx, billing.SystemActor("test"), e.tenant.ID, billing.PlanInput{
		Currency: "USD", MonthlyFee: 49_000_000, MarkupBP: 2000,
		Overrides: []billing.Override{{Market: "Brazil", Category: "marketing", Price: 80_000}},
	}); err != nil {
		t.Fatalf("plan: %v", err)
	}
	playMonth(t, e)

	var want golden
	raw, err := os.ReadFile("testdata/golden_month.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &want); err != nil {
		t.Fatal(err)
	}
	u := e.usage(t, "2026-10-01", "2026-10-31", billing.DimMarket)
	if diff := cmp.Diff(want.Usage.All, u.Totals.All); diff != "" {
		t.Errorf("October totals (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want.Usage.ByClass, u.Totals.ByClass); diff != "" {
		t.Errorf("October by class (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want.Usage.Inbound, u.Totals.Inbound); diff != "" {
		t.Errorf("October inbound (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want.Usage.Unrecognized, u.Totals.Unrecognized); diff != "" {
		t.Errorf("October unrecognized (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want.Usage.ByMarket, u.Groups); diff != "" {
		t.Errorf("October by market (-want +got):\n%s", diff)
	}

	oct, _ := billing.ParseMonth("2026-10")
	inv, err := e.billing.FinalizeMonth(e.ctx, billing.SystemActor("test"), e.tenant.ID, oct)
	if err != nil {
		t.Fatalf("finalize: %v", err)
	}
	ignore := cmpopts.IgnoreFields(billing.InvoiceLine{}, "RateVersion")
	if diff := cmp.Diff(want.Invoice, summary(inv), ignore); diff != "" {
		t.Errorf("October invoice (-want +got):\n%s", diff)
	}
	if inv.Status != billing.StatusFinal || len(inv.Warnings) != 0 {
		t.Errorf("October invoice: status %s, warnings %v", inv.Status, inv.Warnings)
	}

	est, err := e.billing.Estimate(e.ctx, e.tenant.ID)
	if err != nil {
		t.Fatalf("estimate: %v", err)
	}
	if diff := cmp.Diff(want.NovemberEstimate, summary(est), ignore); diff != "" {
		t.Errorf("November estimate (-want +got):\n%s", diff)
	}
	sep := e.usage(t, "2026-09-01", "2026-09-30")
	if diff := cmp.Diff(want.September, sep.Totals.All); diff != "" {
		t.Errorf("September (-want +got):\n%s", diff)
	}
	e.mustRecount(t, e.tenant.ID)
}

// playMonth sends the month's traffic. Message names match
// testdata/golden_month.md.
func playMonth(t *testing.T, e *env) {
	t.Helper()
	var all []metasim.Status
	add := func(st ...metasim.Status) { all = append(all, st...) }

	// Inbound: a Brazilian customer (twice: a redelivery in another body),
	// an ad click from North America, an Indian customer.
	i1 := metasim.InboundText{From: toBR, Name: "Ana", WAMID: "wamid.I1", Timestamp: day(3).Add(-2 * time.Hour), Body: "Oi"}
	e.deliver(t, e.inbound(i1))
	e.deliver(t, referralBody(e, fromNA, "wamid.I2", day(10).Add(time.Hour)))
	i3 := metasim.InboundText{From: toIN, Name: "Dev", WAMID: "wamid.I3", Timestamp: day(20).Add(-6 * time.Hour), Body: "Hi"}
	e.deliver(t, e.inbound(i3, i1))

	// Templates of every category in three markets.
	add(pair("wamid.M1", toNA, regular("marketing"), day(5))...)
	add(pair("wamid.M2", toBR, regular("marketing"), day(6))...)
	add(pair("wamid.M3", toBR, regular("marketing"), day(20))...)
	add(pair("wamid.ML1", toBR, regular("marketing_lite"), day(21))...)
	add(pair("wamid.U1", toNA, regular("utility"), day(2))...)
	add(pair("wamid.U2", toNA, regular("utility"), day(8))...)
	add(pair("wamid.U4", toNA, regular("utility"), day(18))...)
	add(pair("wamid.U5", toNA, regular("utility"), day(19))...)
	add(pair("wamid.U6", toBR, regular("utility"), day(9))...)
	add(pair("wamid.U7", toIN, regular("utility"), day(22))...)
	add(pair("wamid.A1", toNA, regular("authentication"), day(4))...)
	add(pair("wamid.A2", toBR, regular("authentication"), day(11))...)
	add(pair("wamid.A3", toIN, regular("authentication"), day(12))...)
	add(pair("wamid.AI1", toIN, regular("authentication-international"), day(13))...)
	// Service replies: charged from 2026-10-01, one still free.
	add(pair("wamid.S1", toBR, regular("service"), day(3))...)
	add(pair("wamid.S2", toIN, regular("service"), day(20))...)
	add(pair("wamid.S3", toBR, free("free_customer_service", "service"), day(3))...)
	// Free entry point after the ad click.
	add(pair("wamid.F1", fromNA, free("free_entry_point", "service"), day(10).Add(70*time.Minute))...)
	add(pair("wamid.F2", fromNA, free("free_entry_point", "marketing"), day(10).Add(80*time.Minute))...)
	// A category no rule knows, priced by the fallback.
	add(pair("wamid.Q1", toNA, regular("marketing_plus"), day(24))...)
	// Around the tenant's midnights (São Paulo is UTC-3).
	add(pair("wamid.B1", toNA, regular("marketing"), at("2026-11-01T02:00:00Z"))...) // 23:00 on Oct 31
	add(metasim.Status{WAMID: "wamid.B2", Status: "sent", Timestamp: at("2026-11-01T02:50:00Z"), RecipientID: toBR, Pricing: regular("marketing")},
		metasim.Status{WAMID: "wamid.B2", Status: "delivered", Timestamp: at("2026-11-01T03:10:00Z"), RecipientID: toBR, Pricing: regular("marketing")})
	add(pair("wamid.B0", toIN, regular("marketing"), at("2026-10-01T02:00:00Z"))...) // 23:00 on Sep 30
	// Failures: a marketing template that failed after sent, a failure
	// without pricing, and a v24 delivery without pricing.
	add(metasim.Status{WAMID: "wamid.X1", Status: "sent", Timestamp: day(14), RecipientID: toNA, Pricing: regular("marketing")},
		metasim.Status{WAMID: "wamid.X1", Status: "failed", Timestamp: day(14).Add(time.Minute), RecipientID: toNA,
			Errors: []metasim.MessageError{metasim.HealthyEcosystemError}})
	add(metasim.Status{WAMID: "wamid.X2", Status: "failed", Timestamp: day(15), RecipientID: toBR,
		Errors: []metasim.MessageError{metasim.UndeliverableError}})
	add(metasim.Status{WAMID: "wamid.N1", Status: "sent", Timestamp: day(23), RecipientID: toIN},
		metasim.Status{WAMID: "wamid.N1", Status: "delivered", Timestamp: day(23).Add(time.Second), RecipientID: toIN})
	// Reads (no pricing on them).
	add(metasim.Status{WAMID: "wamid.M1", Status: "read", Timestamp: day(5).Add(time.Minute), RecipientID: toNA},
		metasim.Status{WAMID: "wamid.S1", Status: "read", Timestamp: day(3).Add(time.Minute), RecipientID: toBR})

	// Ten statuses per body, every body delivered twice over (the second
	// copy is byte-identical and dropped at the archive).
	for i := 0; i < len(all); i += 10 {
		b := e.statuses(all[i:min(i+10, len(all))]...)
		e.deliver(t, b)
		e.deliver(t, b)
	}
	// Reordered: M4 read, then delivered, then sent; U3 delivered before sent.
	m4 := pair("wamid.M4", toIN, regular("marketing"), day(7))
	e.deliver(t, e.statuses(metasim.Status{WAMID: "wamid.M4", Status: "read", Timestamp: day(7).Add(time.Minute), RecipientID: toIN}))
	e.deliver(t, e.statuses(m4[1]))
	e.deliver(t, e.statuses(m4[0]))
	u3 := pair("wamid.U3", toNA, regular("utility"), day(17))
	e.deliver(t, e.statuses(u3[1]))
	e.deliver(t, e.statuses(u3[0]))
	// Duplicates in other bodies: M1's delivery again beside A1's.
	e.deliver(t, e.statuses(all[1], pair("wamid.A1", toNA, regular("authentication"), day(4))[1]))
	// A worker retry: the same routed changes applied a second time.
	e.received = e.received.Add(time.Hour)
	body := e.statuses(pair("wamid.S2", toIN, regular("service"), day(20))...)
	archived, err := e.intake.Archive(e.ctx, []webhooks.Body{{Raw: body, ReceivedAt: e.received, AppID: "app"}})
	if err != nil {
		t.Fatal(err)
	}
	batches, err := e.intake.Route(e.ctx, archived)
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		for _, b := range batches {
			if err := e.intake.Apply(e.ctx, b.TenantID, b.Changes); err != nil {
				t.Fatal(err)
			}
		}
	}
}
