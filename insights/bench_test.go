package insights_test

import (
	"fmt"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/wabsp/wabsp/insights"
)

// bench5M is the SQL that fills a tenant with 90 days of traffic: 4 million
// outbound and 1 million inbound messages over 3 numbers and 300,000
// contacts, the turns they make, a journey's progress and two experiments,
// and the contact counts computed from those rows; RebuildRollups adds the
// other roll-ups. $1 is the tenant.
var bench5M = []string{
	`SELECT setseed(0.42)`,
	`INSERT INTO insight_messages (tenant_id, wamid, phone_number_id, contact, at, resp_at, day, hour, sent_at,
	    delivered_at, read_at, failed_at, error_code, error_title, replied_at, template_name, campaign, agent,
	    automated, experiment, variant, month)
	SELECT $1, 'o' || i, 'ph' || (i % 3), 'c' || (i % 300000), t, t, (t AT TIME ZONE 'America/Sao_Paulo')::date,
	    extract(hour FROM t AT TIME ZONE 'America/Sao_Paulo'), t,
	    CASE WHEN r < 0.95 THEN t + interval '5 seconds' END,
	    CASE WHEN r < 0.60 THEN t + interval '3 minutes' END,
	    CASE WHEN r >= 0.97 THEN t + interval '10 seconds' END,
	    CASE WHEN r >= 0.97 THEN (ARRAY[131026, 131049, 131047])[1 + i % 3] END,
	    CASE WHEN r >= 0.97 THEN 'failure ' || (i % 3) ELSE '' END,
	    CASE WHEN r < 0.05 THEN t + interval '10 minutes' END,
	    CASE WHEN i % 10 < 7 THEN 'template_' || (i % 20) ELSE '' END,
	    CASE WHEN i % 10 < 7 THEN 'campaign_' || (i % 10) ELSE '' END,
	    CASE WHEN i % 10 >= 7 THEN 'agent_' || (i % 10) ELSE '' END, i % 10 < 7,
	    CASE WHEN i % 20 = 0 THEN 'exp_a' WHEN i % 20 = 1 THEN 'exp_b' ELSE '' END,
	    CASE WHEN i % 20 < 2 THEN (ARRAY['control', 'treatment'])[1 + (i / 20) % 2] ELSE '' END,
	    date_trunc('month', t AT TIME ZONE 'UTC')::date
	FROM (SELECT i, random() AS r, timestamptz '2026-08-03 03:00:00+00' + random() * interval '90 days' AS t
	      FROM generate_series(1, 4000000) AS i) s`,
	`INSERT INTO insight_message_keys (tenant_id, wamid, month)
	SELECT tenant_id, wamid, month FROM insight_messages WHERE tenant_id = $1`,
	`INSERT INTO insight_inbound (tenant_id, wamid, phone_number_id, contact, at, day, hour, context_id, button_payload)
	SELECT $1, 'i' || i, 'ph' || (i % 3), 'c' || (i * 7 % 300000), t, (t AT TIME ZONE 'America/Sao_Paulo')::date,
	    extract(hour FROM t AT TIME ZONE 'America/Sao_Paulo'),
	    CASE WHEN i % 20 = 0 THEN 'o' || i END, CASE WHEN i % 10 = 0 THEN 'BUY' END
	FROM (SELECT i, timestamptz '2026-08-03 03:00:00+00' + random() * interval '90 days' AS t
	      FROM generate_series(1, 1000000) AS i) s`,
	`INSERT INTO insight_turns (tenant_id, phone_number_id, contact, started_at, inbound_wamid, day, first,
	    responded_at, response_wamid, seconds, business_seconds, agent, automated)
	SELECT $1, 'ph' || (i % 3), 'c' || (i * 7 % 300000), t + (i % 1000) * interval '1 microsecond', 'i' || i,
	    (t AT TIME ZONE 'America/Sao_Paulo')::date, i % 5 < 2,
	    CASE WHEN s IS NOT NULL THEN t + s * interval '1 second' END, CASE WHEN s IS NOT NULL THEN 'o' || i END,
	    s, (s * 0.7)::int, CASE WHEN s IS NULL THEN '' ELSE 'agent_' || (i % 10) END, s IS NOT NULL AND i % 10 < 3
	FROM (SELECT i, timestamptz '2026-08-03 03:00:00+00' + random() * interval '90 days' AS t,
	             CASE WHEN random() < 0.95 THEN floor(exp(random() * 11))::int END AS s
	      FROM generate_series(1, 700000) AS i) x`,
	`INSERT INTO insight_contacts (tenant_id, contact, first_inbound_at, first_day)
	SELECT $1, contact, min(at), (min(at) AT TIME ZONE 'America/Sao_Paulo')::date FROM insight_inbound
	WHERE tenant_id = $1 GROUP BY contact`,
	`INSERT INTO insight_contact_periods (tenant_id, grain, period, contact)
	SELECT DISTINCT $1::uuid, g.grain, CASE g.grain WHEN 'd' THEN day WHEN 'w' THEN date_trunc('week', day)::date
	    ELSE date_trunc('month', day)::date END, contact
	FROM insight_inbound CROSS JOIN (VALUES ('d'), ('w'), ('m')) AS g(grain) WHERE tenant_id = $1`,
	`INSERT INTO insight_contact_counts (tenant_id, grain, period, active, new)
	SELECT $1, coalesce(a.grain, f.grain), coalesce(a.period, f.period), coalesce(a.active, 0), coalesce(f.new, 0)
	FROM (SELECT grain, period, count(*) AS active FROM insight_contact_periods WHERE tenant_id = $1 GROUP BY 1, 2) a
	FULL JOIN (SELECT g.grain, CASE g.grain WHEN 'd' THEN first_day WHEN 'w' THEN date_trunc('week', first_day)::date
	        ELSE date_trunc('month', first_day)::date END AS period, count(*) AS new
	    FROM insight_contacts CROSS JOIN (VALUES ('d'), ('w'), ('m')) AS g(grain) WHERE tenant_id = $1 GROUP BY 1, 2) f
	  USING (grain, period)`,
	`INSERT INTO insight_exposures (tenant_id, experiment, contact, variant, first_at, first_day)
	SELECT DISTINCT ON (experiment, contact) $1, experiment, contact, variant, at, day FROM insight_messages
	WHERE tenant_id = $1 AND experiment <> '' ORDER BY experiment, contact, at, wamid`,
	`INSERT INTO insight_journey_progress (tenant_id, journey_id, contact, entered_at, entered_day, furthest, completed,
	    step_at, loops, loop_steps, last_step, last_at)
	SELECT $1, $2, 'c' || i, t, (t AT TIME ZONE 'America/Sao_Paulo')::date, f, f = 3,
	    (ARRAY[t, t + interval '1 hour' * (1 + i % 7), t + interval '1 day' * (1 + i % 3)])[1:f],
	    CASE WHEN i % 11 = 0 THEN 1 ELSE 0 END, CASE WHEN i % 11 = 0 THEN '{1}'::smallint[] ELSE '{}' END, f,
	    t + interval '1 day'
	FROM (SELECT i, 1 + (i % 5 > 1)::int + (i % 5 > 3)::int AS f,
	             timestamptz '2026-08-03 03:00:00+00' + random() * interval '90 days' AS t
	      FROM generate_series(1, 100000) AS i) x`,
}

