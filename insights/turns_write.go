package insights

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
)

// writeTurns rebuilds the loaded threads, replaces the turns that changed
// and moves their histogram contributions, in one round trip.
func (u *unit) writeTurns(ctx context.Context, tx pgx.Tx, loads []threadLoad) error {
	d := newDeltas()
	var upserts, deletes []turn
	for i := range loads {
		l := &loads[i]
		old := map[int64]turn{}
		for _, t := range l.old() {
			old[t.started.UnixNano()] = t
		}
		for _, t := range l.rebuild(u.loc, u.hours) {
			k := t.started.UnixNano()
			prev, had := old[k]
			delete(old, k)
			if had && prev == t {
				continue
			}
			if had {
				prev.contribute(d, -1)
			}
			t.contribute(d, 1)
			upserts = append(upserts, t)
		}
		for _, t := range old {
			t.contribute(d, -1)
			deletes = append(deletes, t)
		}
	}
	b := &pgx.Batch{}
	queueTurnDeletes(b, u, deletes)
	queueTurnUpserts(b, u, upserts)
	queueResponses(b, u, d)
	if b.Len() == 0 {
		return nil
	}
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("insights: write turns: %w", err)
	}
	return nil
}

func cmpTurn(a, b turn) int {
	return cmp.Or(cmp.Compare(a.phone, b.phone), cmp.Compare(a.contact, b.contact), a.started.Compare(b.started))
}

func queueTurnDeletes(b *pgx.Batch, u *unit, ts []turn) {
	if len(ts) == 0 {
		return
	}
	slices.SortFunc(ts, cmpTurn)
	n := len(ts)
	phones, contacts, starts := make([]string, n), make([]string, n), make([]time.Time, n)
	for i, t := range ts {
		phones[i], contacts[i], starts[i] = t.phone, t.contact, t.started
	}
	b.Queue(`DELETE FROM insight_turns x USING unnest($2::text[], $3::text[], $4::timestamptz[]) AS d(phone, contact, started)
		WHERE x.tenant_id = $1 AND x.phone_number_id = d.phone AND x.contact = d.contact AND x.started_at = d.started`,
		u.tenantID, phones, contacts, starts)
}

func queueTurnUpserts(b *pgx.Batch, u *unit, ts []turn) {
	if len(ts) == 0 {
		return
	}
	slices.SortFunc(ts, cmpTurn)
	n := len(ts)
	phones, contacts, starts, inW := make([]string, n), make([]string, n), make([]time.Time, n), make([]string, n)
	days, firsts, responded, respW := make([]time.Time, n), make([]bool, n), make([]pgtype.Timestamptz, n), make([]pgtype.Text, n)
	secs, biz, agents, autos := make([]pgtype.Int4, n), make([]pgtype.Int4, n), make([]string, n), make([]bool, n)
	buckets, bizBuckets := make([]pgtype.Int4, n), make([]pgtype.Int4, n)
	for i, t := range ts {
		buckets[i], bizBuckets[i] = t.buckets()
		phones[i], contacts[i], starts[i], inW[i] = t.phone, t.contact, t.started, t.inWamid
		days[i], firsts[i], responded[i] = t.day.time(), t.first, pgTime(t.responded)
		respW[i] = pgtype.Text{String: t.respWamid, Valid: t.respWamid != ""}
		secs[i] = pgtype.Int4{Int32: t.seconds, Valid: !t.responded.IsZero()}
		biz[i], agents[i], autos[i] = t.business, t.agent, t.automated
	}
	b.Queue(`INSERT INTO insight_turns (tenant_id, phone_number_id, contact, started_at, inbound_wamid, day, first,
		    responded_at, response_wamid, seconds, business_seconds, agent, automated, bucket, business_bucket)
		SELECT $1, u.* FROM unnest($2::text[], $3::text[], $4::timestamptz[], $5::text[], $6::date[], $7::bool[],
		    $8::timestamptz[], $9::text[], $10::int[], $11::int[], $12::text[], $13::bool[], $14::int[], $15::int[]) AS u
		ON CONFLICT (tenant_id, phone_number_id, contact, started_at) DO UPDATE SET
		    inbound_wamid = excluded.inbound_wamid, day = excluded.day, first = excluded.first,
		    responded_at = excluded.responded_at, response_wamid = excluded.response_wamid,
		    seconds = excluded.seconds, business_seconds = excluded.business_seconds,
		    agent = excluded.agent, automated = excluded.automated, bucket = excluded.bucket,
		    business_bucket = excluded.business_bucket`,
		u.tenantID, phones, contacts, starts, inW, days, firsts, responded, respW, secs, biz, agents, autos,
		buckets, bizBuckets)
}

