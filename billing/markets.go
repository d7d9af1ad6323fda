package billing

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// Market names that no calling-code table lists.
const (
	// MarketOther is Meta's market for countries its table does not list.
	MarketOther = "Other"
	// MarketUnknown is a message whose recipient number Meta did not send
	// (a username-only contact); it cannot be priced until Meta says more.
	MarketUnknown = "Unknown"
)

// MarketPlacement is one row of the calling-code table: a prefix's market
// from a day on.
type MarketPlacement struct {
	CallingCode   string
	ISO2          string
	Country       string
	Market        string
	EffectiveFrom time.Time
	// Primary marks the code's main country, the row prefix matching uses
	// when several countries share a code.
	Primary bool
}

// marketTable answers "which market is this number in on this day".
type marketTable struct {
	byCode map[string][]MarketPlacement // primary rows, newest first
	byISO  map[string][]MarketPlacement // every row, newest first
	names  map[string]bool
}

// maxPrefix is the longest calling-code prefix the table may hold.
const maxPrefix = 8

func newMarketTable(rows []MarketPlacement) *marketTable {
	t := &marketTable{byCode: map[string][]MarketPlacement{}, byISO: map[string][]MarketPlacement{},
		names: map[string]bool{MarketOther: true}}
	for _, r := range rows {
		if r.Primary {
			t.byCode[r.CallingCode] = append(t.byCode[r.CallingCode], r)
		}
		t.byISO[r.ISO2] = append(t.byISO[r.ISO2], r)
		t.names[r.Market] = true
	}
	newestFirst := func(a, b MarketPlacement) int {
		return cmp.Or(b.EffectiveFrom.Compare(a.EffectiveFrom), cmp.Compare(a.CallingCode, b.CallingCode))
	}
	for _, m := range []map[string][]MarketPlacement{t.byCode, t.byISO} {
		for _, rows := range m {
			slices.SortStableFunc(rows, newestFirst)
		}
	}
	return t
}

// ofNumber returns the market of a number (digits of E.164 without "+") on
// a day: the longest prefix placed by then. A number no prefix matches is
// Other, as Meta's table says.
func (t *marketTable) ofNumber(digits string, day time.Time) string {
	for n := min(len(digits), maxPrefix); n > 0; n-- {
		for _, p := range t.byCode[digits[:n]] {
			if !p.EffectiveFrom.After(day) {
				return p.Market
			}
		}
	}
	return MarketOther
}

// ofCountry returns the market of an ISO 3166 country on a day, for
// recipients known only by a business-scoped user id ("US.1349...").
func (t *marketTable) ofCountry(iso2 string, day time.Time) (string, bool) {
	for _, p := range t.byISO[iso2] {
		if !p.EffectiveFrom.After(day) {
			return p.Market, true
		}
	}
	return "", false
}

// marketOf places a recipient: by number when Meta sent one, else by the
// country prefix of the business-scoped user id.
func (t *marketTable) marketOf(recipient, userID string, day time.Time) string {
	if d := digitsOf(recipient); d != "" {
		return t.ofNumber(d, day)
	}
	if cc, _, ok := strings.Cut(userID, "."); ok && len(cc) == 2 {
		if m, ok := t.ofCountry(strings.ToUpper(cc), day); ok {
			return m
		}
		return MarketOther
	}
	return MarketUnknown
}

// digitsOf keeps the digits of a phone number or wa_id.
func digitsOf(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// known reports whether name is a market of the table.
func (t *marketTable) known(name string) bool { return t.names[name] }

func loadMarkets(ctx context.Context, q interface {
	Query(context.Context, string, ...any) (pgx.Rows, error)
}) (*marketTable, error) {
	rows, err := q.Query(ctx, `
		SELECT calling_code, iso2, country, market, effective_from, is_primary
		FROM billing_markets ORDER BY calling_code, effective_from, iso2`)
	if err != nil {
		return nil, fmt.Errorf("billing: load markets: %w", err)
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (MarketPlacement, error) {
		var p MarketPlacement
		err := r.Scan(&p.CallingCode, &p.ISO2, &p.Country, &p.Market, &p.EffectiveFrom, &p.Primary)
		return p, err
	})
	if err != nil {
		return nil, fmt.Errorf("billing: load markets: %w", err)
	}
	return newMarketTable(list), nil
}
