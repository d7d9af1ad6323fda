package billing

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/wabsp/wabsp/internal/apperr"
	"github.com/wabsp/wabsp/internal/paging"
	"github.com/wabsp/wabsp/internal/pg"
)

// Dimension is what usage can be grouped by.
type Dimension string

// The dimensions of usage.
const (
	DimDay         Dimension = "day"
	DimPhoneNumber Dimension = "phone_number"
	DimMarket      Dimension = "market"
	DimCategory    Dimension = "category"
	DimPricingType Dimension = "pricing_type"
)

// dimColumns are the roll-up columns of each dimension, in output order.
var dimColumns = []struct {
	dim Dimension
	col string
}{
	{DimDay, "day"}, {DimPhoneNumber, "phone_number_id"}, {DimMarket, "market"},
	{DimCategory, "category"}, {DimPricingType, "pricing_type"},
}

// MaxUsageDays bounds a usage range.
const MaxUsageDays = 3660

// UsageQuery asks for usage over days From..To (inclusive, tenant time).
// Limit (default DefaultUsageGroups) and Cursor page the groups.
type UsageQuery struct {
	From, To time.Time
	GroupBy  []Dimension
	Limit    int
	Cursor   string
}

// UsageGroup is one group of usage. Only the grouped dimensions are set.
type UsageGroup struct {
	Day           *time.Time `json:"day,omitempty"`
	PhoneNumberID string     `json:"phone_number_id,omitempty"`
	Market        string     `json:"market,omitempty"`
	Category      string     `json:"category,omitempty"`
	PricingType   string     `json:"pricing_type,omitempty"`
	Counts
	// Inbound is set when usage is grouped by nothing but day, phone number
	// and market, the dimensions inbound messages have.
	Inbound *InboundCounts `json:"inbound,omitempty"`
}

// InboundCounts count inbound user messages.
type InboundCounts struct {
	Messages int64 `json:"messages"`
	// Referrals are messages from a click-to-WhatsApp ad or page button,
	// which can open a free entry point.
	Referrals int64 `json:"referrals"`
}

// Usage is the answer to a UsageQuery.
type Usage struct {
	TimeZone string       `json:"time_zone"`
	From     time.Time    `json:"from"`
	To       time.Time    `json:"to"`
	GroupBy  []Dimension  `json:"group_by"`
	Groups   []UsageGroup `json:"groups"`
	Totals   UsageTotals  `json:"totals"`
	// NextCursor asks for the groups after these; empty on the last page.
	NextCursor string `json:"next_cursor,omitempty"`
}

// UsageTotals sum a range: all messages, per class (session, template, free
// entry point, unpriced, other) and inbound.
type UsageTotals struct {
	All     Counts            `json:"all"`
	ByClass map[string]Counts `json:"by_class"`
	Inbound InboundCounts     `json:"inbound"`
	// Unrecognized lists "category/pricing_type" pairs priced by the
	// fallback, so that a new Meta value is noticed.
	Unrecognized []string `json:"unrecognized"`
}

func (q UsageQuery) validate() ([]string, error) {
	if q.To.Before(q.From) {
		return nil, apperr.InvalidField("to", "must not be before from")
	}
	if q.To.Sub(q.From) > MaxUsageDays*24*time.Hour {
		return nil, apperr.InvalidField("to", fmt.Sprintf("a range spans at most %d days", MaxUsageDays))
	}
	var cols []string
	for _, dc := range dimColumns {
		if slices.Contains(q.GroupBy, dc.dim) {
			cols = append(cols, dc.col)
		}
	}
	for _, d := range q.GroupBy {
		if !slices.ContainsFunc(dimColumns, func(dc struct {
			dim Dimension
			col string
		}) bool {
			return dc.dim == d
		}) {
			return nil, apperr.InvalidField("group_by", fmt.Sprintf("%q is not a dimension", d))
		}
	}
	return cols, nil
}

