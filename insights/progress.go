package insights

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// hitRow is one insight_journey_hits row: contact reached step of a
// journey at a time, because of source.
type hitRow struct {
	journeyID uuid.UUID
	source    string
	step      int16
	contact   string
	at        time.Time
}

type journeyContact struct {
	journeyID uuid.UUID
	contact   string
}

// outboundHits are the steps an annotated message matches once it has a
// recipient and a time.
func outboundHits(js []Journey, m *message) []hitRow {
	if m.at.IsZero() || m.contact == "" {
		return nil
	}
	var out []hitRow
	for i := range js {
		j := &js[i]
		steps := []int{j.stepFor(MatchTemplate, m.ann.TemplateName)}
		if m.ann.Journey == j.Key {
			steps = append(steps, j.stepFor(MatchAnnotation, m.ann.JourneyStep))
		}
		for _, st := range steps {
			if st > 0 {
				out = append(out, hitRow{j.ID, "out:" + m.wamid, int16(st), m.contact, m.at})
			}
		}
	}
	return out
}

// progress is a contact's walk through a journey. day and completed are
// set when the row is placed (placeProgress) or read back.
type progress struct {
	journeyContact
	entered   time.Time
	day       date
	completed bool
	furthest  int
	stepAt    []time.Time
	loops     int
	loopSteps []int
	lastStep  int
	lastAt    time.Time
}

// walk follows a contact's hits in time order. The contact enters at its
// first hit of step 1; it reaches the next step only by hitting exactly that
// step (a jump ahead is ignored); a hit on a step before its current one is
// a loop back to that step. ok is false when the contact never entered.
func walk(hits []hitRow) (progress, bool) {
	var p progress
	for _, h := range hits {
		s := int(h.step)
		if p.furthest == 0 {
			if s == 1 {
				p.entered, p.furthest, p.stepAt, p.lastStep, p.lastAt = h.at, 1, []time.Time{h.at}, 1, h.at
			}
			continue
		}
		switch {
		case s == p.furthest+1:
			p.furthest = s
			p.stepAt = append(p.stepAt, h.at)
		case s > p.furthest+1 || s == p.lastStep:
			continue
		case s < p.lastStep:
			p.loops++
			p.loopSteps = append(p.loopSteps, s)
		}
		p.lastStep, p.lastAt = s, h.at
	}
	return p, p.furthest > 0
}

func cmpHit(a, b hitRow) int {
	return cmp.Or(cmp.Compare(a.at.UnixNano(), b.at.UnixNano()), cmp.Compare(a.step, b.step), cmp.Compare(a.source, b.source))
}

// recomputeProgress rebuilds the progress of the given (journey, contact)
// pairs from their hits and moves the journey roll-ups: one read, one write.
func recomputeProgress(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, js []Journey, loc *time.Location,
	pairs []journeyContact) error {
	if len(pairs) == 0 {
		return nil
	}
	ids, contacts := make([]uuid.UUID, len(pairs)), make([]string, len(pairs))
	for i, p := range pairs {
		ids[i], contacts[i] = p.journeyID, p.contact
	}
	b := &pgx.Batch{}
	b.Queue(`SELECT h.journey_id, h.contact, h.step, h.at, h.source FROM unnest($2::uuid[], $3::text[]) AS p(journey_id, contact)
		CROSS JOIN LATERAL (SELECT * FROM insight_journey_hits h WHERE h.tenant_id = $1
		    AND h.journey_id = p.journey_id AND h.contact = p.contact OFFSET 0) h`, tenantID, ids, contacts)
	b.Queue(`SELECT x.journey_id, x.contact, x.entered_at, x.entered_day, x.completed, x.furthest, x.step_at, x.loops,
		    x.loop_steps, x.last_step, x.last_at
		FROM unnest($2::uuid[], $3::text[]) AS p(journey_id, contact)
		CROSS JOIN LATERAL (SELECT * FROM insight_journey_progress x WHERE x.tenant_id = $1
		    AND x.journey_id = p.journey_id AND x.contact = p.contact OFFSET 0) x`, tenantID, ids, contacts)
	br := tx.SendBatch(ctx, b)
	hits, old, err := readProgressInputs(br)
	if cerr := br.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("insights: read journey progress: %w", cerr)
	}
	if err != nil {
		return err
	}
	var out []progress
	var gone []journeyContact
	for _, k := range pairs {
		hs := hits[k]
		slices.SortFunc(hs, cmpHit)
		p, ok := walk(hs)
		if !ok {
			gone = append(gone, k)
			continue
		}
		p.journeyContact = k
		out = append(out, p)
	}
	return writeProgress(ctx, tx, tenantID, js, loc, out, gone, old)
}

