package billing

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
)

// Rate is one row of a rate card: what Meta charges per delivered message of
// a category to a market, from a day on, within a volume tier.
type Rate struct {
	Currency string
	Market   string
	Category string
	// EffectiveFrom is the first day the rate applies; EffectiveTo, when not
	// zero, the first day it no longer does. Without it a rate lasts until
	// the next rate of its market and category takes effect.
	EffectiveFrom time.Time
	EffectiveTo   time.Time
	// TierFrom is the monthly volume the tier starts at; 0 is the list rate.
	TierFrom int64
	Rate     Micros
	// Verified is false for rates not checked against Meta's own card.
	Verified bool
	Source   string
	// Version is the load that stored the rate (0 before it is stored).
	Version int64
	// Line is the CSV line the rate was read from, for row-level errors.
	Line int
}

// setKey names a rate set: every tier of one market, category and start day.
type setKey struct {
	currency, market, category string
	from                       time.Time
}

func (r Rate) setKey() setKey {
	return setKey{currency: r.Currency, market: r.Market, category: r.Category, from: r.EffectiveFrom}
}

// rateSet is a set of tiers in force over [from, to).
type rateSet struct {
	from, to time.Time
	version  int64
	tiers    []Rate // by TierFrom ascending; tiers[0].TierFrom == 0 once valid
}

// inForce reports whether the set applies on day.
func (s *rateSet) inForce(day time.Time) bool {
	return !s.from.After(day) && (s.to.IsZero() || day.Before(s.to))
}

// rateBook is the rates of one currency in force, by market and category.
type rateBook struct {
	currency string
	sets     map[[2]string][]*rateSet // ascending by from
}

// lookup returns the set pricing market × category on day: the latest that
// started by then, unless it ended.
func (b *rateBook) lookup(market, category string, day time.Time) *rateSet {
	sets := b.sets[[2]string{market, category}]
	i, _ := slices.BinarySearchFunc(sets, day, func(s *rateSet, d time.Time) int {
		if s.from.After(d) {
			return 1
		}
		return -1
	})
	if i == 0 {
		return nil
	}
	if s := sets[i-1]; s.inForce(day) {
		return s
	}
	return nil
}

// rates returns every rate of the book, ordered for export.
func (b *rateBook) rates() []Rate {
	var out []Rate
	for _, sets := range b.sets {
		for _, s := range sets {
			out = append(out, s.tiers...)
		}
	}
	slices.SortFunc(out, compareRates)
	return out
}

func compareRates(a, b Rate) int {
	return cmp.Or(cmp.Compare(a.Currency, b.Currency), cmp.Compare(a.Market, b.Market),
		cmp.Compare(a.Category, b.Category), a.EffectiveFrom.Compare(b.EffectiveFrom), cmp.Compare(a.TierFrom, b.TierFrom))
}

// buildBooks groups rates into sets, keeping for each set key only the rows
// of the newest version that holds it: a reload replaces a set whole, tiers
// included.
func buildBooks(rates []Rate) map[string]*rateBook {
	newest := map[setKey]int64{}
	for _, r := range rates {
		k := r.setKey()
		newest[k] = max(newest[k], r.Version)
	}
	books := map[string]*rateBook{}
	sets := map[setKey]*rateSet{}
	for _, r := range rates {
		k := r.setKey()
		if r.Version != newest[k] {
			continue
		}
		s, ok := sets[k]
		if !ok {
			s = &rateSet{from: r.EffectiveFrom, to: r.EffectiveTo, version: r.Version}
			sets[k] = s
			b := books[r.Currency]
			if b == nil {
				b = &rateBook{currency: r.Currency, sets: map[[2]string][]*rateSet{}}
				books[r.Currency] = b
			}
			mk := [2]string{r.Market, r.Category}
			b.sets[mk] = append(b.sets[mk], s)
		}
		s.tiers = append(s.tiers, r)
	}
	for _, b := range books {
		for _, list := range b.sets {
			slices.SortFunc(list, func(x, y *rateSet) int { return x.from.Compare(y.from) })
			for _, s := range list {
				slices.SortFunc(s.tiers, func(x, y Rate) int { return cmp.Compare(x.TierFrom, y.TierFrom) })
			}
		}
	}
	return books
}

type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// loadRates reads every stored rate of the currencies (all when none given).
func loadRates(ctx context.Context, q querier, currencies ...string) ([]Rate, error) {
	rows, err := q.Query(ctx, `
		SELECT currency, market, category, effective_from, effective_to, tier_from, rate_micros, verified, source, version_id
		FROM billing_rates WHERE cardinality($1::text[]) = 0 OR currency = ANY($1::text[])`, currencies)
	if err != nil {
		return nil, fmt.Errorf("billing: load rates: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Rate, error) {
		var r Rate
		var to *time.Time
		err := row.Scan(&r.Currency, &r.Market, &r.Category, &r.EffectiveFrom, &to, &r.TierFrom, &r.Rate,
			&r.Verified, &r.Source, &r.Version)
		if to != nil {
			r.EffectiveTo = *to
		}
		return r, err
	})
	if err != nil {
		return nil, fmt.Errorf("billing: load rates: %w", err)
	}
	return out, nil
}

// book returns the rates in force for one currency.
func (s *Service) book(ctx context.Context, q querier, currency string) (*rateBook, error) {
	rates, err := loadRates(ctx, q, currency)
	if err != nil {
		return nil, err
	}
	if b := buildBooks(rates)[currency]; b != nil {
		return b, nil
	}
	return &rateBook{currency: currency, sets: map[[2]string][]*rateSet{}}, nil
}

// Rates returns the rates in force (newest version of each set) of a
// currency, or of every currency when currency is "".
func (s *Service) Rates(ctx context.Context, currency string) ([]Rate, error) {
	var cs []string
	if currency != "" {
		cs = []string{currency}
	}
	rates, err := loadRates(ctx, s.db, cs...)
	if err != nil {
		return nil, err
	}
	var out []Rate
	for _, b := range buildBooks(rates) {
		out = append(out, b.rates()...)
	}
	slices.SortFunc(out, compareRates)
	return out, nil
}
