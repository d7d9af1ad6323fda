package insights

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
)

// recountTurns replays every thread from the raw rows (inbound messages,
// statuses, annotations) and compares the turns with the stored ones.
func recountTurns(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, loc *time.Location) ([]Mismatch, error) {
	var hours BusinessHours
	var raw []byte
	err := tx.QueryRow(ctx, `SELECT business_hours FROM insight_settings WHERE tenant_id = $1`, tenantID).Scan(&raw)
	if err != nil && err != pgx.ErrNoRows {
		return nil, fmt.Errorf("insights: read business hours: %w", err)
	}
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &hours); err != nil {
			return nil, fmt.Errorf("insights: decode business hours: %w", err)
		}
	}
	threads := map[threadKey]*threadLoad{}
	get := func(k threadKey) *threadLoad {
		l, ok := threads[k]
		if !ok {
			l = &threadLoad{threadStart: threadStart{threadKey: k}}
			threads[k] = l
		}
		return l
	}
	ann, err := annotatedAgents(ctx, tx, tenantID)
	if err != nil {
		return nil, err
	}
	rows, _ := tx.Query(ctx, `
		SELECT phone_number_id, coalesce(from_wa_id, from_user_id), `+rawTime+`, wamid, true FROM inbound_messages
		WHERE tenant_id = $1 AND coalesce(from_wa_id, from_user_id) IS NOT NULL
		UNION ALL
		SELECT s.phone, s.contact, s.at, s.wamid, false FROM (
		    SELECT wamid, coalesce(min(nullif(phone_number_id, '')), '') AS phone,
		        min(coalesce(nullif(recipient_id, ''), recipient_user_id)) AS contact,
		        min(`+rawTime+`) AS at
		    FROM message_statuses WHERE tenant_id = $1 AND status IN ('sent', 'delivered', 'read', 'played')
		    GROUP BY wamid) s
		WHERE s.contact IS NOT NULL`, tenantID)
	for rows.Next() {
		var k threadKey
		var e threadEvent
		if err := rows.Scan(&k.phone, &k.contact, &e.at, &e.wamid, &e.inbound); err != nil {
			rows.Close()
			return nil, fmt.Errorf("insights: scan raw thread event: %w", err)
		}
		e.at = e.at.UTC()
		l := get(k)
		if e.inbound {
			l.inbound = append(l.inbound, e)
			continue
		}
		a := ann[e.wamid]
		e.agent, e.automated = a.agent, a.automated
		l.outbound = append(l.outbound, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("insights: read raw threads: %w", err)
	}
	want := map[string]turn{}
	for _, l := range threads {
		for _, t := range l.rebuild(loc, hours) {
			want[turnKey(t)] = t
		}
	}
	return compareTurns(ctx, tx, tenantID, want)
}

type agentOf struct {
	agent     string
	automated bool
}

// annotatedAgents returns who sent each annotated message.
func annotatedAgents(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID) (map[string]agentOf, error) {
	out := map[string]agentOf{}
	rows, _ := tx.Query(ctx, `SELECT wamid, agent, automated FROM insight_messages WHERE tenant_id = $1
		AND (agent <> '' OR automated)`, tenantID)
	for rows.Next() {
		var w string
		var a agentOf
		if err := rows.Scan(&w, &a.agent, &a.automated); err != nil {
			rows.Close()
			return nil, fmt.Errorf("insights: scan annotation: %w", err)
		}
		out[w] = a
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("insights: read annotations: %w", err)
	}
	return out, nil
}

func turnKey(t turn) string {
	return t.phone + "/" + t.contact + "/" + t.started.Format(time.RFC3339Nano)
}

func (t turn) String() string {
	return fmt.Sprintf("%s|%s|%t|%s|%s|%d|%v|%s|%t", t.inWamid, t.day, t.first, t.responded.Format(time.RFC3339),
		t.respWamid, t.seconds, t.business, t.agent, t.automated)
}