func readProgressInputs(br pgx.BatchResults) (map[journeyContact][]hitRow, map[journeyContact]progress, error) {
	hits := map[journeyContact][]hitRow{}
	rows, _ := br.Query()
	for rows.Next() {
		var h hitRow
		if err := rows.Scan(&h.journeyID, &h.contact, &h.step, &h.at, &h.source); err != nil {
			rows.Close()
			return nil, nil, fmt.Errorf("insights: scan hit: %w", err)
		}
		h.at = h.at.UTC()
		k := journeyContact{h.journeyID, h.contact}
		hits[k] = append(hits[k], h)
	}
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("insights: read hits: %w", err)
	}
	old := map[journeyContact]progress{}
	rows, _ = br.Query()
	for rows.Next() {
		p, err := scanProgress(rows)
		if err != nil {
			rows.Close()
			return nil, nil, err
		}
		old[p.journeyContact] = p
	}
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("insights: read progress: %w", err)
	}
	return hits, old, nil
}

// scanProgress reads journey_id, contact, entered_at, entered_day, completed,
// furthest, step_at, loops, loop_steps, last_step, last_at.
func scanProgress(rows pgx.Rows) (progress, error) {
	var p progress
	var d time.Time
	var furthest, last int16
	var loops int32
	var loopSteps []int16
	if err := rows.Scan(&p.journeyID, &p.contact, &p.entered, &d, &p.completed, &furthest, &p.stepAt, &loops,
		&loopSteps, &last, &p.lastAt); err != nil {
		return p, fmt.Errorf("insights: scan progress: %w", err)
	}
	p.entered, p.day, p.furthest, p.loops, p.lastStep = p.entered.UTC(), dateOf(d), int(furthest), int(loops), int(last)
	for i := range p.stepAt {
		p.stepAt[i] = p.stepAt[i].UTC()
	}
	for _, s := range loopSteps {
		p.loopSteps = append(p.loopSteps, int(s))
	}
	return p, nil
}

// journeyDeltas are the journey roll-up changes of one write.
type journeyDeltas struct {
	daily counter[journeyDayKey]     // contacts, completed, stopped, looping, loops
	tiles counter[journeyGapTileKey] // contacts
}

type journeyDayKey struct {
	journeyID uuid.UUID
	day       date
	step      int16
}

type journeyGapTileKey struct {
	journeyID uuid.UUID
	grain     byte
	start     date
	step      int16
	bucket    int32
}

// gap is the whole seconds from first reaching step s (1-based) to first
// reaching step s+1.
func (p *progress) gap(s int) int32 {
	return int32(p.stepAt[s].Sub(p.stepAt[s-1]) / time.Second)
}

// contribute adds the row's share of the journey roll-ups, times sign.
func (p *progress) contribute(d *journeyDeltas, sign int64) {
	id := p.journeyID
	d.daily.add(journeyDayKey{id, p.day, 0}, sign, 1, b2i(p.completed), 0, b2i(p.loops > 0), int64(p.loops))
	for s := 1; s <= p.furthest; s++ {
		d.daily.add(journeyDayKey{id, p.day, int16(s)}, sign, 1, 0, 0, 0, 0)
	}
	if !p.completed {
		d.daily.add(journeyDayKey{id, p.day, int16(p.lastStep)}, sign, 0, 0, 1, 0, 0)
	}
	for _, ls := range p.loopSteps {
		d.daily.add(journeyDayKey{id, p.day, int16(ls)}, sign, 0, 0, 0, 0, 1)
	}
	for s := 1; s < p.furthest; s++ {
		for _, g := range grains {
			d.tiles.add(journeyGapTileKey{id, g, periodStart(g, p.day), int16(s), bucketOf(p.gap(s))}, sign, 1)
		}
	}
}

