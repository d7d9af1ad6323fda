package console

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/wabsp/wabsp/billing"
	"github.com/wabsp/wabsp/insights"
	"github.com/wabsp/wabsp/internal/metasim"
	"github.com/wabsp/wabsp/optins"
	"github.com/wabsp/wabsp/quality"
	"github.com/wabsp/wabsp/tenants"
	"github.com/wabsp/wabsp/tenants/tenantstest"
	"github.com/wabsp/wabsp/webhooks"
)

// tenantData is what seedTenant wrote for one tenant, to build paths.
type tenantData struct {
	number   uuid.UUID
	template string
	alert    uuid.UUID
	contact  uuid.UUID
	waID     string
	waba     string
	phone    tenants.PhoneNumber
}

// pagesFixture is setup with every domain the tenant pages read, each
// tenant seeded with a number that turned red, a template, a consent and
// a journey and experiment.
type pagesFixture struct {
	*fixture
	cfg     Config
	quality *quality.Service
	optins  *optins.Service
	ins     *insights.Service
	intake  *webhooks.Service
	a, b    tenantData
}

func setupPages(t testing.TB) *pagesFixture {
	t.Helper()
	f := &pagesFixture{fixture: setup(t)}
	q, err := quality.NewService(f.db, prometheus.NewRegistry(), discardLog())
	if err != nil {
		t.Fatal(err)
	}
	bill := billing.NewService(f.db, billing.Config{Log: discardLog()})
	if err := bill.Seed(context.Background()); err != nil {
		t.Fatal(err)
	}
	f.quality, f.optins, f.ins = q, optins.NewService(f.db), insights.NewService(f.db)
	f.cfg = Config{Log: discardLog(), Users: f.svc, Quality: q, QualityPages: q, Billing: bill, Consent: f.optins,
		Insights: f.ins, Now: func() time.Time { return *f.clock }}
	f.app = fiber.New()
	Mount(f.app, f.cfg)
	f.intake, err = webhooks.NewService(f.db, nil, nil, webhooks.WithLookupTTL(time.Minute, 0))
	if err != nil {
		t.Fatal(err)
	}
	f.intake.Register(webhooks.FieldMessages, f.intake.Defaults(), bill.Handler(), f.ins.Handler(), f.optins.Handler())
	f.a = f.seedTenant(t, f.tenantA.ID, "15550000001")
	f.b = f.seedTenant(t, f.tenantB.ID, "15550000002")
	return f
}