func compareTurns(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, want map[string]turn) ([]Mismatch, error) {
	rows, _ := tx.Query(ctx, `SELECT phone_number_id, contact, `+turnCols+` FROM insight_turns x WHERE tenant_id = $1`, tenantID)
	var out []Mismatch
	seen := map[string]bool{}
	for rows.Next() {
		var t turn
		var responded pgtype.Timestamptz
		var d time.Time
		if err := rows.Scan(&t.phone, &t.contact, &t.started, &t.inWamid, &d, &t.first, &responded, &t.respWamid,
			&t.seconds, &t.business, &t.agent, &t.automated); err != nil {
			rows.Close()
			return nil, fmt.Errorf("insights: scan turn: %w", err)
		}
		t.started, t.day, t.responded = t.started.UTC(), dateOf(d), tz(responded)
		k := turnKey(t)
		seen[k] = true
		if w, ok := want[k]; !ok || w != t {
			m := Mismatch{Table: "insight_turns", Key: k, Stored: t.String()}
			if ok {
				m.Recounted = w.String()
			}
			out = append(out, m)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("insights: read turns: %w", err)
	}
	var missing []string
	for k := range want {
		if !seen[k] {
			missing = append(missing, k)
		}
	}
	slices.Sort(missing)
	for _, k := range missing {
		out = append(out, Mismatch{Table: "insight_turns", Key: k, Recounted: want[k].String()})
	}
	return out, nil
}

// recountProgress walks every contact's hits again and compares the
// result with the stored progress.
func recountProgress(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, loc *time.Location) ([]Mismatch, error) {
	rows, _ := tx.Query(ctx, selectJourneysSQL+` WHERE tenant_id = $1`, tenantID)
	js, err := scanJourneys(rows)
	if err != nil {
		return nil, err
	}
	var out []Mismatch
	for _, j := range js {
		hits := map[string][]hitRow{}
		rows, _ := tx.Query(ctx, `SELECT contact, step, at, source FROM insight_journey_hits
			WHERE tenant_id = $1 AND journey_id = $2`, tenantID, j.ID)
		for rows.Next() {
			h := hitRow{journeyID: j.ID}
			if err := rows.Scan(&h.contact, &h.step, &h.at, &h.source); err != nil {
				rows.Close()
				return nil, fmt.Errorf("insights: scan hit: %w", err)
			}
			h.at = h.at.UTC()
			hits[h.contact] = append(hits[h.contact], h)
		}
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("insights: read hits: %w", err)
		}
		want := map[string]string{}
		for c, hs := range hits {
			slices.SortFunc(hs, cmpHit)
			if p, ok := walk(hs); ok {
				d, _ := dayHour(p.entered, loc)
				want[c] = fmt.Sprintf("%s|%d|%t|%s|%d|%v|%d", d, p.furthest, p.furthest == len(j.Steps),
					timeArray(p.stepAt), p.loops, p.loopSteps, p.lastStep)
			}
		}
		rows, _ = tx.Query(ctx, `SELECT contact, entered_day, furthest, completed, step_at, loops, loop_steps, last_step
			FROM insight_journey_progress WHERE tenant_id = $1 AND journey_id = $2`, tenantID, j.ID)
		for rows.Next() {
			var c string
			var d time.Time
			var furthest, last int16
			var completed bool
			var stepAt []time.Time
			var loops int32
			var loopSteps []int16
			if err := rows.Scan(&c, &d, &furthest, &completed, &stepAt, &loops, &loopSteps, &last); err != nil {
				rows.Close()
				return nil, fmt.Errorf("insights: scan progress: %w", err)
			}
			ls := make([]int, len(loopSteps))
			for i, s := range loopSteps {
				ls[i] = int(s)
			}
			if len(ls) == 0 {
				ls = nil
			}
			got := fmt.Sprintf("%s|%d|%t|%s|%d|%v|%d", dateOf(d), furthest, completed, timeArray(stepAt), loops, ls, last)
			if w := want[c]; w != got {
				out = append(out, Mismatch{Table: "insight_journey_progress", Key: j.Key + "/" + c, Stored: got, Recounted: w})
			}
			delete(want, c)
		}
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("insights: read progress: %w", err)
		}
		for c, w := range want {
			out = append(out, Mismatch{Table: "insight_journey_progress", Key: j.Key + "/" + c, Recounted: w})
		}
	}
	return out, nil
}
