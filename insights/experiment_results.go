package insights

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// Metric names and kinds of experiment results.
const (
	MetricReadRate          = "read_rate"
	MetricReplyRate         = "reply_rate"
	MetricJourneyCompletion = "journey_completion"
	MetricOptOutRate        = "opt_out_rate"
	MetricBlockRate         = "block_rate"
	KindOutcome             = "outcome"
	KindGuardrail           = "guardrail"
)

// VariantCounts are the raw numbers of one variant in a range: message
// outcomes by message day, and exposed contacts by first exposure.
type VariantCounts struct {
	Variant   string `json:"variant"`
	Weight    int    `json:"weight"`
	Messages  int64  `json:"messages"`
	Sent      int64  `json:"sent"`
	Delivered int64  `json:"delivered"`
	Read      int64  `json:"read"`
	Replied   int64  `json:"replied"`
	Failed    int64  `json:"failed"`
	Blocked   int64  `json:"blocked"`
	Exposed   int64  `json:"exposed"`
	OptedOut  int64  `json:"opted_out"`
	Completed int64  `json:"completed"`
}

// MetricResult is one metric of one variant, compared with the control
// (no Comparison for the control itself or when a group is empty).
type MetricResult struct {
	Metric     string      `json:"metric"`
	Kind       string      `json:"kind"`
	Variant    string      `json:"variant"`
	Successes  int64       `json:"successes"`
	Trials     int64       `json:"trials"`
	Rate       *float64    `json:"rate"`
	Comparison *Comparison `json:"comparison,omitempty"`
}

// ExperimentResults is an experiment's outcome over a range of days.
type ExperimentResults struct {
	Experiment Experiment      `json:"experiment"`
	TimeZone   string          `json:"time_zone"`
	Control    string          `json:"control"`
	Variants   []VariantCounts `json:"variants"`
	Metrics    []MetricResult  `json:"metrics"`
}

// metricDef says how a metric is counted from a variant's numbers.
type metricDef struct {
	name, kind string
	of         func(VariantCounts) (int64, int64)
}

var metricDefs = []metricDef{
	{MetricReadRate, KindOutcome, func(v VariantCounts) (int64, int64) { return v.Read, v.Delivered }},
	{MetricReplyRate, KindOutcome, func(v VariantCounts) (int64, int64) { return v.Replied, v.Delivered }},
	{MetricJourneyCompletion, KindOutcome, func(v VariantCounts) (int64, int64) { return v.Completed, v.Exposed }},
	{MetricOptOutRate, KindGuardrail, func(v VariantCounts) (int64, int64) { return v.OptedOut, v.Exposed }},
	{MetricBlockRate, KindGuardrail, func(v VariantCounts) (int64, int64) { return v.Blocked, v.Messages }},
}

// ExperimentResults returns per-variant counts and each metric compared with
// the control: read and reply rates of delivered messages, journey
// completion of exposed contacts (when the experiment names a journey), and
// the guardrails: contacts who opted out after their first exposure, and
// block-related failures among messages.
func (s *Service) ExperimentResults(ctx context.Context, tenantID, id uuid.UUID, r Range) (ExperimentResults, error) {
	from, to, err := s.span(ctx, tenantID, r)
	if err != nil {
		return ExperimentResults{}, err
	}
	e, err := s.Experiment(ctx, tenantID, id)
	if err != nil {
		return ExperimentResults{}, err
	}
	out := ExperimentResults{Experiment: e, Control: e.Variants[0].Key}
	counts := map[string]*VariantCounts{}
	for _, v := range e.Variants {
		out.Variants = append(out.Variants, VariantCounts{Variant: v.Key, Weight: v.Weight})
	}
	for i := range out.Variants {
		counts[out.Variants[i].Variant] = &out.Variants[i]
	}
	err = s.readTenant(ctx, tenantID, func(tx pgx.Tx) error {
		name, loc, err := zone(ctx, tx, tenantID)
		if err != nil {
			return err
		}
		out.TimeZone = name
		return readVariantCounts(ctx, tx, tenantID, e, instant(from, loc), instant(to, loc), from, to, counts)
	})
	if err != nil {
		return ExperimentResults{}, err
	}
	out.Metrics = experimentMetrics(out.Variants, e.JourneyID != nil)
	return out, nil
}

