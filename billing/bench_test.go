package billing_test

import (
	"context"
	"flag"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/wabsp/wabsp/billing"
	"github.com/wabsp/wabsp/internal/metasim"
	"github.com/wabsp/wabsp/internal/pgtest"
	"github.com/wabsp/wabsp/webhooks"
)

var ledgerRows = flag.Int("billing.ledger_rows", 10_000_000, "ledger rows BenchmarkUsage generates")

// generateLedgerSQL writes n messages spread evenly over 90 days, 5 phone
// numbers, 10 markets and 9 category × pricing type pairs. Derived columns
// follow the ledger's own rules: charged is delivered and regular, a
// tenth failed, a third read.
const generateLedgerSQL = `
INSERT INTO billing_ledger (tenant_id, wamid, phone_number_id, recipient, market, category, rate_category,
    pricing_type, pricing_model, billable, pricing_rank, fallback, charged, first_seen_at, sent_at,
    delivered_at, read_at, failed_at, error_code, billed_at, day, month)
SELECT $1, 'wamid.' || i, 'phone' || (i / 90 % 5), '1555' || lpad((i % 100000)::text, 7, '0'),
    (ARRAY['North America','Brazil','India','Mexico','Germany','Indonesia','Rest of Africa','Other','Spain','Italy'])[1 + i / 450 % 10],
    p.category, p.rate_category, p.pricing_type, 'PMP', p.pricing_type = 'regular', 2, false,
    p.pricing_type = 'regular' AND i / 7 % 10 <> 0,
    t, t, CASE WHEN i / 7 % 10 <> 0 THEN t + interval '5 seconds' END,
    CASE WHEN i / 3 % 3 = 0 AND i / 7 % 10 <> 0 THEN t + interval '1 minute' END,
    CASE WHEN i / 7 % 10 = 0 THEN t + interval '1 minute' END, CASE WHEN i / 7 % 10 = 0 THEN 131026 END,
    t, ($2::date + (i % 90)::int), date_trunc('month', t)::date
FROM generate_series(1, $3::bigint) AS i
CROSS JOIN LATERAL (SELECT $2::date + (i % 90)::int + make_interval(secs => (i % 86400)) AS t) tt
CROSS JOIN LATERAL (SELECT * FROM (VALUES
    (0, 'marketing', 'marketing', 'regular'), (1, 'utility', 'utility', 'regular'),
    (2, 'utility', 'utility', 'free_customer_service'), (3, 'authentication', 'authentication', 'regular'),
    (4, 'service', 'service', 'regular'), (5, 'service', 'service', 'free_customer_service'),
    (6, 'marketing', 'marketing', 'free_entry_point'), (7, 'authentication-international', 'authentication-international', 'regular'),
    (8, '', '', '')) AS v(k, category, rate_category, pricing_type) WHERE v.k = i / 4500 % 9) p`

// rollUpSQL builds the roll-ups from the ledger with the recount's own
// aggregation, which is what the intake's deltas add up to; the smaller
// roll-ups are sums of it.
const rollUpSQL = `
INSERT INTO billing_usage_daily (tenant_id, day, phone_number_id, market, category, pricing_type, rate_category,
    messages, sent, delivered, read, failed, charged, fallback)
SELECT tenant_id, day, phone_number_id, market, category, pricing_type, rate_category, count(*), count(sent_at),
    count(*) FILTER (WHERE delivered_at IS NOT NULL OR read_at IS NOT NULL), count(read_at), count(failed_at),
    count(*) FILTER (WHERE charged), count(*) FILTER (WHERE fallback)
FROM billing_ledger WHERE tenant_id = $1 GROUP BY 1, 2, 3, 4, 5, 6, 7`

const rollUpAllSQL = `
INSERT INTO billing_usage_daily_all (tenant_id, day, market, category, pricing_type, rate_category,
    messages, sent, delivered, read, failed, charged, fallback)
SELECT tenant_id, day, market, category, pricing_type, rate_category, sum(messages), sum(sent), sum(delivered),
    sum(read), sum(failed), sum(charged), sum(fallback)
FROM billing_usage_daily WHERE tenant_id = $1 GROUP BY 1, 2, 3, 4, 5, 6`

const rollUpPhoneSQL = `
INSERT INTO billing_usage_daily_phone (tenant_id, day, phone_number_id, category, pricing_type, rate_category,
    messages, sent, delivered, read, failed, charged, fallback)
SELECT tenant_id, day, phone_number_id, category, pricing_type, rate_category, sum(messages), sum(sent),
    sum(delivered), sum(read), sum(failed), sum(charged), sum(fallback)
FROM billing_usage_daily WHERE tenant_id = $1 GROUP BY 1, 2, 3, 4, 5, 6`