// writeProgress stores new progress rows (old holds the stored rows of the
// same pairs, if any), removes those of gone, and moves the roll-ups.
func writeProgress(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, js []Journey, loc *time.Location,
	rows []progress, gone []journeyContact, old map[journeyContact]progress) error {
	steps := map[uuid.UUID]int{}
	for _, j := range js {
		steps[j.ID] = len(j.Steps)
	}
	d := &journeyDeltas{daily: counter[journeyDayKey]{}, tiles: counter[journeyGapTileKey]{}}
	for _, p := range old {
		p.contribute(d, -1)
	}
	for i := range rows {
		p := &rows[i]
		p.day, _ = dayHour(p.entered, loc)
		p.completed = p.furthest == steps[p.journeyID]
		if o, ok := old[p.journeyContact]; ok && o.day != p.day && o.entered.Equal(p.entered) {
			p.day = o.day // a row keeps the day it was placed on, like messages do
		}
		p.contribute(d, 1)
	}
	touched := append(slices.Clone(gone), make([]journeyContact, 0, len(rows))...)
	for _, p := range rows {
		touched = append(touched, p.journeyContact)
	}
	b := &pgx.Batch{}
	if len(gone) > 0 {
		ids, contacts := pairArrays(gone)
		b.Queue(`DELETE FROM insight_journey_progress p USING unnest($2::uuid[], $3::text[]) AS g(journey_id, contact)
			WHERE p.tenant_id = $1 AND p.journey_id = g.journey_id AND p.contact = g.contact`, tenantID, ids, contacts)
	}
	if len(old) > 0 {
		ids, contacts := pairArrays(touched)
		b.Queue(`DELETE FROM insight_journey_gaps x USING unnest($2::uuid[], $3::text[]) AS g(journey_id, contact)
			WHERE x.tenant_id = $1 AND x.journey_id = g.journey_id AND x.contact = g.contact`, tenantID, ids, contacts)
	}
	for start := 0; start < len(rows); start += 5000 {
		part := rows[start:min(start+5000, len(rows))]
		queueProgress(b, tenantID, part)
		queueGaps(b, tenantID, part)
	}
	queueJourneyDeltas(b, tenantID, d)
	if b.Len() == 0 {
		return nil
	}
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("insights: write journey progress: %w", err)
	}
	return nil
}

func pairArrays(ps []journeyContact) ([]uuid.UUID, []string) {
	ids, contacts := make([]uuid.UUID, len(ps)), make([]string, len(ps))
	for i, p := range ps {
		ids[i], contacts[i] = p.journeyID, p.contact
	}
	return ids, contacts
}

func queueProgress(b *pgx.Batch, tenantID uuid.UUID, rows []progress) {
	slices.SortFunc(rows, func(a, b progress) int {
		return cmp.Or(cmp.Compare(a.journeyID.String(), b.journeyID.String()), cmp.Compare(a.contact, b.contact))
	})
	n := len(rows)
	ids, contacts, entered, enteredDay := make([]uuid.UUID, n), make([]string, n), make([]time.Time, n), make([]time.Time, n)
	furthest, completed, stepAt := make([]int16, n), make([]bool, n), make([]string, n)
	loops, loopSteps, lastStep, lastAt := make([]int32, n), make([]string, n), make([]int16, n), make([]time.Time, n)
	for i, p := range rows {
		ids[i], contacts[i], entered[i], enteredDay[i] = p.journeyID, p.contact, p.entered, p.day.time()
		furthest[i], completed[i] = int16(p.furthest), p.completed
		stepAt[i], loops[i], loopSteps[i] = timeArray(p.stepAt), int32(p.loops), intArray(p.loopSteps)
		lastStep[i], lastAt[i] = int16(p.lastStep), p.lastAt
	}
	b.Queue(`
		INSERT INTO insight_journey_progress (tenant_id, journey_id, contact, entered_at, entered_day, furthest,
		    completed, step_at, loops, loop_steps, last_step, last_at)
		SELECT $1, u.journey_id, u.contact, u.entered_at, u.entered_day, u.furthest, u.completed,
		    u.step_at::timestamptz[], u.loops, u.loop_steps::smallint[], u.last_step, u.last_at
		FROM unnest($2::uuid[], $3::text[], $4::timestamptz[], $5::date[], $6::int2[], $7::bool[], $8::text[],
		    $9::int[], $10::text[], $11::int2[], $12::timestamptz[])
		    AS u(journey_id, contact, entered_at, entered_day, furthest, completed, step_at, loops, loop_steps,
		         last_step, last_at)
		ON CONFLICT (tenant_id, journey_id, contact) DO UPDATE SET
		    entered_at = excluded.entered_at, entered_day = excluded.entered_day, furthest = excluded.furthest,
		    completed = excluded.completed, step_at = excluded.step_at, loops = excluded.loops,
		    loop_steps = excluded.loop_steps, last_step = excluded.last_step, last_at = excluded.last_at`,
		tenantID, ids, contacts, entered, enteredDay, furthest, completed, stepAt, loops, loopSteps, lastStep, lastAt)
}

