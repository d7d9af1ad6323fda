package insights_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/wabsp/wabsp/insights"
	"github.com/wabsp/wabsp/internal/metasim"
	"github.com/wabsp/wabsp/internal/pg"
	"github.com/wabsp/wabsp/internal/pgtest"
	"github.com/wabsp/wabsp/tenants"
	"github.com/wabsp/wabsp/tenants/tenantstest"
	"github.com/wabsp/wabsp/webhooks"
)

// env is a migrated database with a tenant (São Paulo time, UTC-3 all year),
// one WABA and number, and the intake wired the way production wires it.
type env struct {
	ctx      context.Context
	db       *pg.DB
	insights *insights.Service
	intake   *webhooks.Service
	tenants  *tenants.Service
	tenant   tenants.Tenant
	waba     tenants.WABA
	phone    tenants.PhoneNumber
	now      time.Time
}

func newEnv(t testing.TB) *env {
	t.Helper()
	e := &env{ctx: context.Background(), db: pgtest.New(t), now: at("2026-10-08T12:00:00Z")}
	e.insights = insights.NewService(e.db, insights.WithClock(func() time.Time { return e.now }))
	intake, err := webhooks.NewService(e.db, nil, nil, webhooks.WithLookupTTL(time.Minute, 0))
	if err != nil {
		t.Fatal(err)
	}
	intake.Register(webhooks.FieldMessages, intake.Defaults(), e.insights.Handler())
	e.intake = intake
	e.tenants = tenantstest.NewService(t, e.db)
	e.tenant = tenantstest.MustCreateTenant(t, e.tenants, "Insights Co", func(n *tenants.NewTenant) {
		n.TimeZone = "America/Sao_Paulo"
	})
	e.waba = tenantstest.MustCreateWABA(t, e.tenants, e.tenant.ID, "")
	e.phone = tenantstest.MustCreatePhoneNumber(t, e.tenants, e.tenant.ID, e.waba.ID)
	return e
}

// deliver runs bodies through archive, route and apply, one body at a time
// and in the order given, as separate webhook POSTs would be.
func (e *env) deliver(t testing.TB, bodies ...[]byte) {
	t.Helper()
	for _, body := range bodies {
		archived, err := e.intake.Archive(e.ctx, []webhooks.Body{{Raw: body, ReceivedAt: e.now, AppID: "app"}})
		if err != nil {
			t.Fatalf("archive: %v", err)
		}
		batches, err := e.intake.Route(e.ctx, archived)
		if err != nil {
			t.Fatalf("route: %v", err)
		}
		for _, b := range batches {
			if err := e.intake.Apply(e.ctx, b.TenantID, b.Changes); err != nil {
				t.Fatalf("apply: %v", err)
			}
		}
	}
}

func (e *env) statuses(st ...metasim.Status) []byte {
	return metasim.StatusesBody(e.waba.WABAID, e.phone.PhoneNumberID, metasim.Digits(e.phone.DisplayPhoneNumber), st)
}

func (e *env) texts(msgs ...metasim.InboundText) []byte {
	return metasim.InboundTextBody(e.waba.WABAID, e.phone.PhoneNumberID, metasim.Digits(e.phone.DisplayPhoneNumber), msgs...)
}

func (e *env) taps(taps ...metasim.ButtonTap) []byte {
	return metasim.InboundButtonBody(e.waba.WABAID, e.phone.PhoneNumberID, metasim.Digits(e.phone.DisplayPhoneNumber), taps...)
}

func (e *env) annotate(t testing.TB, anns ...insights.Annotation) {
	t.Helper()
	if _, err := e.insights.Annotate(e.ctx, e.tenant.ID, anns, ""); err != nil {
		t.Fatalf("annotate: %v", err)
	}
}

// mustRecount fails the test when a roll-up or a derived row differs from a
// recount of the raw events.
func (e *env) mustRecount(t testing.TB, tenantID uuid.UUID) {
	t.Helper()
	mm, err := e.insights.Recount(e.ctx, tenantID)
	if err != nil {
		t.Fatalf("recount: %v", err)
	}
	if len(mm) > 0 {
		t.Fatalf("roll-ups differ from the raw events: %+v", mm)
	}
}

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func day(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

// sent, delivered, read and failed are status builders for one recipient.
func status(wamid, to, st, ts string) metasim.Status {
	return metasim.Status{WAMID: wamid, Status: st, Timestamp: at(ts), RecipientID: to}
}