// Usage sums a tenant's roll-ups over a range (by default the current
// month of the tenant's zone so far). It reads pre-aggregated rows only, so
// its cost depends on the days and keys in the range, not on the number of
// messages.
func (s *Service) Usage(ctx context.Context, tenantID uuid.UUID, q UsageQuery) (Usage, error) {
	var u Usage
	err := s.reader.InTenantTx(ctx, tenantID, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `SELECT time_zone FROM tenants WHERE id = $1`, tenantID).Scan(&u.TimeZone); err != nil {
			return pg.Translate(err, "tenant")
		}
		q.From, q.To = s.defaultRange(q.From, q.To, location(u.TimeZone))
		// Usage by every dimension sorts tens of thousands of groups; the
		// default 4 MB would send that to disk.
		if _, err := tx.Exec(ctx, `SET LOCAL work_mem = '64MB'`); err != nil {
			return fmt.Errorf("billing: usage: %w", err)
		}
		cols, err := q.validate()
		if err != nil {
			return err
		}
		limit, after, err := pageOf(q)
		if err != nil {
			return err
		}
		if after != nil && (after.Day != nil) != slices.Contains(cols, "day") {
			return paging.ErrBadCursor // from usage grouped otherwise
		}
		u.From, u.To, u.Groups = q.From, q.To, []UsageGroup{}
		u.Totals = UsageTotals{ByClass: map[string]Counts{}, Unrecognized: []string{}}
		for _, dc := range dimColumns {
			if slices.Contains(cols, dc.col) {
				u.GroupBy = append(u.GroupBy, dc.dim)
			}
		}
		more, err := usageScan(ctx, tx, tenantID, q, cols, limit, after, &u)
		if err != nil {
			return err
		}
		if err := inboundUsage(ctx, tx, tenantID, q, cols, &u); err != nil {
			return err
		}
		u.page(limit, after, more)
		return nil
	})
	return u, err
}

// defaultRange fills a missing end with today and a missing start with the
// first day of the end's month, in loc.
func (s *Service) defaultRange(from, to time.Time, loc *time.Location) (time.Time, time.Time) {
	if to.IsZero() {
		to = dayIn(s.cfg.Now(), loc)
	}
	if from.IsZero() {
		from = MonthOf(to).First()
	}
	return from, to
}

const sumCounts = `sum(messages)::bigint, sum(sent)::bigint, sum(delivered)::bigint, sum(read)::bigint,
    sum(failed)::bigint, sum(charged)::bigint, sum(fallback)::bigint`

// usageScan reads the groups and the per-class totals. Usage not split by
// phone number reads the roll-up without it, a fraction of the rows, in one
// pass: GROUPING SETS of the requested columns and of (category,
// pricing_type). Usage by phone number groups the smallest roll-up that
// keeps the requested columns (the full key keeps them all) and takes the
// class totals from the one without phone numbers.
//
// It reports more when it stopped reading groups at the page's end.
func usageScan(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, q UsageQuery, cols []string, limit int, after *UsageGroup, u *Usage) (bool, error) {
	if !slices.Contains(cols, "phone_number_id") {
		return false, scanUsage(ctx, tx, usageAll.name, tenantID, q, cols, u)
	}
	i := slices.IndexFunc(phoneTables, func(t usageTable) bool { return t.covers(cols) })
	more, err := scanGroups(ctx, tx, phoneTables[i], tenantID, q, cols, limit, after, u)
	if err != nil {
		return false, err
	}
	return more, scanUsage(ctx, tx, usageAll.name, tenantID, q, nil, u)
}

