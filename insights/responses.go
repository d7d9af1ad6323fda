package insights

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/wabsp/wabsp/internal/apperr"
)

// Response-time groupings besides the periods.
const (
	ByAgent     = "agent"
	ByAutomated = "automated"
)

// Clocks response times are measured on.
const (
	ClockWall     = "wall"
	ClockBusiness = "business"
)

// ResponseQuery selects response times: turns that started in a range of
// days, optional filters, one optional grouping, and the clock.
type ResponseQuery struct {
	Range
	PhoneNumberID string
	Agent         string
	Automated     *bool
	Clock         string
	GroupBy       string
}

// ResponseStats summarise the turns of one kind. Times are seconds between
// Meta's timestamp of the customer's message that opened the turn and
// Meta's timestamp of the business's next message; percentiles interpolate
// linearly between ranks (as percentile_cont does). They are nil when no
// turn was answered.
type ResponseStats struct {
	Turns      int64    `json:"turns"`
	Answered   int64    `json:"answered"`
	Unanswered int64    `json:"unanswered"`
	Median     *float64 `json:"median_seconds"`
	P90        *float64 `json:"p90_seconds"`
	Mean       *float64 `json:"mean_seconds"`
}

// ResponseRow holds the first response time (turns opening a conversation)
// and the response time (every turn) of one group.
type ResponseRow struct {
	PhoneNumberID string        `json:"phone_number_id,omitempty"`
	Agent         *string       `json:"agent,omitempty"`
	Automated     *bool         `json:"automated,omitempty"`
	Period        string        `json:"period,omitempty"`
	FirstResponse ResponseStats `json:"first_response"`
	Response      ResponseStats `json:"response"`
}

// ResponseTimes is the answer to a ResponseQuery.
type ResponseTimes struct {
	TimeZone string        `json:"time_zone"`
	Clock    string        `json:"clock"`
	Total    ResponseRow   `json:"total"`
	Groups   []ResponseRow `json:"groups"`
}

var responseDims = map[string]string{ByPhoneNumber: "phone_number_id", ByAgent: "agent", ByAutomated: "automated::text"}

// ResponseTimes returns first response and response times.
func (s *Service) ResponseTimes(ctx context.Context, tenantID uuid.UUID, q ResponseQuery) (ResponseTimes, error) {
	from, to, err := s.span(ctx, tenantID, q.Range)
	if err != nil {
		return ResponseTimes{}, err
	}
	if q.Clock == "" {
		q.Clock = ClockWall
	}
	if q.Clock != ClockWall && q.Clock != ClockBusiness {
		return ResponseTimes{}, apperr.InvalidField("clock", "wall or business")
	}
	if _, dim := responseDims[q.GroupBy]; !dim && q.GroupBy != "" {
		if _, ok := periodExpr(q.GroupBy, "day"); !ok {
			return ResponseTimes{}, apperr.InvalidField("group_by", "one of phone_number, agent, automated, day, week, month")
		}
	}
	f := turnFilter{from: from, to: to, phone: q.PhoneNumberID, agent: q.Agent, automated: q.Automated, clock: q.Clock}
	out := ResponseTimes{Clock: q.Clock, Groups: []ResponseRow{}}
	err = s.readTenant(ctx, tenantID, func(tx pgx.Tx) error {
		name, _, err := zone(ctx, tx, tenantID)
		if err != nil {
			return err
		}
		out.TimeZone = name
		return out.read(ctx, tx, tenantID, f, q.GroupBy)
	})
	return out, err
}

// turnFilter is the selection of turns both the histograms and the exact
// lookups apply.
type turnFilter struct {
	from, to  date
	phone     string
	agent     string
	automated *bool
	clock     string
}

// histogram is the roll-up of one group and kind: answered counts per
// bucket in ascending order, plus the totals.
type histogram struct {
	buckets    []int32
	counts     []int64
	answered   int64
	unanswered int64
	sum        int64
}