func queueGaps(b *pgx.Batch, tenantID uuid.UUID, rows []progress) {
	var ids []uuid.UUID
	var contacts []string
	var steps []int16
	var days []time.Time
	var secs, buckets []int32
	for i := range rows {
		p := &rows[i]
		for s := 1; s < p.furthest; s++ {
			g := p.gap(s)
			ids, contacts, steps = append(ids, p.journeyID), append(contacts, p.contact), append(steps, int16(s))
			days, secs, buckets = append(days, p.day.time()), append(secs, g), append(buckets, bucketOf(g))
		}
	}
	if len(ids) == 0 {
		return
	}
	b.Queue(`INSERT INTO insight_journey_gaps (tenant_id, journey_id, contact, step, entered_day, seconds, bucket)
		SELECT $1, u.* FROM unnest($2::uuid[], $3::text[], $4::int2[], $5::date[], $6::int[], $7::int[]) AS u
		ON CONFLICT (tenant_id, journey_id, contact, step) DO UPDATE SET entered_day = excluded.entered_day,
		    seconds = excluded.seconds, bucket = excluded.bucket`, tenantID, ids, contacts, steps, days, secs, buckets)
}

func queueJourneyDeltas(b *pgx.Batch, tenantID uuid.UUID, d *journeyDeltas) {
	if keys := d.daily.sorted(func(a, b journeyDayKey) int {
		return cmp.Or(cmp.Compare(a.journeyID.String(), b.journeyID.String()), cmp.Compare(a.day, b.day), cmp.Compare(a.step, b.step))
	}); len(keys) > 0 {
		n := len(keys)
		ids, days, steps := make([]uuid.UUID, n), make([]time.Time, n), make([]int16, n)
		var c [5][]int64
		for k := range c {
			c[k] = make([]int64, n)
		}
		for i, k := range keys {
			ids[i], days[i], steps[i] = k.journeyID, k.day.time(), k.step
			for j, v := range d.daily[k] {
				c[j][i] = v
			}
		}
		b.Queue(`INSERT INTO insight_journey_daily AS x (tenant_id, journey_id, entered_day, step, contacts, completed,
		    stopped, looping, loops)
			SELECT $1, u.* FROM unnest($2::uuid[], $3::date[], $4::int2[], $5::int8[], $6::int8[], $7::int8[],
			    $8::int8[], $9::int8[]) AS u
			ON CONFLICT (tenant_id, journey_id, entered_day, step) DO UPDATE SET
			    contacts = x.contacts + excluded.contacts, completed = x.completed + excluded.completed,
			    stopped = x.stopped + excluded.stopped, looping = x.looping + excluded.looping,
			    loops = x.loops + excluded.loops`, tenantID, ids, days, steps, c[0], c[1], c[2], c[3], c[4])
	}
	keys := d.tiles.sorted(func(a, b journeyGapTileKey) int {
		return cmp.Or(cmp.Compare(a.journeyID.String(), b.journeyID.String()), cmp.Compare(a.grain, b.grain),
			cmp.Compare(a.start, b.start), cmp.Compare(a.step, b.step), cmp.Compare(a.bucket, b.bucket))
	})
	if len(keys) == 0 {
		return
	}
	n := len(keys)
	ids, grainsArg, starts, steps := make([]uuid.UUID, n), make([]string, n), make([]time.Time, n), make([]int16, n)
	buckets, counts := make([]int32, n), make([]int64, n)
	for i, k := range keys {
		ids[i], grainsArg[i], starts[i], steps[i] = k.journeyID, string(k.grain), k.start.time(), k.step
		buckets[i], counts[i] = k.bucket, d.tiles[k][0]
	}
	b.Queue(`INSERT INTO insight_journey_gap_tiles AS x (tenant_id, journey_id, grain, start, step, bucket, contacts)
		SELECT $1, u.* FROM unnest($2::uuid[], $3::text[], $4::date[], $5::int2[], $6::int[], $7::int8[]) AS u
		ON CONFLICT (tenant_id, journey_id, grain, start, step, bucket) DO UPDATE SET
		    contacts = x.contacts + excluded.contacts`, tenantID, ids, grainsArg, starts, steps, buckets, counts)
}

