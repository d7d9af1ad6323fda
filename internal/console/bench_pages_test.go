package console

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/wabsp/wabsp/optins"
	"github.com/wabsp/wabsp/quality"
)

// The tenant sections' benchmark sizes: a number and a template with a
// rating change every day of the default retention, 50 numbers, 200
// templates, 500 consent entries and 30 days of 20 conversations a day.
const (
	benchDays      = 400
	benchNumbers   = 50
	benchTemplates = 200
	benchConsents  = 500
	benchTraffic   = 30
	benchPerDay    = 20
)

// BenchmarkTenantPages measures each tenant page's server time (session,
// authorization, the domain reads and rendering) and reports the p99.
func BenchmarkTenantPages(b *testing.B) {
	f := setupPages(b)
	f.seedBench(b)
	c := newClient(b, f.app)
	c.login(f.admin, password)
	base := "/console/tenants/" + f.tenantA.ID.String()
	pages := []struct{ name, path string }{
		{"tenant-50-numbers", base},
		{"number-30d", base + "/numbers/" + f.a.number.String()},
		{"number-400d", base + "/numbers/" + f.a.number.String() + "?days=400"},
		{"alerts", base + "/alerts?state=all"},
		{"templates", base + "/templates"},
		{"template-400d", base + "/templates/" + f.a.template + "?days=400"},
		{"usage", base + "/usage"},
		{"invoice-csv", base + "/usage/invoice.csv"},
		{"consent", base + "/consent"},
		{"consent-contact", base + "/consent?wa_id=" + f.a.waID},
		{"contact", base + "/consent/contacts/" + f.a.contact.String()},
		{"eligibility", base + "/consent/eligibility?wa_id=" + f.a.waID + "&kind=marketing"},
		{"insights", base + "/insights"},
	}
	for _, pg := range pages {
		b.Run(pg.name, func(b *testing.B) { timePage(b, f.app, c.cookies[CookieName], pg.path) })
	}
}

// timePage GETs path b.N times and reports the p99 in milliseconds.
func timePage(b *testing.B, app *fiber.App, cookie *http.Cookie, path string) {
	times := make([]time.Duration, 0, b.N)
	for b.Loop() {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		req.AddCookie(cookie)
		start := time.Now()
		resp, err := app.Test(req, -1)
		times = append(times, time.Since(start))
		if err != nil || resp.StatusCode != http.StatusOK {
			b.Fatalf("GET %s: %v %v", path, err, resp.StatusCode)
		}
		resp.Body.Close()
	}
	slices.Sort(times)
	b.ReportMetric(float64(times[len(times)*99/100].Microseconds())/1000, "p99-ms")
}

func (f *pagesFixture) seedBench(b *testing.B) {
	ctx := context.Background()
	tenant := f.tenantA.ID
	num, err := f.quality.GetNumber(ctx, tenant, f.a.number)
	if err != nil {
		b.Fatal(err)
	}
	tpl, err := f.quality.GetTemplate(ctx, tenant, f.a.template)
	if err != nil {
		b.Fatal(err)
	}
	ratings := []string{"GREEN", "YELLOW", "RED"}
	now := time.Now().UTC()
	for day := range benchDays {
		at := now.AddDate(0, 0, day-benchDays)
		polls := []quality.NumberPoll{{PhoneNumberID: num.PhoneNumberID, DisplayPhoneNumber: num.DisplayPhoneNumber,
			QualityRating: ratings[day%3], Status: "CONNECTED", MessagingLimitTier: "TIER_10K"}}
		if _, err := f.quality.ApplyNumberPoll(ctx, tenant, num.WABAID, at, polls); err != nil {
			b.Fatal(err)
		}
		tp := []quality.TemplatePoll{{ID: tpl.TemplateID, Name: tpl.Name, Language: tpl.Language, Status: "APPROVED",
			Category: "UTILITY", QualityScore: ratings[day%3], QualityAt: at}}
		if _, err := f.quality.ApplyTemplatePoll(ctx, tenant, num.WABAID, at, tp); err != nil {
			b.Fatal(err)
		}
	}
	var numbers []quality.NumberPoll
	for i := range benchNumbers - 1 {
		numbers = append(numbers, quality.NumberPoll{PhoneNumberID: strconv.Itoa(700000000000000 + i), DisplayPhoneNumber: fmt.Sprintf("+1555%07d", i),
			QualityRating: ratings[i%3], Status: "CONNECTED", MessagingLimitTier: "TIER_10K"})
	}
	if _, err := f.quality.ApplyNumberPoll(ctx, tenant, "1"+num.WABAID, now, numbers); err != nil {
		b.Fatal(err)
	}
	var templates []quality.TemplatePoll
	for i := range benchTemplates - 1 {
		templates = append(templates, quality.TemplatePoll{ID: strconv.Itoa(800000000 + i), Name: fmt.Sprintf("campaign_%03d", i),
			Language: "en_US", Status: "APPROVED", Category: "MARKETING", QualityScore: ratings[i%3], QualityAt: now})
	}
	if _, err := f.quality.ApplyTemplatePoll(ctx, tenant, num.WABAID, now, templates); err != nil {
		b.Fatal(err)
	}
	for i := range benchConsents {
		wa := fmt.Sprintf("1556%07d", i)
		if i%10 == 0 {
			wa = f.a.waID
		}
		_, err := f.optins.RecordConsent(ctx, tenant, "bench", optins.ConsentInput{Contact: optins.ContactRef{WaID: wa},
			Purpose: optins.PurposeMarketing, Action: []optins.Action{optins.ActionOptIn, optins.ActionOptOut}[i%2],
			Source: optins.SourceWebForm, Evidence: optins.Evidence{NoticeText: "Offers from Shop"}, OccurredAt: now.Add(-time.Duration(i) * time.Minute)}, "")
		if err != nil {
			b.Fatal(err)
		}
	}
	// The fixture's traffic covers the last four days already.
	f.traffic(b, f.a, now.AddDate(0, 0, -4), benchTraffic-4, benchPerDay)
}
