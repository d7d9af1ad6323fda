package insights

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/wabsp/wabsp/internal/pg"
)

// write stores the fold: rows and roll-up deltas in one round trip with the
// reads the turn rebuild needs, then turns and journey progress.
func (u *unit) write(ctx context.Context, tx pgx.Tx) error {
	u.contactDeltas()
	b := &pgx.Batch{}
	u.queueMessages(b)
	u.queueInbound(b)
	u.queueEvents(b)
	u.queueContacts(b)
	u.queueDeltas(b)
	u.queueExposures(b)
	hitsQueued := u.queueHits(b)
	threads := u.threadList()
	if len(threads) > 0 {
		queueThreadLoads(b, u.tenantID, threads)
	}
	br := tx.SendBatch(ctx, b)
	pairs, loads, err := u.readWrites(br, hitsQueued, threads)
	if cerr := br.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("insights: write: %w", cerr)
	}
	if err != nil {
		return err
	}
	if len(loads) > 0 {
		if err := u.writeTurns(ctx, tx, loads); err != nil {
			return err
		}
	}
	return recomputeProgress(ctx, tx, u.tenantID, u.journeys, u.loc, pairs)
}

// readWrites skips the results of the writes and collects the journey
// pairs whose hits changed and the thread loads.
func (u *unit) readWrites(br pgx.BatchResults, hitsQueued int, threads []threadStart) ([]journeyContact, []threadLoad, error) {
	for range u.queuedWrites {
		if _, err := br.Exec(); err != nil {
			return nil, nil, fmt.Errorf("insights: write rows: %w", err)
		}
	}
	seen := map[journeyContact]bool{}
	var pairs []journeyContact
	for range hitsQueued {
		rows, _ := br.Query()
		for rows.Next() {
			var k journeyContact
			if err := rows.Scan(&k.journeyID, &k.contact); err != nil {
				rows.Close()
				return nil, nil, fmt.Errorf("insights: scan hit change: %w", err)
			}
			if !seen[k] {
				seen[k] = true
				pairs = append(pairs, k)
			}
		}
		if err := rows.Err(); err != nil {
			return nil, nil, fmt.Errorf("insights: write hits: %w", err)
		}
	}
	if len(threads) == 0 {
		return pairs, nil, nil
	}
	loads, err := readThreadLoads(br, threads)
	return pairs, loads, err
}

// upsertMessagesSQL pins each message's month in insight_message_keys on its
// first write and upserts the row in that month, in one statement. A key
// already stored (the statement's snapshot sees it) wins over the month
// proposed here; the tenant's insights lock keeps any other writer from
// adding one meanwhile, so every row gets exactly one of the two.
const upsertMessagesSQL = `
WITH u AS MATERIALIZED (
    SELECT * FROM unnest($2::text[], $3::text[], $4::text[], $5::timestamptz[], $6::timestamptz[],
        $7::date[], $8::int2[], $9::timestamptz[], $10::timestamptz[], $11::timestamptz[], $12::timestamptz[],
        $13::int[], $14::text[], $15::timestamptz[], $16::text[], $17::timestamptz[], $18::text[], $19::text[],
        $20::text[], $21::bool[], $22::text[], $23::text[], $24::text[], $25::text[], $26::text[], $27::date[])
    AS u(wamid, phone_number_id, contact, at, resp_at, day, hour, sent_at, delivered_at, read_at, failed_at,
        error_code, error_title, replied_at, reply_wamid, annotated_at, template_name, template_language, agent,
        automated, campaign, journey, journey_step, experiment, variant, month)
), fresh AS (
    INSERT INTO insight_message_keys (tenant_id, wamid, month)
    SELECT $1::uuid, wamid, month FROM u
    ON CONFLICT (tenant_id, wamid) DO NOTHING
    RETURNING wamid, month
), pinned AS (
    SELECT wamid, month FROM fresh
    UNION ALL
    SELECT k.wamid, k.month FROM u JOIN insight_message_keys k ON k.tenant_id = $1 AND k.wamid = u.wamid
)
INSERT INTO insight_messages (tenant_id, wamid, phone_number_id, contact, at, resp_at, day, hour, sent_at,
    delivered_at, read_at, failed_at, error_code, error_title, replied_at, reply_wamid, annotated_at,
    template_name, template_language, agent, automated, campaign, journey, journey_step, experiment, variant, month)
SELECT $1, u.wamid, u.phone_number_id, u.contact, u.at, u.resp_at, u.day, u.hour, u.sent_at, u.delivered_at,
    u.read_at, u.failed_at, u.error_code, u.error_title, u.replied_at, u.reply_wamid, u.annotated_at,
    u.template_name, u.template_language, u.agent, u.automated, u.campaign, u.journey, u.journey_step,
    u.experiment, u.variant, p.month
FROM u JOIN pinned p USING (wamid)
ON CONFLICT (tenant_id, wamid, month) DO UPDATE SET
    phone_number_id = excluded.phone_number_id, contact = excluded.contact, at = excluded.at,
    resp_at = excluded.resp_at, day = excluded.day, hour = excluded.hour, sent_at = excluded.sent_at,
    delivered_at = excluded.delivered_at, read_at = excluded.read_at, failed_at = excluded.failed_at,
    error_code = excluded.error_code, error_title = excluded.error_title, replied_at = excluded.replied_at,
    reply_wamid = excluded.reply_wamid, annotated_at = excluded.annotated_at,
    template_name = excluded.template_name, template_language = excluded.template_language,
    agent = excluded.agent, automated = excluded.automated, campaign = excluded.campaign,
    journey = excluded.journey, journey_step = excluded.journey_step, experiment = excluded.experiment,
    variant = excluded.variant`

