package insights

// The journey roll-ups as SQL over insight_journey_progress, for rebuilding
// them in bulk and for recounting them ($1 is the tenant). They say what
// progress.contribute says.

// journeyDailySQL sums progress into (journey_id, entered_day, step) rows.
const journeyDailySQL = `
SELECT journey_id, entered_day, step, sum(contacts) AS contacts, sum(completed) AS completed,
    sum(stopped) AS stopped, sum(looping) AS looping, sum(loops) AS loops
FROM (
    SELECT journey_id, entered_day, 0::smallint AS step, count(*) AS contacts,
        count(*) FILTER (WHERE completed) AS completed, 0 AS stopped,
        count(*) FILTER (WHERE loops > 0) AS looping, sum(loops) AS loops
    FROM insight_journey_progress WHERE tenant_id = $1 GROUP BY 1, 2
    UNION ALL
    SELECT journey_id, entered_day, s::smallint, count(*), 0, 0, 0, 0
    FROM insight_journey_progress CROSS JOIN generate_series(1, furthest) AS s WHERE tenant_id = $1 GROUP BY 1, 2, 3
    UNION ALL
    SELECT journey_id, entered_day, last_step, 0, 0, count(*), 0, 0
    FROM insight_journey_progress WHERE tenant_id = $1 AND NOT completed GROUP BY 1, 2, 3
    UNION ALL
    SELECT journey_id, entered_day, l, 0, 0, 0, 0, count(*)
    FROM insight_journey_progress CROSS JOIN unnest(loop_steps) AS l WHERE tenant_id = $1 GROUP BY 1, 2, 3
) x GROUP BY 1, 2, 3`

// journeyGapsSQL lists each contact's whole seconds between steps.
var journeyGapsSQL = `
SELECT journey_id, contact, s::smallint AS step, entered_day,
    floor(extract(epoch FROM step_at[s + 1] - step_at[s]))::int AS seconds,
    ` + bucketSQL("floor(extract(epoch FROM step_at[s + 1] - step_at[s]))::int") + ` AS bucket
FROM insight_journey_progress CROSS JOIN generate_series(1, furthest - 1) AS s WHERE tenant_id = $1`

// journeyGapTilesSQL counts the gaps per tile and bucket.
const journeyGapTilesSQL = `
SELECT journey_id, g.grain, CASE g.grain WHEN 'd' THEN entered_day WHEN 'w' THEN date_trunc('week', entered_day)::date
        ELSE date_trunc('month', entered_day)::date END AS start, step, bucket, count(*) AS contacts
FROM insight_journey_gaps CROSS JOIN (VALUES ('d'), ('w'), ('m')) AS g(grain) WHERE tenant_id = $1
GROUP BY 1, 2, 3, 4, 5`

var rebuildJourneySQL = []string{
	`DELETE FROM insight_journey_daily WHERE tenant_id = $1`,
	`INSERT INTO insight_journey_daily (tenant_id, journey_id, entered_day, step, contacts, completed, stopped,
	    looping, loops)
	SELECT $1, * FROM (` + journeyDailySQL + `) x`,
	`DELETE FROM insight_journey_gaps WHERE tenant_id = $1`,
	`INSERT INTO insight_journey_gaps (tenant_id, journey_id, contact, step, entered_day, seconds, bucket)
	SELECT $1, * FROM (` + journeyGapsSQL + `) x`,
	`DELETE FROM insight_journey_gap_tiles WHERE tenant_id = $1`,
	`INSERT INTO insight_journey_gap_tiles (tenant_id, journey_id, grain, start, step, bucket, contacts)
	SELECT $1, * FROM (` + journeyGapTilesSQL + `) x`,
}

// journeyChecks compare the journey roll-ups with progress.
var journeyChecks = []struct{ table, sql string }{
	{"insight_journey_daily", `
WITH r AS (` + journeyDailySQL + `),
s AS (SELECT * FROM insight_journey_daily WHERE tenant_id = $1
    AND (contacts, completed, stopped, looping, loops) <> (0, 0, 0, 0, 0))
SELECT concat_ws('/', coalesce(s.journey_id, r.journey_id), coalesce(s.entered_day, r.entered_day),
        coalesce(s.step, r.step)),
    concat_ws(',', s.contacts, s.completed, s.stopped, s.looping, s.loops),
    concat_ws(',', r.contacts, r.completed, r.stopped, r.looping, r.loops)
FROM s FULL JOIN r USING (journey_id, entered_day, step)`},
	{"insight_journey_gaps", `
WITH r AS (` + journeyGapsSQL + `),
s AS (SELECT * FROM insight_journey_gaps WHERE tenant_id = $1)
SELECT concat_ws('/', coalesce(s.journey_id, r.journey_id), coalesce(s.contact, r.contact), coalesce(s.step, r.step)),
    concat_ws(',', s.entered_day, s.seconds, s.bucket), concat_ws(',', r.entered_day, r.seconds, r.bucket)
FROM s FULL JOIN r USING (journey_id, contact, step)`},
	{"insight_journey_gap_tiles", `
WITH r AS (` + journeyGapTilesSQL + `),
s AS (SELECT * FROM insight_journey_gap_tiles WHERE tenant_id = $1 AND contacts <> 0)
SELECT concat_ws('/', coalesce(s.journey_id, r.journey_id), coalesce(s.grain, r.grain), coalesce(s.start, r.start),
        coalesce(s.step, r.step), coalesce(s.bucket, r.bucket)),
    s.contacts::text, r.contacts::text
FROM s FULL JOIN r USING (journey_id, grain, start, step, bucket)`},
}
