package insights

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// Mismatch is a roll-up or derived row that differs from its recount. Key
// names the row; a side that has no row is empty.
type Mismatch struct {
	Table     string `json:"table"`
	Key       string `json:"key"`
	Stored    string `json:"stored"`
	Recounted string `json:"recounted"`
}

// The raw time of an event: Meta's, else the receipt time to the second,
// exactly as the fold takes it.
const rawTime = `coalesce(event_time, date_trunc('second', received_at))`

// recountChecks compare each table with what the raw intake rows (or the
// rows checked before it) say it must hold. $1 is the tenant, $2 its zone.
var recountChecks = []struct{ table, sql string }{
	{"insight_messages", `
WITH raw AS (
    SELECT wamid, min(nullif(phone_number_id, '')) AS phone,
        min(coalesce(nullif(recipient_id, ''), recipient_user_id)) AS contact,
        min(` + rawTime + `) FILTER (WHERE status = 'sent') AS sent,
        min(` + rawTime + `) FILTER (WHERE status = 'delivered') AS delivered,
        min(` + rawTime + `) FILTER (WHERE status IN ('read', 'played')) AS read,
        min(` + rawTime + `) FILTER (WHERE status = 'failed') AS failed,
        min((errors -> 0 ->> 'code')::int) FILTER (WHERE status = 'failed') AS code
    FROM message_statuses WHERE tenant_id = $1 AND status IN ('sent', 'delivered', 'read', 'played', 'failed')
    GROUP BY wamid),
replies AS (
    SELECT context_id, min(` + rawTime + `) AS at FROM inbound_messages
    WHERE tenant_id = $1 AND context_id IS NOT NULL GROUP BY context_id),
r AS (
    SELECT raw.*, replies.at AS replied, least(sent, delivered, read, failed) AS at
    FROM raw LEFT JOIN replies ON replies.context_id = raw.wamid),
s AS (SELECT * FROM insight_messages WHERE tenant_id = $1 AND at IS NOT NULL)
SELECT coalesce(s.wamid, r.wamid),
    concat_ws('|', s.phone_number_id, s.contact, s.sent_at, s.delivered_at, s.read_at, s.failed_at, s.error_code,
        s.replied_at, s.day, s.hour),
    concat_ws('|', coalesce(r.phone, ''), coalesce(r.contact, ''), r.sent, r.delivered, r.read, r.failed, r.code,
        r.replied, (r.at AT TIME ZONE $2)::date, extract(hour FROM r.at AT TIME ZONE $2)::int)
FROM s FULL JOIN r ON r.wamid = s.wamid`},
	{"insight_funnel_daily", `
WITH r AS (
    SELECT day, phone_number_id, template_name, campaign, count(*) AS messages,
        count(*) FILTER (WHERE sent_at IS NOT NULL OR delivered_at IS NOT NULL OR read_at IS NOT NULL) AS sent,
        count(*) FILTER (WHERE delivered_at IS NOT NULL OR read_at IS NOT NULL) AS delivered,
        count(read_at) AS read, count(replied_at) AS replied, count(failed_at) AS failed
    FROM insight_messages WHERE tenant_id = $1 AND at IS NOT NULL GROUP BY 1, 2, 3, 4),
s AS (SELECT * FROM insight_funnel_daily WHERE tenant_id = $1
    AND (messages, sent, delivered, read, replied, failed) <> (0, 0, 0, 0, 0, 0))
SELECT concat_ws('/', coalesce(s.day, r.day), coalesce(s.phone_number_id, r.phone_number_id),
        coalesce(s.template_name, r.template_name), coalesce(s.campaign, r.campaign)),
    concat_ws(',', s.messages, s.sent, s.delivered, s.read, s.replied, s.failed),
    concat_ws(',', r.messages, r.sent, r.delivered, r.read, r.replied, r.failed)
FROM s FULL JOIN r USING (day, phone_number_id, template_name, campaign)`},
	{"insight_failures_daily", `
WITH r AS (
    SELECT day, phone_number_id, template_name, campaign, coalesce(error_code, 0) AS error_code, error_title,
        count(*) AS failed
    FROM insight_messages WHERE tenant_id = $1 AND failed_at IS NOT NULL GROUP BY 1, 2, 3, 4, 5, 6),
s AS (SELECT * FROM insight_failures_daily WHERE tenant_id = $1 AND failed <> 0)
SELECT concat_ws('/', coalesce(s.day, r.day), coalesce(s.phone_number_id, r.phone_number_id),
        coalesce(s.template_name, r.template_name), coalesce(s.campaign, r.campaign),
        coalesce(s.error_code, r.error_code), coalesce(s.error_title, r.error_title)),
    s.failed::text, r.failed::text
FROM s FULL JOIN r USING (day, phone_number_id, template_name, campaign, error_code, error_title)`},
	{"insight_inbound", `
WITH r AS (
    SELECT wamid, phone_number_id, coalesce(from_wa_id, from_user_id) AS contact, ` + rawTime + ` AS at, context_id
    FROM inbound_messages WHERE tenant_id = $1 AND coalesce(from_wa_id, from_user_id) IS NOT NULL),
s AS (SELECT * FROM insight_inbound WHERE tenant_id = $1)
SELECT coalesce(s.wamid, r.wamid),
    concat_ws('|', s.phone_number_id, s.contact, s.at, s.context_id, s.day, s.hour),
    concat_ws('|', r.phone_number_id, r.contact, r.at, r.context_id, (r.at AT TIME ZONE $2)::date,
        extract(hour FROM r.at AT TIME ZONE $2)::int)
FROM s FULL JOIN r USING (wamid)`},
	{"insight_hourly", `
WITH r AS (
    SELECT day, hour, phone_number_id, 'out' AS direction, count(*) AS messages
    FROM insight_messages WHERE tenant_id = $1 AND at IS NOT NULL GROUP BY 1, 2, 3
    UNION ALL
    SELECT day, hour, phone_number_id, 'in', count(*) FROM insight_inbound WHERE tenant_id = $1 GROUP BY 1, 2, 3),
s AS (SELECT * FROM insight_hourly WHERE tenant_id = $1 AND messages <> 0)
SELECT concat_ws('/', coalesce(s.day, r.day), coalesce(s.hour, r.hour), coalesce(s.phone_number_id, r.phone_number_id),
        coalesce(s.direction, r.direction)),
    s.messages::text, r.messages::text
FROM s FULL JOIN r USING (day, hour, phone_number_id, direction)`},
	{"insight_experiment_daily", `
WITH r AS (
    SELECT experiment, variant, day, count(*) AS messages,
        count(*) FILTER (WHERE sent_at IS NOT NULL OR delivered_at IS NOT NULL OR read_at IS NOT NULL) AS sent,
        count(*) FILTER (WHERE delivered_at IS NOT NULL OR read_at IS NOT NULL) AS delivered,
        count(read_at) AS read, count(replied_at) AS replied, count(failed_at) AS failed,
        count(*) FILTER (WHERE failed_at IS NOT NULL AND error_code IN (131026, 131049, 131050)) AS blocked
    FROM insight_messages WHERE tenant_id = $1 AND at IS NOT NULL AND experiment <> '' GROUP BY 1, 2, 3),
s AS (SELECT * FROM insight_experiment_daily WHERE tenant_id = $1
    AND (messages, sent, delivered, read, replied, failed, blocked) <> (0, 0, 0, 0, 0, 0, 0))
SELECT concat_ws('/', coalesce(s.experiment, r.experiment), coalesce(s.variant, r.variant), coalesce(s.day, r.day)),
    concat_ws(',', s.messages, s.sent, s.delivered, s.read, s.replied, s.failed, s.blocked),
    concat_ws(',', r.messages, r.sent, r.delivered, r.read, r.replied, r.failed, r.blocked)
FROM s FULL JOIN r USING (experiment, variant, day)`},
	{"insight_exposures", `
WITH r AS (
    SELECT DISTINCT ON (experiment, contact) experiment, contact, variant, at
    FROM insight_messages WHERE tenant_id = $1 AND experiment <> '' AND at IS NOT NULL AND contact <> ''
    ORDER BY experiment, contact, at, wamid),
s AS (SELECT * FROM insight_exposures WHERE tenant_id = $1)
SELECT concat_ws('/', coalesce(s.experiment, r.experiment), coalesce(s.contact, r.contact)),
    concat_ws('|', s.variant, s.first_at, s.first_day), concat_ws('|', r.variant, r.at, (r.at AT TIME ZONE $2)::date)
FROM s FULL JOIN r USING (experiment, contact)`},
	{"insight_exposure_daily", `
WITH r AS (
    SELECT experiment, variant, first_day AS day, count(*) AS contacts FROM insight_exposures
    WHERE tenant_id = $1 GROUP BY 1, 2, 3),
s AS (SELECT * FROM insight_exposure_daily WHERE tenant_id = $1 AND contacts <> 0)
SELECT concat_ws('/', coalesce(s.experiment, r.experiment), coalesce(s.variant, r.variant), coalesce(s.day, r.day)),
    s.contacts::text, r.contacts::text
FROM s FULL JOIN r USING (experiment, variant, day)`},
	{"insight_turns buckets", `
SELECT phone_number_id || '/' || contact || '/' || started_at, concat_ws('|', bucket, business_bucket),
    concat_ws('|', nullif(` + bucketSQL("seconds") + `, -1), nullif(` + bucketSQL("business_seconds") + `, -1))
FROM insight_turns WHERE tenant_id = $1 AND seconds IS NOT NULL`},
	{"insight_contacts", `
WITH r AS (
    SELECT contact, min(at) AS at FROM insight_inbound WHERE tenant_id = $1 GROUP BY contact),
s AS (SELECT * FROM insight_contacts WHERE tenant_id = $1)
SELECT coalesce(s.contact, r.contact), concat_ws('|', s.first_inbound_at, s.first_day),
    concat_ws('|', r.at, (r.at AT TIME ZONE $2)::date)
FROM s FULL JOIN r USING (contact)`},
	{"insight_contact_counts", `
WITH p AS (
    SELECT DISTINCT g.grain, CASE g.grain WHEN 'd' THEN day WHEN 'w' THEN date_trunc('week', day)::date
        ELSE date_trunc('month', day)::date END AS period, contact
    FROM insight_inbound CROSS JOIN (VALUES ('d'), ('w'), ('m')) AS g(grain) WHERE tenant_id = $1),
f AS (
    SELECT g.grain, CASE g.grain WHEN 'd' THEN first_day WHEN 'w' THEN date_trunc('week', first_day)::date
        ELSE date_trunc('month', first_day)::date END AS period, count(*) AS new
    FROM insight_contacts CROSS JOIN (VALUES ('d'), ('w'), ('m')) AS g(grain) WHERE tenant_id = $1 GROUP BY 1, 2),
r AS (
    SELECT coalesce(a.grain, f.grain) AS grain, coalesce(a.period, f.period) AS period,
        coalesce(a.active, 0) AS active, coalesce(f.new, 0) AS new
    FROM (SELECT grain, period, count(*) AS active FROM p GROUP BY 1, 2) a FULL JOIN f USING (grain, period)),
s AS (SELECT grain::text, period, active, new FROM insight_contact_counts WHERE tenant_id = $1 AND (active, new) <> (0, 0))
SELECT concat_ws('/', coalesce(s.grain, r.grain), coalesce(s.period, r.period)),
    concat_ws(',', s.active, s.new), concat_ws(',', r.active, r.new)
FROM s FULL JOIN r USING (grain, period)`},
}