// scanGroups reads the groups of cols from a roll-up by phone number. When
// the roll-up is keyed by cols (give or take rate_category) its rows are the
// groups already: they are read in key order and the few that differ only
// in rate_category are added up here, which spares PostgreSQL hashing tens
// of thousands of rows for usage by every dimension. Such a read also
// starts after the cursor and stops after the page, unless inbound counts
// join the groups later (they have no category), and then reports more.
func scanGroups(ctx context.Context, tx pgx.Tx, table usageTable, tenantID uuid.UUID, q UsageQuery, cols []string,
	limit int, after *UsageGroup, u *Usage) (bool, error) {
	list := strings.Join(cols, ", ")
	exact := table.keyedBy(cols)
	paged := exact && slices.Contains(cols, "category")
	args := []any{tenantID, q.From, q.To}
	where := `tenant_id = $1 AND day BETWEEN $2 AND $3`
	if paged && after != nil {
		where += ` AND (` + list + `) > (` + afterArgs(cols, *after, &args) + `)`
	}
	query := `SELECT ` + list + `, ` + sumCounts + ` FROM ` + table.name + ` WHERE ` + where +
		` GROUP BY ` + list + ` ORDER BY ` + byteOrder(cols)
	if exact {
		query = `SELECT ` + list + `, messages, sent, delivered, read, failed, charged, fallback FROM ` + table.name +
			` WHERE ` + where + ` ORDER BY ` + byteOrder(cols)
	}
	if paged {
		// A group may span rows (one per rate category), so the row after
		// the page's last only says that more follow; the last group read
		// may be cut short, and is left to the next page.
		args = append(args, limit+1)
		query += fmt.Sprintf(" LIMIT $%d", len(args))
	}
	rows, err := tx.Query(ctx, query, args...)
	if err != nil {
		return false, fmt.Errorf("billing: usage: %w", err)
	}
	defer rows.Close()
	sc := newGroupScanner(cols, false)
	u.Groups = slices.Grow(u.Groups, min(limit+1, estimateGroups(cols, q)))
	read := 0
	for rows.Next() {
		read++
		g, _, err := sc.scan(rows)
		if err != nil {
			return false, fmt.Errorf("billing: usage: %w", err)
		}
		if n := len(u.Groups); exact && n > 0 && compareGroups(u.Groups[n-1], g) == 0 {
			u.Groups[n-1].Counts.add(g.Counts, 1)
			continue
		}
		u.Groups = append(u.Groups, g)
	}
	if err := rows.Err(); err != nil {
		return false, fmt.Errorf("billing: usage: %w", err)
	}
	if paged && read > limit {
		u.Groups = u.Groups[:len(u.Groups)-1]
		return true, nil
	}
	return false, nil
}

// afterArgs appends the cursor's values of cols to args and returns their
// placeholders.
func afterArgs(cols []string, after UsageGroup, args *[]any) string {
	ph := make([]string, len(cols))
	for i, c := range cols {
		if c == "day" {
			*args = append(*args, after.Day)
			ph[i] = fmt.Sprintf("$%d::date", len(*args))
			continue
		}
		*args = append(*args, *after.textField(c))
		ph[i] = fmt.Sprintf("$%d", len(*args))
	}
	return strings.Join(ph, ", ")
}

// estimateGroups guesses how many groups usage by cols returns, so that the
// tens of thousands by every dimension are not copied again and again as
// the slice grows: a few per day and dimension, capped.
func estimateGroups(cols []string, q UsageQuery) int {
	n := 1
	for _, c := range cols {
		switch c {
		case "day":
			n *= int(q.To.Sub(q.From).Hours()/24) + 1
		case "category", "pricing_type":
			n *= 3
		default:
			n *= 4
		}
	}
	return min(n, 1<<16)
}

// byteOrder orders by cols comparing text byte by byte, the order
// compareGroups sorts in, whatever the database's collation.
func byteOrder(cols []string) string {
	out := make([]string, len(cols))
	for i, c := range cols {
		out[i] = c
		if c != "day" {
			out[i] += ` COLLATE "C"`
		}
	}
	return strings.Join(out, ", ")
}

