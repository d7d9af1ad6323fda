package insights_test

import (
	"testing"
	"time"

	"github.com/wabsp/wabsp/insights"
	"github.com/wabsp/wabsp/internal/metasim"
	"github.com/wabsp/wabsp/internal/pgtest"
)

func TestRangeReadsThroughReadDB(t *testing.T) {
	e := newEnv(t)
	e.deliver(t, e.statuses(metasim.Status{WAMID: "wamid.r1", Status: "sent", Timestamp: at("2026-10-05T10:00:00Z"), RecipientID: "5511900000001"}))
	clock := insights.WithClock(func() time.Time { return e.now })
	r := insights.Range{From: day("2026-10-01"), To: day("2026-10-08")}

	// A read-only session fails any write: every range read must be a pure read.
	current := insights.NewService(e.db, clock, insights.WithReadDB(pgtest.OpenReadOnly(t, e.db.Config().ConnString())))
	reads := []struct {
		name string
		run  func() error
	}{
		{"funnel", func() error { _, err := current.Funnel(e.ctx, e.tenant.ID, insights.FunnelQuery{Range: r}); return err }},
		{"busiest hours", func() error {
			_, err := current.BusiestHours(e.ctx, e.tenant.ID, insights.HoursQuery{Range: r})
			return err
		}},
		{"response times", func() error {
			_, err := current.ResponseTimes(e.ctx, e.tenant.ID, insights.ResponseQuery{Range: r})
			return err
		}},
		{"contact activity", func() error {
			_, err := current.ContactActivity(e.ctx, e.tenant.ID, insights.ContactsQuery{Range: r})
			return err
		}},
	}
	for _, tc := range reads {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.run(); err != nil {
				t.Fatal(err)
			}
		})
	}

	// A replica that has the tenant but not its messages yet.
	lagging, laggingURL := pgtest.NewWithURL(t)
	if _, err := lagging.Exec(e.ctx, `INSERT INTO tenants (id, name, slug, time_zone) VALUES ($1, $2, $3, $4)`,
		e.tenant.ID, e.tenant.Name, e.tenant.Slug, e.tenant.TimeZone); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		svc  *insights.Service
		want int64
	}{
		{"primary", e.insights, 1},
		{"lagging replica", insights.NewService(e.db, clock, insights.WithReadDB(pgtest.OpenReadOnly(t, laggingURL))), 0},
		{"nil read database falls back to the primary", insights.NewService(e.db, clock, insights.WithReadDB(nil)), 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, err := tc.svc.Funnel(e.ctx, e.tenant.ID, insights.FunnelQuery{Range: r})
			if err != nil {
				t.Fatal(err)
			}
			if f.Total.Messages != tc.want {
				t.Errorf("messages = %d, want %d", f.Total.Messages, tc.want)
			}
		})
	}
}