// firstMonth is the month a message not stored yet is pinned to: that of
// its first status, else of its annotation, else of now.
func (m *message) firstMonth(now time.Time) time.Time {
	return pg.MonthStart(cmp.Or(m.at, m.annotatedAt, now))
}

func (u *unit) queueMessages(b *pgx.Batch) {
	var rows []*message
	for w, m := range u.msgs {
		if prev, ok := u.old[w]; !ok || *m != prev {
			rows = append(rows, m)
		}
	}
	if len(rows) == 0 {
		return
	}
	slices.SortFunc(rows, func(a, b *message) int { return cmp.Compare(a.wamid, b.wamid) })
	n := len(rows)
	wamids, phones, contacts := make([]string, n), make([]string, n), make([]string, n)
	var ts [8][]pgtype.Timestamptz // at, resp, sent, delivered, read, failed, replied, annotated
	for k := range ts {
		ts[k] = make([]pgtype.Timestamptz, n)
	}
	days, hours := make([]pgtype.Date, n), make([]pgtype.Int2, n)
	codes, titles, replyW := make([]pgtype.Int4, n), make([]string, n), make([]pgtype.Text, n)
	var ann [8][]string
	for k := range ann {
		ann[k] = make([]string, n)
	}
	automated, months := make([]bool, n), make([]time.Time, n)
	for i, m := range rows {
		months[i] = m.firstMonth(u.now)
		wamids[i], phones[i], contacts[i] = m.wamid, m.phone, m.contact
		for k, t := range []time.Time{m.at, m.respAt, m.sent, m.delivered, m.read, m.failed, m.replied, m.annotatedAt} {
			ts[k][i] = pgTime(t)
		}
		if !m.at.IsZero() {
			days[i] = pgtype.Date{Time: m.day.time(), Valid: true}
			hours[i] = pgtype.Int2{Int16: m.hour, Valid: true}
		}
		codes[i] = pgtype.Int4{Int32: m.errCode, Valid: m.errCode != 0}
		titles[i], replyW[i] = m.errTitle, pgtype.Text{String: m.replyWamid, Valid: m.replyWamid != ""}
		a := m.ann
		for k, v := range []string{a.TemplateName, a.TemplateLanguage, a.Agent, a.Campaign, a.Journey,
			a.JourneyStep, a.Experiment, a.Variant} {
			ann[k][i] = v
		}
		automated[i] = a.Automated
	}
	b.Queue(upsertMessagesSQL, u.tenantID, wamids, phones, contacts, ts[0], ts[1], days, hours, ts[2], ts[3],
		ts[4], ts[5], codes, titles, ts[6], replyW, ts[7], ann[0], ann[1], ann[2], automated, ann[3], ann[4],
		ann[5], ann[6], ann[7], months)
	u.queuedWrites++
}