func cmpResp(a, b respKey) int {
	return cmp.Or(cmp.Compare(a.grain, b.grain), cmp.Compare(a.start, b.start), cmp.Compare(a.clock, b.clock),
		cmp.Compare(b2i(a.first), b2i(b.first)), cmp.Compare(a.phone, b.phone), cmp.Compare(a.agent, b.agent),
		cmp.Compare(b2i(a.automated), b2i(b.automated)), cmp.Compare(a.bucket, b.bucket))
}

// queueResponses writes the histogram deltas to every copy of the
// histogram, each summed over the dimensions it does not keep.
func queueResponses(b *pgx.Batch, u *unit, d *deltas) {
	for _, h := range histTables {
		c := counter[respKey]{}
		for k, v := range d.responses {
			c.add(h.project(k), 1, v...)
		}
		keys := c.sorted(cmpResp)
		if len(keys) == 0 {
			continue
		}
		n := len(keys)
		grains, starts, clocks, firsts := make([]string, n), make([]time.Time, n), make([]string, n), make([]bool, n)
		phones, agents, autos := make([]string, n), make([]string, n), make([]bool, n)
		buckets, turns, secs := make([]int32, n), make([]int64, n), make([]int64, n)
		for i, k := range keys {
			grains[i], starts[i], clocks[i], firsts[i] = string(k.grain), k.start.time(), k.clock, k.first
			phones[i], agents[i], autos[i], buckets[i] = k.phone, k.agent, k.automated, k.bucket
			turns[i], secs[i] = c[k][0], c[k][1]
		}
		args := []any{u.tenantID, grains, starts, clocks, firsts}
		types := []string{"text", "date", "text", "bool"}
		if h.phone {
			args, types = append(args, phones), append(types, "text")
		}
		if h.agent {
			args, types = append(args, agents, autos), append(types, "text", "bool")
		}
		args, types = append(args, buckets, turns, secs), append(types, "int", "int8", "int8")
		params := make([]string, len(types))
		for i, t := range types {
			params[i] = fmt.Sprintf("$%d::%s[]", i+2, t)
		}
		key := "tenant_id, grain, start, clock, first, " + h.dims() + "bucket"
		b.Queue(`INSERT INTO `+h.name+` AS r (`+key+`, turns, seconds)
			SELECT $1, u.* FROM unnest(`+strings.Join(params, ", ")+`) AS u
			ON CONFLICT (`+key+`) DO UPDATE SET turns = r.turns + excluded.turns, seconds = r.seconds + excluded.seconds`,
			args...)
	}
}

// histTable is one copy of the response-time histogram and the dimensions
// it keeps (agent comes with automated).
type histTable struct {
	name         string
	phone, agent bool
}

var histTables = []histTable{
	{"insight_response_tiles", false, false},
	{"insight_response_phones", true, false},
	{"insight_response_agents", false, true},
	{"insight_response_dims", true, true},
}

// project drops the dimensions h does not keep.
func (h histTable) project(k respKey) respKey {
	if !h.phone {
		k.phone = ""
	}
	if !h.agent {
		k.agent, k.automated = "", false
	}
	return k
}

// dims lists h's dimension columns, each followed by ", ".
func (h histTable) dims() string {
	s := ""
	if h.phone {
		s += "phone_number_id, "
	}
	if h.agent {
		s += "agent, automated, "
	}
	return s
}

// histFor is the narrowest copy of the histogram keeping the dimensions a
// read needs.
func histFor(phone, agent bool) histTable {
	for _, h := range histTables {
		if h.phone == phone && h.agent == agent {
			return h
		}
	}
	return histTables[len(histTables)-1]
}