func (f *pagesFixture) seedTenant(t testing.TB, tenantID uuid.UUID, waID string) tenantData {
	t.Helper()
	ctx := context.Background()
	d := tenantData{waID: waID}
	w := tenantstest.MustCreateWABA(t, f.svc, tenantID, "")
	phone := tenantstest.MustCreatePhoneNumber(t, f.svc, tenantID, w.ID)
	waba, phoneID := w.WABAID, phone.PhoneNumberID
	d.waba, d.phone = waba, phone
	now := time.Now().UTC()
	for i, rating := range []string{"GREEN", "YELLOW", "RED"} {
		_, err := f.quality.ApplyNumberPoll(ctx, tenantID, waba, now.AddDate(0, 0, i-3), []quality.NumberPoll{{
			PhoneNumberID: phoneID, DisplayPhoneNumber: phone.DisplayPhoneNumber, VerifiedName: "Shop", QualityRating: rating,
			Status: "CONNECTED", MessagingLimitTier: "TIER_10K"}})
		if err != nil {
			t.Fatal(err)
		}
	}
	_, err := f.quality.ApplyTemplatePoll(ctx, tenantID, waba, now.AddDate(0, 0, -1), []quality.TemplatePoll{
		{ID: "9" + phoneID[:8], Name: "order_update", Language: "en_US", Status: "APPROVED", Category: "UTILITY", QualityScore: "YELLOW",
			QualityAt: now.AddDate(0, 0, -1)}})
	if err != nil {
		t.Fatal(err)
	}
	d.template = "9" + phoneID[:8]
	nums, err := f.quality.ListNumbers(ctx, tenantID, quality.NumberFilter{}, quality.Page{})
	if err != nil || len(nums.Items) != 1 {
		t.Fatalf("numbers: %v %d", err, len(nums.Items))
	}
	d.number = nums.Items[0].ID
	alerts, err := f.quality.ListAlerts(ctx, tenantID, quality.AlertFilter{}, quality.Page{})
	if err != nil || len(alerts.Items) == 0 {
		t.Fatalf("alerts: %v %d", err, len(alerts.Items))
	}
	d.alert = alerts.Items[0].ID
	e, err := f.optins.RecordConsent(ctx, tenantID, "test", optins.ConsentInput{Contact: optins.ContactRef{WaID: waID},
		Purpose: optins.PurposeMarketing, Action: optins.ActionOptIn, Source: optins.SourceWebForm,
		Evidence: optins.Evidence{NoticeText: "Yes, send me offers from Shop"}}, "")
	if err != nil {
		t.Fatal(err)
	}
	d.contact = e.ContactID
	j, err := f.ins.CreateJourney(ctx, tenantID, insights.NewJourney{Key: "onboarding", Name: "Onboarding", Steps: []insights.Step{
		{Key: "welcome", Match: insights.MatchTemplate, Value: "order_update"}, {Key: "reply", Match: insights.MatchEvent, Value: "replied"}}}, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.ins.CreateExperiment(ctx, tenantID, insights.NewExperiment{Key: "wording", Name: "Wording",
		Variants: []insights.Variant{{Key: "plain", Weight: 50}, {Key: "emoji", Weight: 50}}, JourneyID: &j.ID}, ""); err != nil {
		t.Fatal(err)
	}
	f.traffic(t, d, now, 4, 1)
	return d
}

// traffic delivers days of conversations a day ending at now: the
// customer writes in, gets a service reply and a marketing template,
// through the intake as production applies it.
func (f *pagesFixture) traffic(t testing.TB, d tenantData, now time.Time, days, perDay int) {
	t.Helper()
	waba, phone, waID := d.waba, d.phone, d.waID
	digits := metasim.Digits(phone.DisplayPhoneNumber)
	service := &metasim.Pricing{Billable: false, Model: "PMP", Type: "free_customer_service", Category: "service"}
	marketing := &metasim.Pricing{Billable: true, Model: "PMP", Type: "regular", Category: "marketing"}
	for n := range days * perDay {
		day := n / perDay
		in := now.Add(-time.Duration(day)*24*time.Hour - time.Duration(2+n%perDay)*time.Minute*7)
		reply, promo := fmt.Sprintf("wamid.reply-%s-%d", waID, n), fmt.Sprintf("wamid.promo-%s-%d", waID, n)
		var st []metasim.Status
		for i, s := range []string{"sent", "delivered", "read"} {
			at := in.Add(time.Duration(3+day+i) * time.Minute)
			st = append(st, metasim.Status{WAMID: reply, Status: s, Timestamp: at, RecipientID: waID, Pricing: service},
				metasim.Status{WAMID: promo, Status: s, Timestamp: at.Add(time.Hour), RecipientID: waID, Pricing: marketing})
		}
		f.deliver(t, metasim.InboundTextBody(waba, phone.PhoneNumberID, digits,
			metasim.InboundText{From: waID, Name: "Ana", WAMID: fmt.Sprintf("wamid.in-%s-%d", waID, n), Timestamp: in, Body: "Where is my order?"}),
			metasim.StatusesBody(waba, phone.PhoneNumberID, digits, st))
	}
}

// deliver runs bodies through archive, route and apply, as the workers do.
func (f *pagesFixture) deliver(t testing.TB, bodies ...[]byte) {
	t.Helper()
	ctx := context.Background()
	for _, body := range bodies {
		archived, err := f.intake.Archive(ctx, []webhooks.Body{{Raw: body, ReceivedAt: time.Now(), AppID: "app"}})
		if err != nil {
			t.Fatalf("archive: %v", err)
		}
		batches, err := f.intake.Route(ctx, archived)
		if err != nil {
			t.Fatalf("route: %v", err)
		}
		for _, b := range batches {
			if err := f.intake.Apply(ctx, b.TenantID, b.Changes); err != nil {
				t.Fatalf("apply: %v", err)
			}
		}
	}
}
