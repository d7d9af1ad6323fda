package main

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/wabsp/wabsp/insights"
	"github.com/wabsp/wabsp/internal/metasim"
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
	var first insights.Experiment
	for run := 1; run <= 2; run++ {
		e, err := seedDemoInsights(ctx, svc, tn.ID)
		if err != nil {
			t.Fatalf("run %d: %v", run, err)
		}
		if run == 1 {
			first = e
		} else if e.ID != first.ID {
			t.Errorf("run 2 returned experiment %s, want the first run's %s", e.ID, first.ID)
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

func TestDemoVariantsLabelTheTenantsSends(t *testing.T) {
	db := pgtest.New(t)
	tn := tenantstest.MustCreateTenant(t, tenantstest.NewService(t, db), "Acme")
	svc := insights.NewService(db)
	ctx := context.Background()
	e, err := seedDemoInsights(ctx, svc, tn.ID)
	if err != nil {
		t.Fatal(err)
	}
	label := demoVariants(ctx, slog.New(slog.NewTextHandler(io.Discard, nil)), svc, tn.ID, []string{"102290129340398"}, e)
	cases := []struct {
		name, waba, wamid, to string
		labelled              bool
	}{
		{"the tenant's WABA", "102290129340398", "wamid.own-1", "15550001111", true},
		{"another recipient", "102290129340398", "wamid.own-2", "15550002222", true},
		{"another tenant's WABA", "204400000000001", "wamid.other", "6281100001111", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			send := metasim.Send{Number: metasim.Number{WABAID: c.waba}, To: c.to, WAMID: c.wamid, At: time.Now()}
			if err := label(send); err != nil {
				t.Fatal(err)
			}
			a, found, err := svc.MessageLabels(ctx, tn.ID, c.wamid)
			if err != nil {
				t.Fatal(err)
			}
			if found != c.labelled {
				t.Fatalf("labelled %v, want %v", found, c.labelled)
			}
			if found && (a.Experiment != e.Key || a.Variant != e.Assign(c.to)) {
				t.Errorf("labels %s/%s, want %s/%s", a.Experiment, a.Variant, e.Key, e.Assign(c.to))
			}
		})
	}
}
