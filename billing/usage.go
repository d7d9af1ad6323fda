package billing

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/wabsp/wabsp/internal/apperr"
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
type UsageQuery struct {
	From, To time.Time
	GroupBy  []Dimension
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
	err := s.db.InTenantTx(ctx, tenantID, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `SELECT time_zone FROM tenants WHERE id = $1`, tenantID).Scan(&u.TimeZone); err != nil {
			return pg.Translate(err, "tenant")
		}
		q.From, q.To = s.defaultRange(q.From, q.To, location(u.TimeZone))
		cols, err := q.validate()
		if err != nil {
			return err
		}
		u.From, u.To, u.Groups = q.From, q.To, []UsageGroup{}
		u.Totals = UsageTotals{ByClass: map[string]Counts{}, Unrecognized: []string{}}
		for _, dc := range dimColumns {
			if slices.Contains(cols, dc.col) {
				u.GroupBy = append(u.GroupBy, dc.dim)
			}
		}
		if err := usageScan(ctx, tx, tenantID, q, cols, &u); err != nil {
			return err
		}
		return inboundUsage(ctx, tx, tenantID, q, cols, &u)
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
// keeps the requested columns and takes the class totals from the one
// without phone numbers.
func usageScan(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, q UsageQuery, cols []string, u *Usage) error {
	if !slices.Contains(cols, "phone_number_id") {
		return scanUsage(ctx, tx, usageAll.name, tenantID, q, cols, true, u)
	}
	table := usageByPhone
	if usagePhone.covers(cols) {
		table = usagePhone
	}
	if err := scanUsage(ctx, tx, table.name, tenantID, q, cols, false, u); err != nil {
		return err
	}
	return scanUsage(ctx, tx, usageAll.name, tenantID, q, nil, true, u)
}

// scanUsage reads groups of cols (none when empty) and, when classes is
// set, the per-class totals, from one roll-up table in one pass.
func scanUsage(ctx context.Context, tx pgx.Tx, table string, tenantID uuid.UUID, q UsageQuery, cols []string, classes bool, u *Usage) error {
	classCols := []string{"category", "pricing_type"}
	sel := slices.Clone(cols)
	if classes {
		for _, c := range classCols {
			if !slices.Contains(sel, c) {
				sel = append(sel, c)
			}
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
	case !classes:
		sets, classMask = "("+strings.Join(cols, ", ")+")", -1
	case groupMask == classMask || len(cols) == 0:
		sets = "(category, pricing_type)"
	default:
		sets = "(" + strings.Join(cols, ", ") + "), (category, pricing_type)"
	}
	rows, err := tx.Query(ctx, `SELECT `+strings.Join(sel, ", ")+`, GROUPING(`+strings.Join(sel, ", ")+`), `+sumCounts+`
		FROM `+table+` WHERE tenant_id = $1 AND day BETWEEN $2 AND $3
		GROUP BY GROUPING SETS (`+sets+`) ORDER BY `+strings.Join(sel, ", "), tenantID, q.From, q.To)
	if err != nil {
		return fmt.Errorf("billing: usage: %w", err)
	}
	defer rows.Close()
	var all Counts
	for rows.Next() {
		g, grouping, err := scanGroup(rows, sel)
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
	if !classes {
		return nil
	}
	u.Totals.All = all
	if len(cols) == 0 && len(u.Groups) == 0 && !all.zero() && len(u.GroupBy) == 0 {
		u.Groups = append(u.Groups, UsageGroup{Counts: all})
	}
	slices.SortFunc(u.Groups, compareGroups)
	return nil
}

// scanGroup reads one row of the grouping query: the columns of sel (NULL
// where the row's set does not group them), the GROUPING bitmask, the sums.
func scanGroup(rows pgx.Rows, sel []string) (UsageGroup, int, error) {
	var day *time.Time
	var phone, market, category, typ *string
	var grouping int
	var c Counts
	dest := make([]any, 0, len(sel)+8)
	for _, col := range sel {
		switch col {
		case "day":
			dest = append(dest, &day)
		case "phone_number_id":
			dest = append(dest, &phone)
		case "market":
			dest = append(dest, &market)
		case "category":
			dest = append(dest, &category)
		case "pricing_type":
			dest = append(dest, &typ)
		}
	}
	dest = append(dest, &grouping, &c.Messages, &c.Sent, &c.Delivered, &c.Read, &c.Failed, &c.Charged, &c.Fallback)
	err := rows.Scan(dest...)
	return UsageGroup{Day: day, PhoneNumberID: deref(phone), Market: deref(market), Category: deref(category),
		PricingType: deref(typ), Counts: c}, grouping, err
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

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
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
				switch c {
				case "day":
					dest = append(dest, &day)
				case "phone_number_id":
					dest = append(dest, &g.PhoneNumberID)
				case "market":
					dest = append(dest, &g.Market)
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
