package quality_test

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/wabsp/wabsp/internal/pg"
	"github.com/wabsp/wabsp/internal/pgtest"
	"github.com/wabsp/wabsp/quality"
	"github.com/wabsp/wabsp/webhooks"
)

// fixtureDir holds Meta's verbatim webhook examples; the repository is
// checked out beside shared/.
const fixtureDir = "../../shared/meta/fixtures"

// The ids Meta's fixtures use.
const (
	wabaMain     = "102290129340398"
	phoneMain    = "106540352242922"
	digitsMain   = "15550783881"
	wabaSecond   = "495709166956424"
	wabaCapacity = "524126980791429"
)

type env struct {
	ctx      context.Context
	db       *pg.DB
	reg      *prometheus.Registry
	webhooks *webhooks.Service
	svc      *quality.Service
	now      time.Time
}

// newEnv returns the intake with the quality handler registered the way
// production wires it (beside the default handler), on a fresh database.
func newEnv(t testing.TB) *env {
	t.Helper()
	db := pgtest.New(t)
	e := &env{ctx: context.Background(), db: db, now: time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)}
	e.wire(t)
	return e
}

// wire builds fresh services on the env's database.
func (e *env) wire(t testing.TB) {
	t.Helper()
	e.reg = prometheus.NewRegistry()
	wh, err := webhooks.NewService(e.db, e.reg, nil, webhooks.WithLookupTTL(time.Minute, 0))
	if err != nil {
		t.Fatal(err)
	}
	svc, err := quality.NewService(e.db, e.reg, nil, quality.WithClock(func() time.Time { return e.now }))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range quality.Fields {
		wh.Register(f, svc.Handler(), wh.Defaults())
	}
	e.webhooks, e.svc = wh, svc
}