func experimentMetrics(vs []VariantCounts, journey bool) []MetricResult {
	var out []MetricResult
	for _, m := range metricDefs {
		if m.name == MetricJourneyCompletion && !journey {
			continue
		}
		cx, cn := m.of(vs[0])
		for i, v := range vs {
			x, n := m.of(v)
			r := MetricResult{Metric: m.name, Kind: m.kind, Variant: v.Variant, Successes: x, Trials: n, Rate: ratio(x, n)}
			if i > 0 {
				if c, ok := compare(cx, cn, x, n); ok {
					r.Comparison = &c
				}
			}
			out = append(out, r)
		}
	}
	return out
}

func readVariantCounts(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, e Experiment, fromAt, toAt any,
	from, to date, counts map[string]*VariantCounts) error {
	b := &pgx.Batch{}
	b.Queue(`SELECT variant, sum(messages), sum(sent), sum(delivered), sum(read), sum(replied), sum(failed), sum(blocked)
		FROM insight_experiment_daily WHERE tenant_id = $1 AND experiment = $2 AND day >= $3 AND day < $4
		GROUP BY variant`, tenantID, e.Key, from.time(), to.time())
	b.Queue(`SELECT variant, sum(contacts), 0::bigint, 0::bigint FROM insight_exposure_daily
		WHERE tenant_id = $1 AND experiment = $2 AND day >= $3 AND day < $4 GROUP BY variant`,
		tenantID, e.Key, from.time(), to.time())
	// Opt-outs are few: start from those recorded since the range began and
	// probe the exposures of each.
	b.Queue(`SELECT e.variant, 0::bigint, count(DISTINCT e.contact), 0::bigint FROM consent_ledger c
		CROSS JOIN LATERAL (SELECT * FROM insight_exposures e WHERE e.tenant_id = $1 AND e.experiment = $2
		    AND e.contact IN (c.wa_id, c.bsuid) OFFSET 0) e
		WHERE c.tenant_id = $1 AND c.action = 'opt_out' AND c.occurred_at >= $3
		  AND e.first_at >= $3 AND e.first_at < $4 AND c.occurred_at >= e.first_at
		GROUP BY e.variant`, tenantID, e.Key, fromAt, toAt)
	if e.JourneyID != nil {
		b.Queue(`SELECT e.variant, 0::bigint, 0::bigint, count(*) FROM insight_journey_progress p
			CROSS JOIN LATERAL (SELECT * FROM insight_exposures e WHERE e.tenant_id = $1 AND e.experiment = $2
			    AND e.contact = p.contact OFFSET 0) e
			WHERE p.tenant_id = $1 AND p.journey_id = $5 AND p.completed AND p.last_at >= $3
			  AND e.first_at >= $3 AND e.first_at < $4 AND p.step_at[array_upper(p.step_at, 1)] >= e.first_at
			GROUP BY e.variant`, tenantID, e.Key, fromAt, toAt, *e.JourneyID)
	}
	br := tx.SendBatch(ctx, b)
	defer br.Close()
	rows, _ := br.Query()
	for rows.Next() {
		var v VariantCounts
		if err := rows.Scan(&v.Variant, &v.Messages, &v.Sent, &v.Delivered, &v.Read, &v.Replied, &v.Failed, &v.Blocked); err != nil {
			rows.Close()
			return fmt.Errorf("insights: scan variant: %w", err)
		}
		if c, ok := counts[v.Variant]; ok {
			c.Messages, c.Sent, c.Delivered, c.Read, c.Replied, c.Failed, c.Blocked =
				v.Messages, v.Sent, v.Delivered, v.Read, v.Replied, v.Failed, v.Blocked
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("insights: read variants: %w", err)
	}
	reads := 2
	if e.JourneyID != nil {
		reads = 3
	}
	for range reads {
		rows, _ := br.Query()
		for rows.Next() {
			var variant string
			var exposed, optedOut, completed int64
			if err := rows.Scan(&variant, &exposed, &optedOut, &completed); err != nil {
				rows.Close()
				return fmt.Errorf("insights: scan exposures: %w", err)
			}
			if c, ok := counts[variant]; ok {
				c.Exposed += exposed
				c.OptedOut += optedOut
				c.Completed += completed
			}
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("insights: read exposures: %w", err)
		}
	}
	return nil
}