// scanUsage reads groups of cols (none when empty) and the per-class
// totals from one roll-up table in one pass.
func scanUsage(ctx context.Context, tx pgx.Tx, table string, tenantID uuid.UUID, q UsageQuery, cols []string, u *Usage) error {
	classCols := []string{"category", "pricing_type"}
	sel := slices.Clone(cols)
	for _, c := range classCols {
		if !slices.Contains(sel, c) {
			sel = append(sel, c)
		}
	}
	// Bit i of GROUPING(sel...) is set when sel[i] is not grouped in a row's
	// set; the leftmost argument is the highest bit.
	mask := func(grouped []string) int {
		m := 0
		for i, c := range sel {
			if !slices.Contains(grouped, c) {
				m |= 1 << (len(sel) - 1 - i)
			}
		}
		return m
	}
	groupMask, classMask := mask(cols), mask(classCols)
	var sets string
	switch {
	case groupMask == classMask || len(cols) == 0:
		sets = "(category, pricing_type)"
	default:
		sets = "(" + strings.Join(cols, ", ") + "), (category, pricing_type)"
	}
	rows, err := tx.Query(ctx, `SELECT `+strings.Join(sel, ", ")+`, GROUPING(`+strings.Join(sel, ", ")+`), `+sumCounts+`
		FROM `+table+` WHERE tenant_id = $1 AND day BETWEEN $2 AND $3
		GROUP BY GROUPING SETS (`+sets+`) ORDER BY `+byteOrder(sel), tenantID, q.From, q.To)
	if err != nil {
		return fmt.Errorf("billing: usage: %w", err)
	}
	defer rows.Close()
	var all Counts
	sc := newGroupScanner(sel, true)
	for rows.Next() {
		g, grouping, err := sc.scan(rows)
		if err != nil {
			return fmt.Errorf("billing: usage: %w", err)
		}
		if grouping == classMask {
			u.Totals.addClass(g.Category, g.PricingType, g.Counts)
			all.add(g.Counts, 1)
		}
		if grouping == groupMask && len(cols) > 0 {
			u.Groups = append(u.Groups, g)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("billing: usage: %w", err)
	}
	u.Totals.All = all
	if len(cols) == 0 && len(u.Groups) == 0 && !all.zero() && len(u.GroupBy) == 0 {
		u.Groups = append(u.Groups, UsageGroup{Counts: all})
	}
	slices.SortFunc(u.Groups, compareGroups)
	return nil
}

// groupScanner reads the rows of the grouping query: the columns of sel
// (NULL where the row's set does not group them), the GROUPING bitmask and
// the seven sums. Usage by every dimension returns tens of thousands of
// groups with a few distinct values per column, so it decodes the raw
// binary values itself and shares the strings and days between groups,
// instead of allocating each again for every row.
type groupScanner struct {
	sel      []string
	grouping bool // rows carry GROUPING(sel...) before the sums
	strs     map[string]string
	days     map[int32]*time.Time
}

func newGroupScanner(sel []string, grouping bool) *groupScanner {
	return &groupScanner{sel: sel, grouping: grouping, strs: map[string]string{}, days: map[int32]*time.Time{}}
}

var errRowShape = errors.New("unexpected usage row shape")

func (s *groupScanner) scan(rows pgx.Rows) (UsageGroup, int, error) {
	raw, fields := rows.RawValues(), rows.FieldDescriptions()
	n := len(s.sel)
	ints := make([]int64, 8) // GROUPING, then the sums
	if !s.grouping {
		ints = ints[1:]
	}
	if len(raw) != n+len(ints) {
		return UsageGroup{}, 0, errRowShape
	}
	var g UsageGroup
	for i, col := range s.sel {
		v := raw[i]
		if v == nil {
			continue
		}
		if col != "day" {
			*g.textField(col) = s.str(v)
			continue
		}
		if fields[i].Format != pgx.BinaryFormatCode || len(v) != 4 {
			return UsageGroup{}, 0, errRowShape
		}
		g.Day = s.day(int32(binary.BigEndian.Uint32(v)))
	}
	for j := range ints {
		v, f := raw[n+j], fields[n+j]
		switch {
		case f.Format != pgx.BinaryFormatCode:
			return UsageGroup{}, 0, errRowShape
		case len(v) == 4:
			ints[j] = int64(int32(binary.BigEndian.Uint32(v)))
		case len(v) == 8:
			ints[j] = int64(binary.BigEndian.Uint64(v))
		default:
			return UsageGroup{}, 0, errRowShape
		}
	}
	grouping := 0
	if s.grouping {
		grouping, ints = int(ints[0]), ints[1:]
	}
	g.Counts = Counts{Messages: ints[0], Sent: ints[1], Delivered: ints[2], Read: ints[3], Failed: ints[4],
		Charged: ints[5], Fallback: ints[6]}
	return g, grouping, nil
}

// str returns the string of b, the same one for equal bytes.
func (s *groupScanner) str(b []byte) string {
	if v, ok := s.strs[string(b)]; ok {
		return v
	}
	v := string(b)
	s.strs[v] = v
	return v
}

// day returns the date of PostgreSQL's binary days since 2000-01-01, the
// same pointer for the same day.
func (s *groupScanner) day(d int32) *time.Time {
	if t, ok := s.days[d]; ok {
		return t
	}
	t := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, int(d))
	s.days[d] = &t
	return &t
}