// timeArray and intArray spell Postgres array literals, which unnest can
// carry where a two-dimensional array parameter could not (rows differ in
// length).
func timeArray(ts []time.Time) string {
	parts := make([]string, len(ts))
	for i, t := range ts {
		parts[i] = `"` + t.UTC().Format(time.RFC3339Nano) + `"`
	}
	return "{" + strings.Join(parts, ",") + "}"
}

func intArray(xs []int) string {
	parts := make([]string, len(xs))
	for i, x := range xs {
		parts[i] = strconv.Itoa(x)
	}
	return "{" + strings.Join(parts, ",") + "}"
}

// backfillJourney matches a new journey against every stored annotated
// message, button press and reported event, then computes each contact's
// progress.
func backfillJourney(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, j Journey) error {
	for i, st := range j.Steps {
		var q string
		args := []any{tenantID, j.ID, i + 1, st.Value}
		switch st.Match {
		case MatchAnnotation:
			q = `SELECT 'out:' || wamid, contact, at FROM insight_messages
				WHERE tenant_id = $1 AND journey = $5 AND journey_step = $4 AND at IS NOT NULL AND contact <> ''`
			args = append(args, j.Key)
		case MatchTemplate:
			q = `SELECT 'out:' || wamid, contact, at FROM insight_messages
				WHERE tenant_id = $1 AND template_name = $4 AND at IS NOT NULL AND contact <> ''`
		case MatchButton:
			q = `SELECT 'in:' || wamid, contact, at FROM insight_inbound WHERE tenant_id = $1 AND button_payload = $4`
		case MatchEvent:
			q = `SELECT 'ev:' || id, contact, at FROM insight_events WHERE tenant_id = $1 AND name = $4`
		}
		if _, err := tx.Exec(ctx, `INSERT INTO insight_journey_hits (tenant_id, journey_id, source, step, contact, at)
			SELECT $1, $2, s.source, $3, s.contact, s.at FROM (`+q+`) AS s(source, contact, at)
			ON CONFLICT DO NOTHING`, args...); err != nil {
			return fmt.Errorf("insights: backfill journey hits: %w", err)
		}
	}
	var zone string
	if err := tx.QueryRow(ctx, `SELECT time_zone FROM tenants WHERE id = $1`, tenantID).Scan(&zone); err != nil {
		return fmt.Errorf("insights: read tenant zone: %w", err)
	}
	loc, err := time.LoadLocation(zone)
	if err != nil {
		loc = time.UTC
	}
	rows, _ := tx.Query(ctx, `SELECT contact, step, at, source FROM insight_journey_hits
		WHERE tenant_id = $1 AND journey_id = $2 ORDER BY contact`, tenantID, j.ID)
	var out []progress
	var cur []hitRow
	flush := func() {
		slices.SortFunc(cur, cmpHit)
		if p, ok := walk(cur); ok {
			p.journeyContact = journeyContact{j.ID, cur[0].contact}
			out = append(out, p)
		}
		cur = cur[:0]
	}
	for rows.Next() {
		h := hitRow{journeyID: j.ID}
		if err := rows.Scan(&h.contact, &h.step, &h.at, &h.source); err != nil {
			rows.Close()
			return fmt.Errorf("insights: scan hit: %w", err)
		}
		h.at = h.at.UTC()
		if len(cur) > 0 && cur[0].contact != h.contact {
			flush()
		}
		cur = append(cur, h)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("insights: read hits: %w", err)
	}
	if len(cur) > 0 {
		flush()
	}
	return writeProgress(ctx, tx, tenantID, []Journey{j}, loc, out, nil, nil)
}