const rollUpPhoneMarketSQL = `
INSERT INTO billing_usage_daily_phone_market (tenant_id, day, phone_number_id, market,
    messages, sent, delivered, read, failed, charged, fallback)
SELECT tenant_id, day, phone_number_id, market, sum(messages), sum(sent), sum(delivered), sum(read),
    sum(failed), sum(charged), sum(fallback)
FROM billing_usage_daily WHERE tenant_id = $1 GROUP BY 1, 2, 3, 4`

const generateInboundSQL = `
INSERT INTO billing_inbound (tenant_id, wamid, phone_number_id, sender, market, referral, sent_at, day)
SELECT $1, 'wamid.in' || i, 'phone' || (i / 90 % 5), '1555' || lpad((i % 100000)::text, 7, '0'),
    (ARRAY['North America','Brazil','India','Mexico','Germany','Indonesia','Rest of Africa','Other','Spain','Italy'])[1 + i / 450 % 10],
    i % 50 = 0, $2::date + (i % 90)::int, $2::date + (i % 90)::int
FROM generate_series(1, $3::bigint) AS i`

const inboundRollUpSQL = `
INSERT INTO billing_inbound_daily (tenant_id, day, phone_number_id, market, messages, referrals)
SELECT tenant_id, day, phone_number_id, market, count(*), count(*) FILTER (WHERE referral)
FROM billing_inbound WHERE tenant_id = $1 GROUP BY 1, 2, 3, 4`

// BenchmarkUsage answers usage queries over 90 days for a tenant whose
// ledger holds -billing.ledger_rows messages (10 million by default) and
// reports the p50 and p99 latency of the whole Usage call. Generation runs
// in SQL and takes a few minutes.
func BenchmarkUsage(b *testing.B) {
	if testing.Short() {
		b.Skip("generates millions of ledger rows")
	}
	ctx := context.Background()
	db := pgtest.New(b)
	tenantID := uuid.New()
	start := time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC)
	began := time.Now()
	steps := []struct {
		sql  string
		args []any
	}{
		{`INSERT INTO tenants (id, name, slug) VALUES ($1, 'Bench', 'bench')`, []any{tenantID}},
		// Bulk loads build indexes once at the end, as a restore would.
		{`SELECT create_month_partition('billing_ledger', m::date)
			FROM generate_series($1::date, $1::date + 90, interval '1 month') AS m`, []any{start}},
		{`ALTER TABLE billing_ledger DROP CONSTRAINT billing_ledger_pkey`, nil},
		{`DROP INDEX billing_ledger_day_idx`, nil},
		{generateLedgerSQL, []any{tenantID, start, *ledgerRows}},
		{`ALTER TABLE billing_ledger ADD PRIMARY KEY (tenant_id, wamid, month)`, nil},
		{`INSERT INTO billing_ledger_keys (tenant_id, wamid, month) SELECT tenant_id, wamid, month FROM billing_ledger`, nil},
		{`CREATE INDEX billing_ledger_day_idx ON billing_ledger (tenant_id, day)`, nil},
		{rollUpSQL, []any{tenantID}},
		{rollUpAllSQL, []any{tenantID}},
		{rollUpPhoneSQL, []any{tenantID}},
		{rollUpPhoneMarketSQL, []any{tenantID}},
		{generateInboundSQL, []any{tenantID, start, *ledgerRows / 20}},
		{inboundRollUpSQL, []any{tenantID}},
		{`VACUUM ANALYZE billing_usage_daily`, nil},
		{`VACUUM ANALYZE billing_usage_daily_all`, nil},
		{`VACUUM ANALYZE billing_usage_daily_phone`, nil},
		{`VACUUM ANALYZE billing_usage_daily_phone_market`, nil},
		{`VACUUM ANALYZE billing_inbound_daily`, nil},
	}
	for _, s := range steps {
		if _, err := db.Exec(ctx, s.sql, s.args...); err != nil {
			b.Fatalf("%.60s: %v", s.sql, err)
		}
	}
	var keys int
	if err := db.QueryRow(ctx, `SELECT count(*) FROM billing_usage_daily`).Scan(&keys); err != nil {
		b.Fatal(err)
	}
	b.Logf("generated %d ledger rows (%d roll-up rows) in %s", *ledgerRows, keys, time.Since(began).Round(time.Second))

	svc := billing.NewService(db, billing.Config{})
	from, to := start, start.AddDate(0, 0, 89)
	queries := []struct {
		name string
		by   []billing.Dimension
	}{
		{"totals", nil},
		{"by_day", []billing.Dimension{billing.DimDay}},
		{"by_market_category", []billing.Dimension{billing.DimMarket, billing.DimCategory}},
		{"by_day_phone", []billing.Dimension{billing.DimDay, billing.DimPhoneNumber}},
		{"by_phone_market", []billing.Dimension{billing.DimPhoneNumber, billing.DimMarket}},
		{"by_everything", []billing.Dimension{billing.DimDay, billing.DimPhoneNumber, billing.DimMarket, billing.DimCategory, billing.DimPricingType}},
	}
	for _, q := range queries {
		b.Run(q.name, func(b *testing.B) {
			lat := make([]time.Duration, 0, b.N)
			pages, groups := 0, 0
			for b.Loop() {
				// One operation is a whole answer: every page of it, each
				// call timed on its own.
				uq := billing.UsageQuery{From: from, To: to, GroupBy: q.by}
				for {
					t0 := time.Now()
					u, err := svc.Usage(ctx, tenantID, uq)
					lat = append(lat, time.Since(t0))
					if err != nil {
						b.Fatal(err)
					}
					if u.Totals.All.Messages != int64(*ledgerRows) {
						b.Fatalf("usage counts %d messages, want %d", u.Totals.All.Messages, *ledgerRows)
					}
					pages, groups = pages+1, groups+len(u.Groups)
					if uq.Cursor = u.NextCursor; uq.Cursor == "" {
						break
					}
				}
			}
			slices.Sort(lat)
			p := func(q float64) float64 { return float64(lat[int(q*float64(len(lat)-1))].Microseconds()) / 1000 }
			b.ReportMetric(p(0.50), "p50-ms")
			b.ReportMetric(p(0.99), "p99-ms")
			b.Logf("%d calls (%d groups in %d pages per answer): p50 %.1f ms, p99 %.1f ms (p99 target 50 ms: %.2f of it)",
				len(lat), groups/b.N, pages/b.N, p(0.5), p(0.99), p(0.99)/50)
		})
	}
	mm, err := svc.Recount(ctx, tenantID, from, to)
	if err != nil || len(mm) != 0 {
		b.Fatalf("recount: %d mismatches, %v", len(mm), err)
	}
}