// textField returns the field of g that holds a text dimension column
// (every one but day).
func (g *UsageGroup) textField(col string) *string {
	switch col {
	case "phone_number_id":
		return &g.PhoneNumberID
	case "market":
		return &g.Market
	case "category":
		return &g.Category
	case "pricing_type":
		return &g.PricingType
	}
	panic("billing: no usage column " + col)
}

// addClass adds a (category, pricing_type) sum to its class.
func (t *UsageTotals) addClass(category, pricingType string, c Counts) {
	class := ClassOf(category, pricingType)
	sum := t.ByClass[class]
	sum.add(c, 1)
	t.ByClass[class] = sum
	if c.Fallback > 0 {
		t.Unrecognized = append(t.Unrecognized, category+"/"+pricingType)
	}
}

// inboundUsage adds inbound counts to the totals and, when the grouping
// allows, to the groups (creating groups that had inbound messages only).
func inboundUsage(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, q UsageQuery, cols []string, u *Usage) error {
	attach := !slices.Contains(cols, "category") && !slices.Contains(cols, "pricing_type")
	var inCols []string
	if attach {
		inCols = cols
	}
	sel, group := groupClauses(inCols)
	rows, err := tx.Query(ctx, `SELECT `+sel+`sum(messages)::bigint, sum(referrals)::bigint FROM billing_inbound_daily
		WHERE tenant_id = $1 AND day BETWEEN $2 AND $3`+group, tenantID, q.From, q.To)
	if err != nil {
		return fmt.Errorf("billing: inbound usage: %w", err)
	}
	defer rows.Close()
	at := map[groupKey]int{}
	for i, g := range u.Groups {
		at[g.key()] = i
	}
	for rows.Next() {
		var g UsageGroup
		var day time.Time
		var in InboundCounts
		dest := []any{}
		if attach {
			for _, c := range cols {
				if c == "day" {
					dest = append(dest, &day)
				} else {
					dest = append(dest, g.textField(c))
				}
			}
		}
		dest = append(dest, &in.Messages, &in.Referrals)
		if err := rows.Scan(dest...); err != nil {
			return fmt.Errorf("billing: inbound usage: %w", err)
		}
		u.Totals.Inbound.Messages += in.Messages
		u.Totals.Inbound.Referrals += in.Referrals
		if !attach {
			continue
		}
		if slices.Contains(cols, "day") {
			g.Day = &day
		}
		if i, ok := at[g.key()]; ok {
			u.Groups[i].Inbound = &in
			continue
		}
		g.Inbound = &in
		u.Groups = append(u.Groups, g)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if attach {
		slices.SortFunc(u.Groups, compareGroups)
	}
	return nil
}

// groupClauses returns the select list prefix and the GROUP BY ... ORDER BY
// tail for the grouped columns; without any, one row sums the range (none
// when the range is empty).
func groupClauses(cols []string) (sel, tail string) {
	if len(cols) == 0 {
		return "", " HAVING count(*) > 0"
	}
	list := strings.Join(cols, ", ")
	return list + ", ", " GROUP BY " + list + " ORDER BY " + list
}

// groupKey identifies a group by the dimensions inbound messages share.
type groupKey struct {
	day             time.Time
	phoneID, market string
}

func (g UsageGroup) key() groupKey {
	k := groupKey{phoneID: g.PhoneNumberID, market: g.Market}
	if g.Day != nil {
		k.day = *g.Day
	}
	return k
}

func compareGroups(a, b UsageGroup) int {
	if a.Day != nil && b.Day != nil {
		if c := a.Day.Compare(*b.Day); c != 0 {
			return c
		}
	}
	if c := strings.Compare(a.PhoneNumberID, b.PhoneNumberID); c != 0 {
		return c
	}
	if c := strings.Compare(a.Market, b.Market); c != 0 {
		return c
	}
	if c := strings.Compare(a.Category, b.Category); c != 0 {
		return c
	}
	return strings.Compare(a.PricingType, b.PricingType)
}