// bucketSQL is bucketOf in SQL (-1 for NULL).
func bucketSQL(col string) string {
	return `CASE WHEN ` + col + ` IS NULL THEN -1 WHEN ` + col + ` < 100 THEN ` + col + `
        ELSE ` + col + ` / (10 ^ (floor(log(` + col + `)) - 1))::int * (10 ^ (floor(log(` + col + `)) - 1))::int END`
}

// turnTilesSQL lists each turn once per grain and clock it counts in, with
// its tile start and bucket (the columns the histograms are keyed by).
var turnTilesSQL = `
    SELECT g.grain, CASE g.grain WHEN 'd' THEN day WHEN 'w' THEN date_trunc('week', day)::date
            ELSE date_trunc('month', day)::date END AS start,
        c.clock, first, phone_number_id, agent, automated,
        CASE c.clock WHEN 'wall' THEN seconds ELSE business_seconds END AS secs,
        CASE c.clock WHEN 'wall' THEN ` + bucketSQL("seconds") + ` ELSE ` + bucketSQL("business_seconds") + ` END AS bucket
    FROM insight_turns CROSS JOIN (VALUES ('d'), ('w'), ('m')) AS g(grain) CROSS JOIN (VALUES ('wall'), ('business')) AS c(clock)
    WHERE tenant_id = $1 AND (c.clock = 'wall' OR business_seconds IS NOT NULL OR seconds IS NULL)`

