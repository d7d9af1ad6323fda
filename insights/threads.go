package insights

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
)

// conversationGap is how long a contact must have been silent for its next
// message to open a new conversation: the customer service window closed.
const conversationGap = 24 * time.Hour

// turn is one insight_turns row.
type turn struct {
	phone, contact string
	started        time.Time
	inWamid        string
	day            date
	first          bool
	responded      time.Time
	respWamid      string
	seconds        int32
	business       pgtype.Int4
	agent          string
	automated      bool
}

// threadStart is a thread whose turns are rebuilt from a time on.
type threadStart struct {
	threadKey
	from time.Time
}

// threadLoad is what a rebuild reads: the last turn that started before
// from, the latest inbound time before from, the turns from then on, and
// every inbound and business message from then on.
type threadLoad struct {
	threadStart
	prev     *turn
	lastIn   time.Time
	turns    []turn
	inbound  []threadEvent
	outbound []threadEvent
}

// threadEvent is an inbound message or a business message of a thread.
type threadEvent struct {
	at        time.Time
	wamid     string
	inbound   bool
	agent     string
	automated bool
}

func (u *unit) threadList() []threadStart {
	out := make([]threadStart, 0, len(u.threads))
	for k, t := range u.threads {
		out = append(out, threadStart{k, t})
	}
	slices.SortFunc(out, func(a, b threadStart) int {
		return cmp.Or(cmp.Compare(a.phone, b.phone), cmp.Compare(a.contact, b.contact))
	})
	return out
}

const turnCols = `x.started_at, x.inbound_wamid, x.day, x.first, x.responded_at, coalesce(x.response_wamid, ''),
    coalesce(x.seconds, 0), x.business_seconds, x.agent, x.automated`

const threadsFrom = ` FROM unnest($2::text[], $3::text[], $4::timestamptz[]) WITH ORDINALITY AS u(phone, contact, t, i) `

func queueThreadLoads(b *pgx.Batch, tenantID uuid.UUID, ts []threadStart) {
	n := len(ts)
	phones, contacts, froms := make([]string, n), make([]string, n), make([]time.Time, n)
	for i, t := range ts {
		phones[i], contacts[i], froms[i] = t.phone, t.contact, t.from
	}
	args := []any{tenantID, phones, contacts, froms}
	b.Queue(`SELECT u.i, `+turnCols+threadsFrom+`CROSS JOIN LATERAL (
		SELECT * FROM insight_turns x WHERE x.tenant_id = $1 AND x.phone_number_id = u.phone
		    AND x.contact = u.contact AND x.started_at < u.t ORDER BY x.started_at DESC LIMIT 1) x`, args...)
	b.Queue(`SELECT u.i, `+turnCols+threadsFrom+`JOIN insight_turns x ON x.tenant_id = $1
		AND x.phone_number_id = u.phone AND x.contact = u.contact AND x.started_at >= u.t`, args...)
	b.Queue(`SELECT u.i, x.at`+threadsFrom+`CROSS JOIN LATERAL (
		SELECT at FROM insight_inbound x WHERE x.tenant_id = $1 AND x.phone_number_id = u.phone
		    AND x.contact = u.contact AND x.at < u.t ORDER BY x.at DESC LIMIT 1) x`, args...)
	b.Queue(`SELECT u.i, x.at, x.wamid, true, '', false`+threadsFrom+`JOIN insight_inbound x ON x.tenant_id = $1
		AND x.phone_number_id = u.phone AND x.contact = u.contact AND x.at >= u.t`, args...)
	b.Queue(`SELECT u.i, x.resp_at, x.wamid, false, x.agent, x.automated`+threadsFrom+`JOIN insight_messages x
		ON x.tenant_id = $1 AND x.phone_number_id = u.phone AND x.contact = u.contact
		AND x.resp_at >= u.t`, args...)
}

func readThreadLoads(br pgx.BatchResults, ts []threadStart) ([]threadLoad, error) {
	loads := make([]threadLoad, len(ts))
	for i, t := range ts {
		loads[i].threadStart = t
	}
	err := scanTurns(br, ts, func(i int, t turn) { loads[i].prev = &t })
	if err == nil {
		err = scanTurns(br, ts, func(i int, t turn) { loads[i].turns = append(loads[i].turns, t) })
	}
	if err != nil {
		return nil, err
	}
	rows, _ := br.Query()
	for rows.Next() {
		var i int
		var at time.Time
		if err := rows.Scan(&i, &at); err != nil {
			rows.Close()
			return nil, fmt.Errorf("insights: scan last inbound: %w", err)
		}
		loads[i-1].lastIn = at.UTC()
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("insights: read last inbound: %w", err)
	}
	for range 2 {
		rows, _ := br.Query()
		for rows.Next() {
			var i int
			var e threadEvent
			if err := rows.Scan(&i, &e.at, &e.wamid, &e.inbound, &e.agent, &e.automated); err != nil {
				rows.Close()
				return nil, fmt.Errorf("insights: scan thread event: %w", err)
			}
			e.at = e.at.UTC()
			l := &loads[i-1]
			if e.inbound {
				l.inbound = append(l.inbound, e)
			} else {
				l.outbound = append(l.outbound, e)
			}
		}
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("insights: read thread events: %w", err)
		}
	}
	return loads, nil
}