type groupHist struct {
	row        ResponseRow
	key        string // the group's value; "" with grouped false for the total
	grouped    bool
	first, all histogram
}

// tile is one roll-up tile: a day, an ISO week or a month.
type tile struct {
	grain byte
	start date
}

// tilesOf covers [from, to) with as few tiles as it can: whole months, then
// whole weeks, then days.
func tilesOf(from, to date) []tile {
	var out []tile
	for d := from; d < to; {
		t := d.time()
		next := dateOf(t.AddDate(0, 1, 0))
		switch {
		case t.Day() == 1 && next <= to:
			out = append(out, tile{GrainMonth, d})
			d = next
		case t.Weekday() == time.Monday && d+7 <= to:
			out = append(out, tile{GrainWeek, d})
			d += 7
		default:
			out = append(out, tile{GrainDay, d})
			d++
		}
	}
	return out
}

// periodEnd is the day after the period of grain g starting at d.
func periodEnd(g byte, d date) date {
	switch g {
	case GrainWeek:
		return d + 7
	case GrainMonth:
		return dateOf(d.time().AddDate(0, 1, 0))
	}
	return d + 1
}

// plan lists the tiles to read and, when grouping by period, which period
// each tile belongs to.
func plan(f turnFilter, by string) ([]tile, map[tile]string) {
	g, ok := grainCodes[by]
	if !ok {
		return tilesOf(f.from, f.to), nil
	}
	var out []tile
	group := map[tile]string{}
	for p := periodStart(g, f.from); p < f.to; p = periodEnd(g, p) {
		for _, t := range tilesOf(max(p, f.from), min(periodEnd(g, p), f.to)) {
			out = append(out, t)
			group[t] = p.String()
		}
	}
	return out, group
}

