package main

import (
	"context"
	"testing"

	"github.com/wabsp/wabsp/insights"
	"github.com/wabsp/wabsp/internal/pgtest"
	"github.com/wabsp/wabsp/tenants/tenantstest"
)

// A demo restarted on the same database keeps one journey and one
// experiment.
func TestSeedDemoInsightsTwice(t *testing.T) {
	db := pgtest.New(t)
	tn := tenantstest.MustCreateTenant(t, tenantstest.NewService(t, db), "Acme")
	svc := insights.NewService(db)
	ctx := context.Background()
	for run := 1; run <= 2; run++ {
		if err := seedDemoInsights(ctx, svc, tn.ID); err != nil {
			t.Fatalf("run %d: %v", run, err)
		}
	}
	js, err := svc.Journeys(ctx, tn.ID, insights.Page{})
	if err != nil || len(js.Items) != 1 {
		t.Fatalf("journeys: %d, %v; want 1", len(js.Items), err)
	}
	es, err := svc.Experiments(ctx, tn.ID, insights.Page{})
	if err != nil || len(es.Items) != 1 || es.Items[0].JourneyID == nil || *es.Items[0].JourneyID != js.Items[0].ID {
		t.Fatalf("experiments: %+v, %v; want 1 on the journey", es.Items, err)
	}
}