func (u *unit) queueInbound(b *pgx.Batch) {
	if len(u.inbound) == 0 {
		return
	}
	rows := u.inbound
	slices.SortFunc(rows, func(a, b inboundRow) int { return cmp.Compare(a.wamid, b.wamid) })
	n := len(rows)
	wamids, phones, contacts, ctxs, payloads := make([]string, n), make([]string, n), make([]string, n),
		make([]pgtype.Text, n), make([]pgtype.Text, n)
	ats, days, hours := make([]time.Time, n), make([]time.Time, n), make([]int16, n)
	for i, r := range rows {
		wamids[i], phones[i], contacts[i], ats[i], days[i], hours[i] = r.wamid, r.phone, r.contact, r.at, r.day.time(), r.hour
		ctxs[i] = pgtype.Text{String: r.contextID, Valid: r.contextID != ""}
		payloads[i] = pgtype.Text{String: r.payload, Valid: r.payload != ""}
	}
	b.Queue(`INSERT INTO insight_inbound (tenant_id, wamid, phone_number_id, contact, at, day, hour, context_id,
		    button_payload)
		SELECT $1, u.* FROM unnest($2::text[], $3::text[], $4::text[], $5::timestamptz[], $6::date[], $7::int2[],
		    $8::text[], $9::text[]) AS u
		ON CONFLICT DO NOTHING`, u.tenantID, wamids, phones, contacts, ats, days, hours, ctxs, payloads)
	u.queuedWrites++
}

// queueContacts writes first-inbound changes and the periods contacts were
// active in; a period row that is new counts the contact active there.
func (u *unit) queueContacts(b *pgx.Batch) {
	if len(u.firstChange) > 0 {
		var contacts []string
		for c := range u.firstChange {
			contacts = append(contacts, c)
		}
		slices.Sort(contacts)
		ats, days := make([]time.Time, len(contacts)), make([]time.Time, len(contacts))
		for i, c := range contacts {
			f := u.firstChange[c][1]
			ats[i], days[i] = f.at, f.day.time()
		}
		b.Queue(`INSERT INTO insight_contacts (tenant_id, contact, first_inbound_at, first_day)
			SELECT $1, u.* FROM unnest($2::text[], $3::timestamptz[], $4::date[]) AS u
			ON CONFLICT (tenant_id, contact) DO UPDATE SET
			    first_inbound_at = excluded.first_inbound_at, first_day = excluded.first_day`,
			u.tenantID, contacts, ats, days)
		u.queuedWrites++
	}
	if len(u.periods) == 0 {
		return
	}
	rows := u.periods
	slices.SortFunc(rows, func(a, b periodRow) int {
		return cmp.Or(cmp.Compare(a.grain, b.grain), cmp.Compare(a.period, b.period), cmp.Compare(a.contact, b.contact))
	})
	rows = slices.Compact(rows)
	n := len(rows)
	gs, ps, cs := make([]string, n), make([]time.Time, n), make([]string, n)
	for i, r := range rows {
		gs[i], ps[i], cs[i] = string(r.grain), r.period.time(), r.contact
	}
	b.Queue(`
		WITH ins AS (
		    INSERT INTO insight_contact_periods (tenant_id, grain, period, contact)
		    SELECT $1, u.* FROM unnest($2::text[], $3::date[], $4::text[]) AS u
		    ON CONFLICT DO NOTHING
		    RETURNING grain, period)
		INSERT INTO insight_contact_counts AS c (tenant_id, grain, period, active)
		SELECT $1, grain, period, count(*) FROM ins GROUP BY grain, period ORDER BY grain, period
		ON CONFLICT (tenant_id, grain, period) DO UPDATE SET active = c.active + excluded.active`,
		u.tenantID, gs, ps, cs)
	u.queuedWrites++
}