func scanTurns(br pgx.BatchResults, ts []threadStart, add func(int, turn)) error {
	rows, _ := br.Query()
	defer rows.Close()
	for rows.Next() {
		var i int
		var responded pgtype.Timestamptz
		var d time.Time
		var t turn
		if err := rows.Scan(&i, &t.started, &t.inWamid, &d, &t.first, &responded, &t.respWamid, &t.seconds,
			&t.business, &t.agent, &t.automated); err != nil {
			return fmt.Errorf("insights: scan turn: %w", err)
		}
		t.phone, t.contact = ts[i-1].phone, ts[i-1].contact
		t.started, t.day, t.responded = t.started.UTC(), dateOf(d), tz(responded)
		add(i-1, t)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("insights: read turns: %w", err)
	}
	return nil
}

// rebuild replays a thread from l.from: the turn open at that moment (if
// any) is reopened, then inbound messages open turns and the business's next
// message answers them. A customer message after 24 hours of silence opens a
// new conversation, leaving an earlier unanswered turn unanswered. At equal
// times the inbound message goes first, so a reply sent within the same
// second counts as an answer.
func (l *threadLoad) rebuild(loc *time.Location, hours BusinessHours) []turn {
	events := append(slices.Clone(l.inbound), l.outbound...)
	slices.SortFunc(events, func(a, b threadEvent) int {
		return cmp.Or(a.at.Compare(b.at), -cmp.Compare(b2i(a.inbound), b2i(b.inbound)), cmp.Compare(a.wamid, b.wamid))
	})
	var out []turn
	var open *turn
	if p := l.prev; p != nil && (p.responded.IsZero() || !p.responded.Before(l.from)) {
		t := *p
		t.responded, t.respWamid, t.seconds, t.business, t.agent, t.automated = time.Time{}, "", 0, pgtype.Int4{}, "", false
		open = &t
	}
	lastIn := l.lastIn
	for _, e := range events {
		switch {
		case e.inbound:
			first := lastIn.IsZero() || e.at.Sub(lastIn) >= conversationGap
			if open != nil && first {
				// A new conversation: the old turn stays unanswered.
				out = append(out, *open)
				open = nil
			}
			if open == nil {
				d, _ := dayHour(e.at, loc)
				open = &turn{phone: l.phone, contact: l.contact, started: e.at, inWamid: e.wamid, day: d, first: first}
			}
			if e.at.After(lastIn) {
				lastIn = e.at
			}
		case open != nil:
			open.responded, open.respWamid, open.agent, open.automated = e.at, e.wamid, e.agent, e.automated
			open.seconds = int32(e.at.Sub(open.started) / time.Second)
			if hours.set() {
				open.business = pgtype.Int4{Int32: int32(hours.between(open.started, e.at, loc) / time.Second), Valid: true}
			}
			out = append(out, *open)
			open = nil
		}
	}
	if open != nil {
		out = append(out, *open)
	}
	return out
}

// old returns the stored turns a rebuild replaces.
func (l *threadLoad) old() []turn {
	out := slices.Clone(l.turns)
	if p := l.prev; p != nil && (p.responded.IsZero() || !p.responded.Before(l.from)) {
		out = append(out, *p)
	}
	return out
}

// contribute adds a turn's share of the response-time histograms: its
// tile of each grain, with and without its dimensions.
func (t *turn) contribute(d *deltas, sign int64) {
	for _, g := range grains {
		k := tileKey{grain: g, start: periodStart(g, t.day), clock: ClockWall, first: t.first, bucket: -1}
		if t.responded.IsZero() {
			// Unanswered turns count on both clocks, so a read of either
			// clock scans its own rows only.
			d.addResponse(k, t, sign, 0)
			k.clock = ClockBusiness
			d.addResponse(k, t, sign, 0)
			continue
		}
		k.bucket = bucketOf(t.seconds)
		d.addResponse(k, t, sign, int64(t.seconds))
		if t.business.Valid {
			k.clock, k.bucket = ClockBusiness, bucketOf(t.business.Int32)
			d.addResponse(k, t, sign, int64(t.business.Int32))
		}
	}
}

func (d *deltas) addResponse(k tileKey, t *turn, sign, secs int64) {
	d.responses.add(respKey{tileKey: k, phone: t.phone, agent: t.agent, automated: t.automated}, sign, 1, secs)
}

// buckets returns the turn's bucket columns (NULL while unanswered).
func (t *turn) buckets() (wall, business pgtype.Int4) {
	if !t.responded.IsZero() {
		wall = pgtype.Int4{Int32: bucketOf(t.seconds), Valid: true}
	}
	if t.business.Valid {
		business = pgtype.Int4{Int32: bucketOf(t.business.Int32), Valid: true}
	}
	return wall, business
}