// histogramChecks compare every copy of the response-time histogram with
// the turns.
func histogramChecks() []struct{ table, sql string } {
	var out []struct{ table, sql string }
	for _, h := range histTables {
		cols := "grain, start, clock, first, " + h.dims() + "bucket"
		keyParts := []string{}
		for _, c := range strings.Split(cols, ", ") {
			keyParts = append(keyParts, "coalesce(s."+c+", r."+c+")")
		}
		out = append(out, struct{ table, sql string }{h.name, `
WITH r AS (
    SELECT ` + cols + `, count(*) AS turns, coalesce(sum(secs), 0) AS seconds
    FROM (` + turnTilesSQL + `) t GROUP BY ` + cols + `),
s AS (SELECT * FROM ` + h.name + ` WHERE tenant_id = $1 AND (turns, seconds) <> (0, 0))
SELECT concat_ws('/', ` + strings.Join(keyParts, ", ") + `),
    concat_ws(',', s.turns, s.seconds), concat_ws(',', r.turns, r.seconds)
FROM s FULL JOIN r USING (` + cols + `)`})
	}
	return out
}

// Recount checks every roll-up and derived row against a recount: messages,
// inbound messages and turns against the raw intake rows (statuses and
// inbound messages as Meta sent them, plus the annotations), the roll-ups
// against those rows, and journey progress against its hits. It returns the
// differences; none means the numbers every read serves are exact.
func (s *Service) Recount(ctx context.Context, tenantID uuid.UUID) ([]Mismatch, error) {
	var out []Mismatch
	err := s.inTenant(ctx, tenantID, func(tx pgx.Tx) error {
		name, loc, err := zone(ctx, tx, tenantID)
		if err != nil {
			return err
		}
		checks := append(append(slices.Clone(recountChecks), histogramChecks()...), journeyChecks...)
		for _, c := range checks {
			args := []any{tenantID}
			if strings.Contains(c.sql, "$2") {
				args = append(args, name)
			}
			rows, _ := tx.Query(ctx, `SELECT * FROM (`+c.sql+`) AS x(key, stored, recounted)
				WHERE stored IS DISTINCT FROM recounted ORDER BY key LIMIT 100`, args...)
			for rows.Next() {
				m := Mismatch{Table: c.table}
				if err := rows.Scan(&m.Key, &m.Stored, &m.Recounted); err != nil {
					rows.Close()
					return fmt.Errorf("insights: scan recount: %w", err)
				}
				out = append(out, m)
			}
			if err := rows.Err(); err != nil {
				return fmt.Errorf("insights: recount %s: %w", c.table, err)
			}
		}
		mm, err := recountTurns(ctx, tx, tenantID, loc)
		if err != nil {
			return err
		}
		out = append(out, mm...)
		mm, err = recountProgress(ctx, tx, tenantID, loc)
		out = append(out, mm...)
		return err
	})
	return out, err
}
