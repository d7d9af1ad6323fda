package console

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/wabsp/wabsp/billing"
	"github.com/wabsp/wabsp/internal/config"
	"github.com/wabsp/wabsp/internal/pg"
	"github.com/wabsp/wabsp/internal/secretbox"
	"github.com/wabsp/wabsp/quality"
	"github.com/wabsp/wabsp/sending"
	"github.com/wabsp/wabsp/webhooks"
	"github.com/wabsp/wabsp/webhooks/outbound"
)

// fullConfig is the console as cmd/wabsp mounts it: every domain on the
// fixture's database and a registry carrying the Meta endpoint's series.
func (f *fixture) fullConfig(t testing.TB) Config {
	t.Helper()
	reg := prometheus.NewRegistry()
	q, err := quality.NewService(f.db, reg, discardLog())
	if err != nil {
		t.Fatal(err)
	}
	wh, err := webhooks.NewService(f.db, reg, discardLog())
	if err != nil {
		t.Fatal(err)
	}
	key, err := secretbox.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	box, err := secretbox.New([]config.NamedKey{key})
	if err != nil {
		t.Fatal(err)
	}
	// The outcomes the Meta webhook handler counts (internal/httpapi).
	requests := prometheus.NewCounterVec(prometheus.CounterOpts{Name: metricMetaRequests}, []string{"outcome"})
	reg.MustRegister(requests)
	for outcome, n := range map[string]float64{"accepted": 5, "bad_signature": 2, "too_large": 1, "unavailable": 1} {
		requests.WithLabelValues(outcome).Add(n)
	}
	other := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "wabsp_other_requests_total"}, []string{"outcome"})
	reg.MustRegister(other)
	other.WithLabelValues("bad_signature").Inc()
	return Config{Log: discardLog(), Users: f.svc, Quality: q, Risks: q, Limits: sending.NewStore(f.db),
		Intake: wh, Metrics: reg, Outbound: outbound.NewService(f.db, box, outbound.Options{}),
		Margins: billing.NewService(f.db, billing.Config{Log: discardLog()}), Now: func() time.Time { return *f.clock }}
}

// risk is the quality and sending state seeded for one tenant.
type risk struct {
	rating     string // of its one number; "" for none
	critical   int    // open critical alerts
	paused     int    // paused templates
	limit      string // its WABA's messaging limit
	recipients int    // unique template recipients in the last day
}

func seedRisk(t testing.TB, db *pg.DB, tenant uuid.UUID, r risk) {
	t.Helper()
	ctx := context.Background()
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := db.Exec(ctx, q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	waba := "w" + tenant.String()[:8]
	exec(`INSERT INTO quality_accounts (tenant_id, waba_id, messaging_limit) VALUES ($1, $2, $3)`, tenant, waba, r.limit)
	if r.rating != "" {
		exec(`INSERT INTO quality_numbers (id, tenant_id, waba_id, display_digits, phone_number_id, quality_rating, status, discovered_via, first_seen_at)
			VALUES ($1, $2, $3, '15550001', '9001', $4, 'CONNECTED', 'poll', now())`, uuid.New(), tenant, waba, r.rating)
	}
	for i := range r.critical {
		exec(`INSERT INTO quality_alerts (id, tenant_id, kind, subject_kind, subject_id, severity, opened_at)
			VALUES ($1, $2, 'number_quality', 'number', $3, 'critical', now())`, uuid.New(), tenant, fmt.Sprint(i))
	}
	for i := range r.paused {
		exec(`INSERT INTO quality_templates (tenant_id, template_id, waba_id, name, language, status, discovered_via, first_seen_at)
			VALUES ($1, $2, $3, $4, 'en', 'PAUSED', 'poll', now())`, tenant, fmt.Sprint(1000+i), waba, fmt.Sprintf("t%d", i))
	}
	exec(`INSERT INTO sends (id, tenant_id, phone_number_id, recipient, kind, request, state)
		SELECT gen_random_uuid(), $1, '9001', 'r' || g, 'template', '{}', 'sent' FROM generate_series(1, $2) g`, tenant, r.recipients)
}

// seedIntake archives a poison body and a well-formed one for the intake
// panel.
func seedIntake(t testing.TB, db *pg.DB, at time.Time) {
	t.Helper()
	wh, err := webhooks.NewService(db, nil, discardLog())
	if err != nil {
		t.Fatal(err)
	}
	bodies := []webhooks.Body{{Raw: []byte(`{"truncated":`), ReceivedAt: at}, {Raw: []byte(`{"object":"whatsapp_business_account","entry":[{"id":"99999","time":1750030073,"changes":[{"field":"account_update","value":{"event":"ACCOUNT_DELETED"}}]}]}`), ReceivedAt: at.Add(-2 * time.Hour)}}
	if _, err := wh.Archive(context.Background(), bodies); err != nil {
		t.Fatal(err)
	}
}

// seedDayOfIntake archives one body a minute for the day before now, every
// fiftieth of them poison.
func seedDayOfIntake(t testing.TB, db *pg.DB, now time.Time) {
	t.Helper()
	wh, err := webhooks.NewService(db, nil, discardLog())
	if err != nil {
		t.Fatal(err)
	}
	var bodies []webhooks.Body
	for i := range 24 * 60 {
		raw := fmt.Sprintf(`{"object":"whatsapp_business_account","entry":[{"id":"99999","time":%d,"changes":[{"field":"account_update","value":{"event":"ACCOUNT_DELETED"}}]}]}`, i)
		if i%50 == 0 {
			raw = fmt.Sprintf(`{"truncated":%d`, i)
		}
		bodies = append(bodies, webhooks.Body{Raw: []byte(raw), ReceivedAt: now.Add(-time.Duration(i) * time.Minute)})
	}
	for len(bodies) > 0 {
		n := min(len(bodies), 200)
		if _, err := wh.Archive(context.Background(), bodies[:n]); err != nil {
			t.Fatal(err)
		}
		bodies = bodies[n:]
	}
}