func (e *env) exec(t testing.TB, sql string, args ...any) {
	t.Helper()
	if _, err := e.db.Exec(e.ctx, sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// reset empties what the quality domain and the intake wrote, keeping
// tenants, WABAs and numbers.
func (e *env) reset(t testing.TB) {
	t.Helper()
	e.exec(t, `TRUNCATE quality_numbers, quality_templates, quality_accounts, quality_history, quality_alerts,
		domain_events, webhook_archive, webhook_archive_digests, webhook_routed, webhook_routes, webhook_orphans, tenant_events`)
	e.wire(t)
}

func (e *env) seedTenant(t testing.TB, slug, tz string) uuid.UUID {
	t.Helper()
	id := uuid.New()
	e.exec(t, `INSERT INTO tenants (id, name, slug, time_zone) VALUES ($1, $2, $2, $3)`, id, slug, tz)
	return id
}

func (e *env) seedWABA(t testing.TB, tenant uuid.UUID, wabaID string) uuid.UUID {
	t.Helper()
	id := uuid.New()
	e.exec(t, `INSERT INTO wabas (id, tenant_id, waba_id) VALUES ($1, $2, $3)`, id, tenant, wabaID)
	return id
}

func (e *env) seedPhone(t testing.TB, tenant, wabaRef uuid.UUID, phoneID, display string) {
	t.Helper()
	e.exec(t, `INSERT INTO phone_numbers (id, tenant_id, waba_ref, phone_number_id, display_phone_number)
		VALUES ($1, $2, $3, $4, $5)`, uuid.New(), tenant, wabaRef, phoneID, display)
}

// seedMain creates a tenant owning the fixtures' WABAs; only the main
// number is registered, so the second WABA's number arrives unknown.
func (e *env) seedMain(t testing.TB) uuid.UUID {
	t.Helper()
	tenant := e.seedTenant(t, "main-"+uuid.NewString()[:8], "UTC")
	e.seedPhone(t, tenant, e.seedWABA(t, tenant, wabaMain), phoneMain, "+"+digitsMain)
	e.seedWABA(t, tenant, wabaSecond)
	e.seedWABA(t, tenant, wabaCapacity)
	return tenant
}

// deliver runs bodies through the intake the way the workers do and
// returns what was applied, for re-applying.
func (e *env) deliver(t testing.TB, bodies ...[]byte) []webhooks.TenantBatch {
	t.Helper()
	in := make([]webhooks.Body, len(bodies))
	for i, b := range bodies {
		in[i] = webhooks.Body{Raw: b, ReceivedAt: e.now, AppID: "app1"}
	}
	archived, err := e.webhooks.Archive(e.ctx, in)
	if err != nil {
		t.Fatalf("archive: %v", err)
	}
	batches, err := e.webhooks.Route(e.ctx, archived)
	if err != nil {
		t.Fatalf("route: %v", err)
	}
	e.apply(t, batches)
	return batches
}

// apply applies routed changes, as a retried apply task does.
func (e *env) apply(t testing.TB, batches []webhooks.TenantBatch) {
	t.Helper()
	for _, b := range batches {
		if err := e.webhooks.Apply(e.ctx, b.TenantID, b.Changes); err != nil {
			t.Fatalf("apply: %v", err)
		}
	}
}

func fixtures(t testing.TB) map[string][]byte {
	t.Helper()
	entries, err := os.ReadDir(fixtureDir)
	if err != nil {
		t.Fatalf("read fixtures (the repository must sit beside shared/): %v", err)
	}
	out := map[string][]byte{}
	for _, de := range entries {
		if de.IsDir() || !strings.HasSuffix(de.Name(), ".json") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(fixtureDir, de.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out[strings.TrimSuffix(de.Name(), ".json")] = b
	}
	return out
}

// snapshot renders what the quality domain holds for a tenant as sorted
// lines, so a test states the exact expected state, history and alerts.
type snapshot struct {
	State   []string
	History []string
	Alerts  []string
	Events  []string
}

func (e *env) snapshot(t testing.TB, tenant uuid.UUID) snapshot {
	t.Helper()
	var s snapshot
	s.State = e.lines(t, `
		SELECT format('number %s/%s id=%s rating=%s status=%s name=%s throughput=%s tier=%s limit=%s flagged=%s',
			waba_id, display_digits, phone_number_id, quality_rating, status, name_status, throughput, legacy_tier,
			messaging_limit, coalesce(to_char(flagged_since AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS'), '-'))
		FROM quality_numbers WHERE tenant_id = $1
		UNION ALL
		SELECT format('template %s %s/%s status=%s reason=%s quality=%s category=%s previous=%s pending=%s@%s pauses=%s',
			template_id, name, language, status, status_reason, quality_score, category, previous_category, pending_category,
			coalesce(to_char(pending_category_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS'), '-'), pause_count)
		FROM quality_templates WHERE tenant_id = $1
		UNION ALL
		SELECT format('account %s limit=%s max_numbers=%s review=%s ban=%s connection=%s violation=%s restrictions=%s alerts=%s',
			waba_id, messaging_limit, max_phone_numbers, review_decision, ban_state, connection, violation,
			(SELECT coalesce(string_agg(r->>'type', ',' ORDER BY r->>'type'), '') FROM jsonb_array_elements(restrictions) r),
			(SELECT coalesce(string_agg(k || '=' || (v->>'status'), ',' ORDER BY k), '') FROM jsonb_each(meta_alerts) AS m(k, v)))
		FROM quality_accounts WHERE tenant_id = $1`, tenant)
	s.History = e.lines(t, `
		SELECT format('%s %s=%s old=%s %s%s', subject_kind, attribute, value, coalesce(old_value, '-'),
			to_char(event_time AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS'), CASE WHEN late THEN ' late' ELSE '' END)
			|| ' ' || source
		FROM quality_history WHERE tenant_id = $1`, tenant)
	s.Alerts = e.lines(t, `
		SELECT format('%s %s %s %s %s', kind, severity, value, subject_kind,
			CASE WHEN resolved_at IS NULL THEN 'open' ELSE 'resolved' END)
		FROM quality_alerts WHERE tenant_id = $1`, tenant)
	s.Events = e.lines(t, `SELECT type FROM domain_events WHERE tenant_id = $1`, tenant)
	return s
}

func (e *env) lines(t testing.TB, sql string, args ...any) []string {
	t.Helper()
	rows, err := e.db.Query(e.ctx, sql, args...)
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	defer rows.Close()
	out := []string{}
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return out
}

func (e *env) count(t testing.TB, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := e.db.QueryRow(e.ctx, sql, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

// missed reads the missed-webhook counter for a subject and attribute.
func (e *env) missed(t testing.TB, subject, attr string) float64 {
	t.Helper()
	mfs, err := e.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "wabsp_quality_missed_webhooks_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["subject"] == subject && labels["attribute"] == attr {
				return m.GetCounter().GetValue()
			}
		}
	}
	return 0
}

func ts(unix int64) string { return time.Unix(unix, 0).UTC().Format("2006-01-02T15:04:05") }