func fillBench(b *testing.B, e *env, journeyID uuid.UUID) {
	b.Helper()
	start := time.Now()
	for _, q := range bench5M {
		args := []any{e.tenant.ID}
		if q == bench5M[len(bench5M)-1] {
			args = append(args, journeyID)
		}
		if q == bench5M[0] {
			args = nil
		}
		if _, err := e.db.Exec(e.ctx, q, args...); err != nil {
			b.Fatalf("generate: %v\n%s", err, q)
		}
	}
	if err := e.insights.RebuildRollups(e.ctx, e.tenant.ID); err != nil {
		b.Fatal(err)
	}
	if _, err := e.db.Exec(e.ctx, `VACUUM ANALYZE`); err != nil {
		b.Fatalf("vacuum: %v", err)
	}
	b.Logf("generated 5M messages in %s", time.Since(start).Round(time.Second))
}

// BenchmarkEndpoints5M times every insight read over the full 90 days of a
// tenant with 5 million messages and reports each one's p50 and p99. Run it
// with WABSP_BENCH_5M=1 (generating the data takes minutes):
//
//	WABSP_BENCH_5M=1 go test ./insights/ -run '^$' -bench Endpoints5M -benchtime 200x -timeout 30m
func BenchmarkEndpoints5M(b *testing.B) {
	if os.Getenv("WABSP_BENCH_5M") == "" {
		b.Skip("set WABSP_BENCH_5M=1 to generate the 5-million-message tenant")
	}
	e := newEnv(b)
	tid := e.tenant.ID
	j, err := e.insights.CreateJourney(e.ctx, tid, insights.NewJourney{Key: "buy", Name: "Buy",
		Steps: []insights.Step{{Key: "offer", Match: insights.MatchTemplate, Value: "template_1"},
			{Key: "buy", Match: insights.MatchButton, Value: "BUY"}, {Key: "paid", Match: insights.MatchEvent, Value: "paid"}}}, "")
	if err != nil {
		b.Fatal(err)
	}
	x, err := e.insights.CreateExperiment(e.ctx, tid, insights.NewExperiment{Key: "exp_a", Name: "A", JourneyID: &j.ID,
		Variants: []insights.Variant{{Key: "control", Weight: 1}, {Key: "treatment", Weight: 1}}}, "")
	if err != nil {
		b.Fatal(err)
	}
	fillBench(b, e, j.ID)
	r := insights.Range{From: day("2026-08-03"), To: day("2026-11-01")}
	endpoints := []struct {
		name string
		call func() error
	}{
		{"funnel", func() error {
			_, err := e.insights.Funnel(e.ctx, tid, insights.FunnelQuery{Range: r})
			return err
		}},
		{"funnel_by_template_and_week", func() error {
			_, err := e.insights.Funnel(e.ctx, tid, insights.FunnelQuery{Range: r, GroupBy: []string{insights.ByTemplate, insights.ByWeek}})
			return err
		}},
		{"response_times", func() error {
			_, err := e.insights.ResponseTimes(e.ctx, tid, insights.ResponseQuery{Range: r})
			return err
		}},
		{"response_times_by_agent", func() error {
			_, err := e.insights.ResponseTimes(e.ctx, tid, insights.ResponseQuery{Range: r, GroupBy: insights.ByAgent})
			return err
		}},
		{"response_times_by_week_business", func() error {
			_, err := e.insights.ResponseTimes(e.ctx, tid, insights.ResponseQuery{Range: r, GroupBy: insights.ByWeek, Clock: insights.ClockBusiness})
			return err
		}},
		{"busiest_hours", func() error {
			_, err := e.insights.BusiestHours(e.ctx, tid, insights.HoursQuery{Range: r})
			return err
		}},
		{"contacts_by_day", func() error {
			_, err := e.insights.ContactActivity(e.ctx, tid, insights.ContactsQuery{Range: r})
			return err
		}},
		{"journey_results", func() error {
			_, err := e.insights.JourneyResults(e.ctx, tid, j.ID, r)
			return err
		}},
		{"journey_before_after", func() error {
			_, err := e.insights.CompareJourney(e.ctx, tid, j.ID, r.From, day("2026-09-15"), r.To)
			return err
		}},
		{"experiment_results", func() error {
			_, err := e.insights.ExperimentResults(e.ctx, tid, x.ID, r)
			return err
		}},
		{"assignment", func() error {
			_, err := e.insights.AssignVariant(e.ctx, tid, x.ID, "c12345")
			return err
		}},
		{"annotate_bulk_100", func() error {
			anns := make([]insights.Annotation, 100)
			for i := range anns {
				anns[i] = insights.Annotation{WAMID: fmt.Sprintf("o%d", 1+i*397), Agent: "agent_x", Campaign: "re"}
			}
			_, err := e.insights.Annotate(e.ctx, tid, anns, "")
			return err
		}},
	}
	for _, ep := range endpoints {
		b.Run(ep.name, func(b *testing.B) {
			lat := make([]time.Duration, 0, b.N)
			for range b.N {
				t0 := time.Now()
				if err := ep.call(); err != nil {
					b.Fatal(err)
				}
				lat = append(lat, time.Since(t0))
			}
			slices.Sort(lat)
			q := func(p float64) float64 {
				return float64(lat[min(len(lat)-1, int(p*float64(len(lat))))].Microseconds()) / 1000
			}
			b.ReportMetric(q(0.50), "p50-ms")
			b.ReportMetric(q(0.99), "p99-ms")
		})
	}
}
