package insights

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/wabsp/wabsp/internal/apperr"
)

// StepResult is how contacts fared at one step. Times between steps are
// whole seconds.
type StepResult struct {
	Step int    `json:"step"`
	Key  string `json:"key"`
	// Reached counts contacts who got to this step in order.
	Reached int64 `json:"reached"`
	// DropOff counts those who reached this step but not the next (0 for
	// the last step).
	DropOff int64 `json:"drop_off"`
	// StoppedHere counts contacts who have not completed and whose latest
	// step is this one: where contacts stop.
	StoppedHere int64 `json:"stopped_here"`
	// LoopsBack counts returns to this step from a later one.
	LoopsBack int64 `json:"loops_back"`
	// MedianSecondsToNext is the median time from first reaching this step
	// to first reaching the next (nil when nobody did).
	MedianSecondsToNext *float64 `json:"median_seconds_to_next"`
}

// JourneyResults are a journey's numbers for the contacts who entered it
// within a range of days.
type JourneyResults struct {
	Journey        Journey      `json:"journey"`
	TimeZone       string       `json:"time_zone"`
	From           string       `json:"from"`
	To             string       `json:"to"`
	Entered        int64        `json:"entered"`
	Completed      int64        `json:"completed"`
	CompletionRate *float64     `json:"completion_rate"`
	Looping        int64        `json:"looping_contacts"`
	Loops          int64        `json:"loops"`
	Steps          []StepResult `json:"steps"`
}

// JourneyResults computes reach, drop-off, time between steps, loops and
// completion for the contacts who entered the journey in the range.
func (s *Service) JourneyResults(ctx context.Context, tenantID, id uuid.UUID, r Range) (JourneyResults, error) {
	from, to, err := s.span(ctx, tenantID, r)
	if err != nil {
		return JourneyResults{}, err
	}
	j, err := s.Journey(ctx, tenantID, id)
	if err != nil {
		return JourneyResults{}, err
	}
	var out JourneyResults
	err = s.readTenant(ctx, tenantID, func(tx pgx.Tx) error {
		name, _, err := zone(ctx, tx, tenantID)
		if err != nil {
			return err
		}
		out, err = journeyResults(ctx, tx, tenantID, j, from, to)
		out.TimeZone = name
		return err
	})
	return out, err
}

func journeyResults(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, j Journey, from, to date) (JourneyResults, error) {
	out := JourneyResults{Journey: j, From: from.String(), To: to.String(), Steps: make([]StepResult, len(j.Steps))}
	for i, st := range j.Steps {
		out.Steps[i] = StepResult{Step: i + 1, Key: st.Key}
	}
	tiles := tilesOf(from, to)
	grainsArg, startsArg := make([]string, len(tiles)), make([]time.Time, len(tiles))
	for i, t := range tiles {
		grainsArg[i], startsArg[i] = string(t.grain), t.start.time()
	}
	b := &pgx.Batch{}
	b.Queue(`SELECT step, sum(contacts), sum(completed), sum(stopped), sum(looping), sum(loops)
		FROM insight_journey_daily WHERE tenant_id = $1 AND journey_id = $2 AND entered_day >= $3 AND entered_day < $4
		GROUP BY step`, tenantID, j.ID, from.time(), to.time())
	b.Queue(`SELECT x.step, x.bucket, sum(x.contacts) FROM unnest($3::text[], $4::date[]) AS t(grain, start)
		CROSS JOIN LATERAL (SELECT * FROM insight_journey_gap_tiles x WHERE x.tenant_id = $1 AND x.journey_id = $2
		    AND x.grain = t.grain AND x.start = t.start OFFSET 0) x
		GROUP BY 1, 2 HAVING sum(x.contacts) <> 0`, tenantID, j.ID, grainsArg, startsArg)
	br := tx.SendBatch(ctx, b)
	hists, err := out.readRollups(br)
	if cerr := br.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("insights: read journey: %w", cerr)
	}
	if err != nil {
		return out, err
	}
	out.CompletionRate = ratio(out.Completed, out.Entered)
	for i := range out.Steps[:len(out.Steps)-1] {
		out.Steps[i].DropOff = out.Steps[i].Reached - out.Steps[i+1].Reached
	}
	return out, out.medians(ctx, tx, tenantID, from, to, hists)
}