func (r *ResponseTimes) read(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, f turnFilter, by string) error {
	tiles, periodOf := plan(f, by)
	grainsArg, startsArg := make([]string, len(tiles)), make([]time.Time, len(tiles))
	for i, t := range tiles {
		grainsArg[i], startsArg[i] = string(t.grain), t.start.time()
	}
	dimCol, byDim := responseDims[by]
	h := histFor(f.phone != "" || by == ByPhoneNumber,
		f.agent != "" || f.automated != nil || by == ByAgent || by == ByAutomated)
	key := "''"
	if byDim {
		key = "x." + dimCol
	}
	w := &where{args: []any{tenantID, grainsArg, startsArg}}
	w.add("x.clock = ?", f.clock)
	if f.phone != "" {
		w.add("x.phone_number_id = ?", f.phone)
	}
	if f.agent != "" {
		w.add("x.agent = ?", f.agent)
	}
	if f.automated != nil {
		w.add("x.automated = ?", *f.automated)
	}
	tileCols := "'', '1970-01-01'::date"
	if periodOf != nil {
		tileCols = "x.grain::text, x.start"
	}
	// Each tile is its own index range scan (OFFSET 0 keeps the planner from
	// turning the lateral subquery into a join that scans the whole table).
	rows, _ := tx.Query(ctx, `SELECT `+tileCols+`, `+key+`, x.first, x.clock, x.bucket, sum(x.turns), sum(x.seconds)
		FROM unnest($2::text[], $3::date[]) AS t(grain, start)
		CROSS JOIN LATERAL (SELECT * FROM `+h.name+` x WHERE x.tenant_id = $1 AND x.grain = t.grain
		    AND x.start = t.start AND `+w.sql()+` OFFSET 0) x
		GROUP BY 1, 2, 3, 4, 5, 6 HAVING sum(x.turns) <> 0`, w.args...)
	total := &groupHist{}
	var groups []*groupHist
	byKey := map[string]*groupHist{}
	for rows.Next() {
		var g, k, clock string
		var start time.Time
		var first bool
		var bucket int32
		var turns, secs int64
		if err := rows.Scan(&g, &start, &k, &first, &clock, &bucket, &turns, &secs); err != nil {
			rows.Close()
			return fmt.Errorf("insights: scan response histogram: %w", err)
		}
		if periodOf != nil {
			k = periodOf[tile{g[0], dateOf(start)}]
		}
		gh, ok := byKey[k]
		if !ok {
			gh = &groupHist{row: groupRow(by, k), key: k, grouped: true}
			byKey[k] = gh
			groups = append(groups, gh)
		}
		for _, h := range []*histogram{&gh.all, &total.all} {
			h.observe(clock, f.clock, bucket, turns, secs)
		}
		if first {
			for _, h := range []*histogram{&gh.first, &total.first} {
				h.observe(clock, f.clock, bucket, turns, secs)
			}
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("insights: read response histogram: %w", err)
	}
	slices.SortFunc(groups, func(a, b *groupHist) int { return strings.Compare(groupSortKey(a.row), groupSortKey(b.row)) })
	hists := []*groupHist{total}
	if by != "" {
		hists = append(hists, groups...)
	}
	stats, err := exactStats(ctx, tx, tenantID, f, by, hists)
	if err != nil {
		return err
	}
	r.Total = stats[0]
	if by != "" {
		r.Groups = stats[1:]
	}
	return nil
}

func groupSortKey(r ResponseRow) string {
	switch {
	case r.Agent != nil:
		return *r.Agent
	case r.Automated != nil:
		return fmt.Sprint(*r.Automated)
	case r.Period != "":
		return r.Period
	}
	return r.PhoneNumberID
}

// observe adds one histogram row (bucket -1 counts unanswered turns).
func (h *histogram) observe(clock, want string, bucket int32, turns, secs int64) {
	switch {
	case clock != want:
	case bucket < 0:
		h.unanswered += turns
	default:
		i, found := slices.BinarySearch(h.buckets, bucket)
		if !found {
			h.buckets, h.counts = slices.Insert(h.buckets, i, bucket), slices.Insert(h.counts, i, 0)
		}
		h.counts[i] += turns
		h.answered += turns
		h.sum += secs
	}
}

func groupRow(by, k string) ResponseRow {
	var r ResponseRow
	switch by {
	case "":
	case ByPhoneNumber:
		r.PhoneNumberID = k
	case ByAgent:
		a := k
		r.Agent = &a
	case ByAutomated:
		v := k == "true"
		r.Automated = &v
	default:
		r.Period = k
	}
	return r
}

// rankLookup is one exact value to read: the k-th smallest (0-based) of a
// bucket's values among one group's turns (of the first kind only, or all).
type rankLookup struct {
	bucket  int32
	group   string
	grouped bool
	first   bool
	offset  int64
	value   *float64
}

// exactStats turns histograms into stats. A rank whose bucket holds one
// value is answered from the histogram; for the others each needed bucket
// is read once, as counts per value and group, in one round trip.
func exactStats(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, f turnFilter, by string, gs []*groupHist) ([]ResponseRow, error) {
	var lookups []*rankLookup
	out := make([]ResponseRow, len(gs))
	type pending struct {
		dst    **float64
		p      float64
		lo, hi *rankLookup
	}
	var todo []pending
	for i, g := range gs {
		out[i] = g.row
		for _, kind := range []struct {
			h     *histogram
			dst   *ResponseStats
			first bool
		}{{&g.first, &out[i].FirstResponse, true}, {&g.all, &out[i].Response, false}} {
			h, st := kind.h, kind.dst
			st.Answered, st.Unanswered, st.Turns = h.answered, h.unanswered, h.answered+h.unanswered
			if h.answered == 0 {
				continue
			}
			mean := float64(h.sum) / float64(h.answered)
			st.Mean = &mean
			for _, p := range []struct {
				dst **float64
				p   float64
			}{{&st.Median, 0.5}, {&st.P90, 0.9}} {
				r := p.p * float64(h.answered-1)
				var ends [2]*rankLookup
				for j, k := range []int64{int64(math.Floor(r)), int64(math.Ceil(r))} {
					l := h.locate(k)
					l.group, l.grouped, l.first = g.key, g.grouped, kind.first
					if l.value == nil {
						lookups = append(lookups, l)
					}
					ends[j] = l
				}
				todo = append(todo, pending{dst: p.dst, p: r, lo: ends[0], hi: ends[1]})
			}
		}
	}
	if err := readRanks(ctx, tx, tenantID, f, by, lookups); err != nil {
		return nil, err
	}
	for _, t := range todo {
		lo, hi := *t.lo.value, *t.hi.value
		v := lo + (t.p-math.Floor(t.p))*(hi-lo)
		*t.dst = &v
	}
	return out, nil
}

// locate finds the bucket holding rank k (0-based).
func (h *histogram) locate(k int64) *rankLookup {
	var before int64
	for i, b := range h.buckets {
		if k < before+h.counts[i] {
			l := &rankLookup{bucket: b, offset: k - before}
			if bucketWidth(b) == 1 {
				v := float64(b)
				l.value = &v
			}
			return l
		}
		before += h.counts[i]
	}
	// The histogram and the turns disagree only if the roll-up is broken;
	// answer from the last bucket rather than fail the read.
	v := float64(h.buckets[len(h.buckets)-1])
	return &rankLookup{value: &v}
}

// valueCount is how many turns of a group (and kind) took a value.
type valueCount struct {
	seconds int32
	first   bool
	group   string
	n       int64
}

// readRanks reads each needed bucket's turns in the range as counts per
// value, kind and group, and finds every lookup's value among them.
func readRanks(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, f turnFilter, by string, ls []*rankLookup) error {
	if len(ls) == 0 {
		return nil
	}
	var buckets []int32
	for _, l := range ls {
		if !slices.Contains(buckets, l.bucket) {
			buckets = append(buckets, l.bucket)
		}
	}
	secs, bucketCol := "seconds", "bucket"
	if f.clock == ClockBusiness {
		secs, bucketCol = "business_seconds", "business_bucket"
	}
	group := "''"
	if c, ok := responseDims[by]; ok {
		group = c
	} else if p, ok := periodExpr(by, "day"); ok {
		group = p + "::text"
	}
	b := &pgx.Batch{}
	for _, bk := range buckets {
		w := &where{}
		w.add("tenant_id = ?", tenantID)
		w.add(bucketCol+" = ?", bk)
		w.add("day >= ?", f.from.time())
		w.add("day < ?", f.to.time())
		if f.phone != "" {
			w.add("phone_number_id = ?", f.phone)
		}
		if f.agent != "" {
			w.add("agent = ?", f.agent)
		}
		if f.automated != nil {
			w.add("automated = ?", *f.automated)
		}
		b.Queue(`SELECT `+secs+`, first, `+group+`, count(*) FROM insight_turns WHERE `+w.sql()+`
			GROUP BY 1, 2, 3 ORDER BY 1`, w.args...)
	}
	br := tx.SendBatch(ctx, b)
	defer br.Close()
	for _, bk := range buckets {
		rows, _ := br.Query()
		var vals []valueCount
		for rows.Next() {
			var v valueCount
			if err := rows.Scan(&v.seconds, &v.first, &v.group, &v.n); err != nil {
				rows.Close()
				return fmt.Errorf("insights: scan bucket: %w", err)
			}
			vals = append(vals, v)
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("insights: read bucket: %w", err)
		}
		for _, l := range ls {
			if l.bucket == bk {
				l.value = rankIn(vals, l)
			}
		}
	}
	return nil
}

// rankIn is the l.offset-th smallest value (vals are in value order) among
// the turns of l's group and kind, or the bucket's lower bound if they run
// short (which only a broken roll-up causes).
func rankIn(vals []valueCount, l *rankLookup) *float64 {
	v := float64(l.bucket)
	var seen int64
	for _, x := range vals {
		if (l.grouped && x.group != l.group) || (l.first && !x.first) {
			continue
		}
		seen += x.n
		if l.offset < seen {
			v = float64(x.seconds)
			break
		}
	}
	return &v
}
