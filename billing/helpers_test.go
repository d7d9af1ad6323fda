package billing_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/wabsp/wabsp/billing"
	"github.com/wabsp/wabsp/internal/metasim"
	"github.com/wabsp/wabsp/internal/pg"
	"github.com/wabsp/wabsp/internal/pgtest"
	"github.com/wabsp/wabsp/tenants"
	"github.com/wabsp/wabsp/tenants/tenantstest"
	"github.com/wabsp/wabsp/webhooks"
)

// env is a migrated database with the billing data seeded, a tenant with one
// WABA and phone number, and the intake wired the way production wires it.
type env struct {
	ctx      context.Context
	db       *pg.DB
	billing  *billing.Service
	intake   *webhooks.Service
	tenants  *tenants.Service
	tenant   tenants.Tenant
	waba     tenants.WABA
	phone    tenants.PhoneNumber
	now      time.Time
	received time.Time
}

type envOption func(*billing.Config, *tenants.NewTenant)

func withZone(zone string) envOption {
	return func(_ *billing.Config, t *tenants.NewTenant) { t.TimeZone = zone }
}

func newEnv(t testing.TB, opts ...envOption) *env {
	t.Helper()
	e := &env{ctx: context.Background(), db: pgtest.New(t), now: time.Date(2026, 11, 15, 12, 0, 0, 0, time.UTC)}
	cfg := billing.Config{Now: func() time.Time { return e.now }}
	in := tenants.NewTenant{}
	for _, o := range opts {
		o(&cfg, &in)
	}
	e.billing = billing.NewService(e.db, cfg)
	if err := e.billing.Seed(e.ctx); err != nil {
		t.Fatalf("seed: %v", err)
	}
	intake, err := webhooks.NewService(e.db, nil, nil, webhooks.WithLookupTTL(time.Minute, 0))
	if err != nil {
		t.Fatal(err)
	}
	intake.Register(webhooks.FieldMessages, intake.Defaults(), e.billing.Handler())
	e.intake = intake
	e.tenants = tenantstest.NewService(t, e.db)
	e.tenant = tenantstest.MustCreateTenant(t, e.tenants, "Billing Co", func(n *tenants.NewTenant) {
		n.TimeZone = in.TimeZone
	})
	// The scripted clock sits in 2026; the tenant existed well before.
	if _, err := e.db.Exec(e.ctx, `UPDATE tenants SET created_at = '2026-01-01' WHERE id = $1`, e.tenant.ID); err != nil {
		t.Fatal(err)
	}
	e.waba = tenantstest.MustCreateWABA(t, e.tenants, e.tenant.ID, "")
	e.phone = tenantstest.MustCreatePhoneNumber(t, e.tenants, e.tenant.ID, e.waba.ID)
	e.received = time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	return e
}

// deliver runs bodies through archive, route and apply, as the workers do.
func (e *env) deliver(t testing.TB, bodies ...[]byte) {
	t.Helper()
	in := make([]webhooks.Body, len(bodies))
	for i, b := range bodies {
		in[i] = webhooks.Body{Raw: b, ReceivedAt: e.received, AppID: "app"}
	}
	archived, err := e.intake.Archive(e.ctx, in)
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

// statuses is a body with statuses of the env's number.
func (e *env) statuses(st ...metasim.Status) []byte {
	return metasim.StatusesBody(e.waba.WABAID, e.phone.PhoneNumberID, metasim.Digits(e.phone.DisplayPhoneNumber), st)
}

// inbound is a body with inbound texts to the env's number.
func (e *env) inbound(msgs ...metasim.InboundText) []byte {
	return metasim.InboundTextBody(e.waba.WABAID, e.phone.PhoneNumberID, metasim.Digits(e.phone.DisplayPhoneNumber), msgs...)
}

func (e *env) usage(t testing.TB, from, to string, by ...billing.Dimension) billing.Usage {
	t.Helper()
	f, _ := billing.ParseDate(from)
	tt, _ := billing.ParseDate(to)
	u, err := e.billing.Usage(e.ctx, e.tenant.ID, billing.UsageQuery{From: f, To: tt, GroupBy: by})
	if err != nil {
		t.Fatalf("usage: %v", err)
	}
	return u
}

// mustRecount fails the test when any roll-up differs from the ledger.
func (e *env) mustRecount(t testing.TB, tenantID uuid.UUID) {
	t.Helper()
	from, _ := billing.ParseDate("2000-01-01")
	to, _ := billing.ParseDate("2100-01-01")
	mm, err := e.billing.Recount(e.ctx, tenantID, from, to)
	if err != nil {
		t.Fatalf("recount: %v", err)
	}
	if len(mm) > 0 {
		t.Fatalf("roll-ups differ from the ledger: %+v", mm)
	}
}

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func regular(category string) *metasim.Pricing {
	return &metasim.Pricing{Billable: true, Model: "PMP", Type: "regular", Category: category}
}

func free(typ, category string) *metasim.Pricing {
	return &metasim.Pricing{Billable: false, Model: "PMP", Type: typ, Category: category}
}