// readRollups reads the daily sums and the gap histograms per step.
func (out *JourneyResults) readRollups(br pgx.BatchResults) (map[int16]*histogram, error) {
	rows, _ := br.Query()
	for rows.Next() {
		var step int16
		var contacts, completed, stopped, looping, loops int64
		if err := rows.Scan(&step, &contacts, &completed, &stopped, &looping, &loops); err != nil {
			rows.Close()
			return nil, fmt.Errorf("insights: scan journey day: %w", err)
		}
		if step == 0 {
			out.Entered, out.Completed, out.Looping, out.Loops = contacts, completed, looping, loops
			continue
		}
		if int(step) <= len(out.Steps) {
			st := &out.Steps[step-1]
			st.Reached, st.StoppedHere, st.LoopsBack = contacts, stopped, loops
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("insights: read journey days: %w", err)
	}
	hists := map[int16]*histogram{}
	rows, _ = br.Query()
	for rows.Next() {
		var step int16
		var bucket int32
		var n int64
		if err := rows.Scan(&step, &bucket, &n); err != nil {
			rows.Close()
			return nil, fmt.Errorf("insights: scan journey gaps: %w", err)
		}
		h, ok := hists[step]
		if !ok {
			h = &histogram{}
			hists[step] = h
		}
		h.observe("", "", bucket, n, 0)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("insights: read journey gaps: %w", err)
	}
	return hists, nil
}

// medians finds each step's exact median time to the next step: the
// histogram gives the bucket of each middle rank, the gaps index the value.
func (out *JourneyResults) medians(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, from, to date,
	hists map[int16]*histogram) error {
	type need struct {
		step   int16
		lo, hi *rankLookup
		frac   float64
	}
	var needs []need
	b := &pgx.Batch{}
	var pending []*rankLookup
	for step, h := range hists {
		if h.answered == 0 {
			continue
		}
		r := 0.5 * float64(h.answered-1)
		lo, hi := h.locate(int64(math.Floor(r))), h.locate(int64(math.Ceil(r)))
		for _, l := range []*rankLookup{lo, hi} {
			if l.value == nil {
				b.Queue(`SELECT seconds, count(*) FROM insight_journey_gaps WHERE tenant_id = $1 AND journey_id = $2
					AND step = $3 AND bucket = $4 AND entered_day >= $5 AND entered_day < $6 GROUP BY 1 ORDER BY 1`,
					tenantID, out.Journey.ID, step, l.bucket, from.time(), to.time())
				pending = append(pending, l)
			}
		}
		needs = append(needs, need{step: step, lo: lo, hi: hi, frac: r - math.Floor(r)})
	}
	if b.Len() > 0 {
		br := tx.SendBatch(ctx, b)
		for _, l := range pending {
			rows, _ := br.Query()
			var vals []valueCount
			for rows.Next() {
				var v valueCount
				if err := rows.Scan(&v.seconds, &v.n); err != nil {
					rows.Close()
					br.Close()
					return fmt.Errorf("insights: scan journey gap: %w", err)
				}
				vals = append(vals, v)
			}
			if err := rows.Err(); err != nil {
				br.Close()
				return fmt.Errorf("insights: read journey gap: %w", err)
			}
			l.value = rankIn(vals, l)
		}
		if err := br.Close(); err != nil {
			return fmt.Errorf("insights: read journey gaps: %w", err)
		}
	}
	for _, n := range needs {
		if int(n.step) > len(out.Steps) {
			continue
		}
		v := *n.lo.value + n.frac*(*n.hi.value-*n.lo.value)
		out.Steps[n.step-1].MedianSecondsToNext = &v
	}
	return nil
}

// JourneyComparison compares the contacts who entered a journey before a
// date with those who entered from it on: a wording change or a split
// question, measured.
type JourneyComparison struct {
	Before     JourneyResults `json:"before"`
	After      JourneyResults `json:"after"`
	Completion *Comparison    `json:"completion,omitempty"`
	// Reach compares, per step, the share of entrants who reached it.
	Reach []StepComparison `json:"reach"`
}

// StepComparison compares one step's reach before and after.
type StepComparison struct {
	Step       int         `json:"step"`
	Key        string      `json:"key"`
	Comparison *Comparison `json:"comparison,omitempty"`
}

// CompareJourney splits [from, to) at boundary and compares the halves.
func (s *Service) CompareJourney(ctx context.Context, tenantID, id uuid.UUID, from, boundary, to time.Time) (JourneyComparison, error) {
	b := civil(boundary)
	if from.IsZero() || to.IsZero() || boundary.IsZero() || b <= civil(from) || b >= civil(to) {
		return JourneyComparison{}, apperr.InvalidField("boundary", "a day after from and before to")
	}
	before, err := s.JourneyResults(ctx, tenantID, id, Range{From: from, To: boundary})
	if err != nil {
		return JourneyComparison{}, err
	}
	after, err := s.JourneyResults(ctx, tenantID, id, Range{From: boundary, To: to})
	if err != nil {
		return JourneyComparison{}, err
	}
	out := JourneyComparison{Before: before, After: after, Reach: []StepComparison{}}
	if c, ok := compare(before.Completed, before.Entered, after.Completed, after.Entered); ok {
		out.Completion = &c
	}
	for i, st := range before.Steps {
		sc := StepComparison{Step: st.Step, Key: st.Key}
		if c, ok := compare(st.Reached, before.Entered, after.Steps[i].Reached, after.Entered); ok {
			sc.Comparison = &c
		}
		out.Reach = append(out.Reach, sc)
	}
	return out, nil
}