// BenchmarkApplyStatuses measures the intake's apply of status webhooks with
// and without the billing handler: each operation applies one change of
// 1,000 statuses (sent for 500 new messages, delivered for the 500 sent
// the operation before), the shape of steady traffic. It reports statuses
// per second; the intake's end-to-end target is 15,000.
func BenchmarkApplyStatuses(b *testing.B) {
	if testing.Short() {
		b.Skip("database benchmark")
	}
	for _, withBilling := range []bool{false, true} {
		name := "defaults"
		if withBilling {
			name = "defaults+billing"
		}
		b.Run(name, func(b *testing.B) {
			e := newEnv(b)
			intake, err := webhooks.NewService(e.db, nil, nil, webhooks.WithLookupTTL(time.Minute, 0))
			if err != nil {
				b.Fatal(err)
			}
			if withBilling {
				intake.Register(webhooks.FieldMessages, intake.Defaults(), e.billing.Handler())
			}
			p := regular("utility")
			recipients := []string{"15551230001", "5511911110001", "919812340001", "4915112345678"}
			change := func(n int) []webhooks.Change {
				st := make([]metasim.Status, 0, 1000)
				t0 := at("2026-10-05T10:00:00Z").Add(time.Duration(n) * time.Second)
				for i := range 500 {
					to := recipients[i%len(recipients)]
					st = append(st,
						metasim.Status{WAMID: fmt.Sprintf("wamid.%d.%d", n, i), Status: "sent", Timestamp: t0, RecipientID: to, Pricing: p},
						metasim.Status{WAMID: fmt.Sprintf("wamid.%d.%d", n-1, i), Status: "delivered", Timestamp: t0, RecipientID: to, Pricing: p})
				}
				c := metasim.StatusesChange(e.phone.PhoneNumberID, metasim.Digits(e.phone.DisplayPhoneNumber), st)
				return []webhooks.Change{{ArchiveID: int64(n), Index: 0, Field: c.Field, PhoneNumberID: e.phone.PhoneNumberID,
					ReceivedAt: t0, Value: c.Value}}
			}
			batches := make([][]webhooks.Change, b.N)
			for i := range batches {
				batches[i] = change(i)
			}
			b.ResetTimer()
			start := time.Now()
			for i := 0; i < b.N; i++ {
				if err := intake.Apply(e.ctx, e.tenant.ID, batches[i]); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*1000)/time.Since(start).Seconds(), "statuses/s")
		})
	}
}
