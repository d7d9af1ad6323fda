package billing_test

import (
	"testing"

	"github.com/wabsp/wabsp/billing"
	"github.com/wabsp/wabsp/internal/metasim"
	"github.com/wabsp/wabsp/internal/pg"
	"github.com/wabsp/wabsp/internal/pgtest"
)

func TestUsageReadsThroughReadDB(t *testing.T) {
	e := newEnv(t)
	e.deliver(t, e.statuses(metasim.Status{WAMID: "wamid.r1", Status: "sent", Timestamp: at("2026-10-05T10:00:00Z"),
		RecipientID: "15551230001", Pricing: regular("utility")}))

	// A replica that has the tenant but has not replayed the ledger yet.
	lagging, laggingURL := pgtest.NewWithURL(t)
	if _, err := lagging.Exec(e.ctx, `INSERT INTO tenants (id, name, slug, time_zone) VALUES ($1, $2, $3, $4)`,
		e.tenant.ID, e.tenant.Name, e.tenant.Slug, e.tenant.TimeZone); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		read *pg.DB
		want int64
	}{
		{"no read database reads the primary", nil, 1},
		{"a lagging replica is what usage sees", pgtest.OpenReadOnly(t, laggingURL), 0},
		// A read-only session fails any write, so usage must not write.
		{"a current replica refusing writes", pgtest.OpenReadOnly(t, e.db.Config().ConnString()), 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			svc := billing.NewService(e.db, billing.Config{ReadDB: tc.read})
			f, _ := billing.ParseDate("2026-10-01")
			to, _ := billing.ParseDate("2026-10-31")
			u, err := svc.Usage(e.ctx, e.tenant.ID, billing.UsageQuery{From: f, To: to})
			if err != nil {
				t.Fatal(err)
			}
			if u.Totals.All.Messages != tc.want {
				t.Errorf("messages = %d, want %d", u.Totals.All.Messages, tc.want)
			}
		})
	}
}
