package main

import (
	"context"
	"io"
	"log/slog"
	"net/netip"
	"testing"

	"github.com/google/uuid"

	"github.com/wabsp/wabsp/billing"
	"github.com/wabsp/wabsp/internal/config"
	"github.com/wabsp/wabsp/internal/pgtest"
	"github.com/wabsp/wabsp/tenants/tenantstest"
	"github.com/wabsp/wabsp/webhooks/outbound"
)

// The demo's plans get a markup once; a plan set since is kept.
func TestSeedDemoPlans(t *testing.T) {
	db := pgtest.New(t)
	ts := tenantstest.NewService(t, db)
	var ids []uuid.UUID
	for _, dt := range demoTenants {
		ids = append(ids, tenantstest.MustCreateTenant(t, ts, dt.name).ID)
	}
	svc := billing.NewService(db, billing.Config{Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	ctx := context.Background()
	if err := svc.Seed(ctx); err != nil {
		t.Fatal(err)
	}
	if err := seedDemoPlans(ctx, svc, ids); err != nil {
		t.Fatal(err)
	}
	set := billing.PlanInput{Currency: demoTenants[1].currency, MarkupBP: 700}
	if _, err := svc.SetPlan(ctx, billing.Actor{}, ids[1], set); err != nil {
		t.Fatal(err)
	}
	if err := seedDemoPlans(ctx, svc, ids); err != nil {
		t.Fatalf("second run: %v", err)
	}
	for i, want := range []int{demoMarkupBP, 700, demoMarkupBP} {
		p, err := svc.Plan(ctx, ids[i])
		if err != nil || p.MarkupBP != want || p.Currency != demoTenants[i].currency {
			t.Errorf("%s: plan %+v, %v; want markup %d in %s", demoTenants[i].name, p, err, want, demoTenants[i].currency)
		}
	}
}

// A restarted demo moves its one subscription to the new receiver.
func TestSeedDemoSubscription(t *testing.T) {
	db := pgtest.New(t)
	tn := tenantstest.MustCreateTenant(t, tenantstest.NewService(t, db), "Acme")
	var cfg config.Config
	demoDefaults(&cfg)
	box, err := cipherKeyring(cfg)
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc := outbound.NewService(db, box, outbound.Options{AllowHTTP: true, Log: log,
		Addresses: outbound.AddressPolicy{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}}})
	ctx := context.Background()
	for _, url := range []string{"http://127.0.0.1:40001/wabsp-events", "http://127.0.0.1:40002/wabsp-events"} {
		if err := seedDemoSubscription(ctx, log, svc, tn.ID, url); err != nil {
			t.Fatalf("%s: %v", url, err)
		}
	}
	subs, err := svc.List(ctx, outbound.TenantOwner(tn.ID), outbound.Page{})
	if err != nil || len(subs.Items) != 1 || subs.Items[0].URL != "http://127.0.0.1:40002/wabsp-events" || !subs.Items[0].Active {
		t.Fatalf("subscriptions %+v, %v; want one, active, at the second receiver", subs.Items, err)
	}
}