// queueExposures recomputes the exposures of the (experiment, contact)
// pairs whose messages changed, from the messages as just written, and moves
// the daily exposure counts: the old CTE reads the exposures as they were
// before this statement.
func (u *unit) queueExposures(b *pgx.Batch) {
	if len(u.exposures) == 0 {
		return
	}
	var exps, contacts []string
	keys := make([][2]string, 0, len(u.exposures))
	for k := range u.exposures {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b [2]string) int { return cmp.Or(cmp.Compare(a[0], b[0]), cmp.Compare(a[1], b[1])) })
	for _, k := range keys {
		exps, contacts = append(exps, k[0]), append(contacts, k[1])
	}
	b.Queue(`
		WITH p AS (SELECT * FROM unnest($2::text[], $3::text[]) AS p(experiment, contact)),
		old AS (
		    SELECT e.experiment, e.contact, e.variant, e.first_day FROM p
		    CROSS JOIN LATERAL (SELECT * FROM insight_exposures e WHERE e.tenant_id = $1
		        AND e.experiment = p.experiment AND e.contact = p.contact OFFSET 0) e),
		new AS (
		    SELECT DISTINCT ON (m.experiment, m.contact) m.experiment, m.contact, m.variant, m.at,
		        (m.at AT TIME ZONE $4)::date AS day
		    FROM p CROSS JOIN LATERAL (SELECT * FROM insight_messages m WHERE m.tenant_id = $1
		        AND m.experiment = p.experiment AND m.contact = p.contact AND m.at IS NOT NULL OFFSET 0) m
		    ORDER BY m.experiment, m.contact, m.at, m.wamid),
		gone AS (
		    DELETE FROM insight_exposures e USING old
		    WHERE e.tenant_id = $1 AND e.experiment = old.experiment AND e.contact = old.contact
		      AND NOT EXISTS (SELECT 1 FROM new WHERE new.experiment = old.experiment AND new.contact = old.contact)),
		kept AS (
		    INSERT INTO insight_exposures (tenant_id, experiment, contact, variant, first_at, first_day)
		    SELECT $1, experiment, contact, variant, at, day FROM new
		    ON CONFLICT (tenant_id, experiment, contact) DO UPDATE SET variant = excluded.variant,
		        first_at = excluded.first_at, first_day = excluded.first_day),
		d AS (
		    SELECT experiment, variant, first_day AS day, -1 AS n FROM old
		    UNION ALL SELECT experiment, variant, day, 1 FROM new)
		INSERT INTO insight_exposure_daily AS x (tenant_id, experiment, variant, day, contacts)
		SELECT $1, experiment, variant, day, sum(n) FROM d GROUP BY experiment, variant, day HAVING sum(n) <> 0
		ORDER BY experiment, variant, day
		ON CONFLICT (tenant_id, experiment, variant, day) DO UPDATE SET contacts = x.contacts + excluded.contacts`,
		u.tenantID, exps, contacts, u.loc.String())
	u.queuedWrites++
}

// queueHits replaces the hits of changed outbound sources and adds new
// ones. Each queued statement returns the (journey, contact) pairs it
// touched.
func (u *unit) queueHits(b *pgx.Batch) int {
	n := 0
	if len(u.hitSources) > 0 {
		slices.Sort(u.hitSources)
		b.Queue(`DELETE FROM insight_journey_hits WHERE tenant_id = $1 AND source = ANY($2::text[])
			RETURNING journey_id, contact`, u.tenantID, u.hitSources)
		n++
	}
	if len(u.hits) == 0 {
		return n
	}
	rows := u.hits
	slices.SortFunc(rows, func(a, b hitRow) int {
		return cmp.Or(cmp.Compare(a.journeyID.String(), b.journeyID.String()), cmp.Compare(a.source, b.source),
			cmp.Compare(a.step, b.step))
	})
	m := len(rows)
	ids, sources, steps, contacts, ats := make([]uuid.UUID, m), make([]string, m), make([]int16, m), make([]string, m), make([]time.Time, m)
	for i, h := range rows {
		ids[i], sources[i], steps[i], contacts[i], ats[i] = h.journeyID, h.source, h.step, h.contact, h.at
	}
	b.Queue(`INSERT INTO insight_journey_hits (tenant_id, journey_id, source, step, contact, at)
		SELECT $1, u.* FROM unnest($2::uuid[], $3::text[], $4::int2[], $5::text[], $6::timestamptz[]) AS u
		ON CONFLICT (tenant_id, journey_id, source, step) DO UPDATE SET contact = excluded.contact, at = excluded.at
		RETURNING journey_id, contact`, u.tenantID, ids, sources, steps, contacts, ats)
	return n + 1
}
