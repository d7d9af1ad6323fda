package billing

import (
	"cmp"
	"fmt"
	"slices"
	"time"
)

// chargedDay is the charged messages of one day, market and rate category.
type chargedDay struct {
	day                  time.Time
	market, rateCategory string
	count                int64
}

// InvoiceLine is what a tenant is charged for one market and rate category
// at one unit price: a rate set (card) and tier. Meta's cost sits beside the
// tenant's price.
type InvoiceLine struct {
	Market   string `json:"market"`
	Category string `json:"category"`
	// RateFrom is the effective_from of the rate set used (zero when no
	// rate was found); TierFrom the volume the tier starts at.
	RateFrom time.Time `json:"rate_from"`
	TierFrom int64     `json:"tier_from"`
	Quantity int64     `json:"quantity"`
	// UnitPrice and Amount are the tenant's; Amount is rounded to the
	// currency's minor unit.
	UnitPrice Micros `json:"unit_price"`
	Amount    Micros `json:"amount"`
	// MetaUnitCost and MetaAmount are what Meta charges the BSP.
	MetaUnitCost Micros `json:"meta_unit_cost"`
	MetaAmount   Micros `json:"meta_amount"`
	// Override says the unit price is the plan's fixed price, not a markup.
	Override bool `json:"override"`
	// Verified is false when the rate was not checked against Meta's card.
	Verified bool `json:"verified"`
	// RateMissing says no rate covered these messages; Meta's cost is then
	// counted as zero and the invoice carries a warning.
	RateMissing bool  `json:"rate_missing"`
	RateVersion int64 `json:"rate_version"`
}

type lineKey struct {
	market, category string
	from             time.Time
	tier             int64
	missing          bool
}

// priceMonth prices a month's charged messages. Volume tiers count per
// market and tier group (authentication-international continues the
// authentication count) across the whole month, card changes included, in
// day order; within a day, categories go in name order. Each tier's rate
// applies only to the messages inside it.
func priceMonth(days []chargedDay, book *rateBook, plan Plan) ([]InvoiceLine, []string) {
	slices.SortFunc(days, func(a, b chargedDay) int {
		return cmp.Or(a.day.Compare(b.day), cmp.Compare(a.market, b.market), cmp.Compare(a.rateCategory, b.rateCategory))
	})
	lines := map[lineKey]*InvoiceLine{}
	volume := map[[2]string]int64{}
	var warnings []string
	add := func(k lineKey, n int64, rate Rate) {
		l := lines[k]
		if l == nil {
			l = &InvoiceLine{Market: k.market, Category: k.category, RateFrom: k.from, TierFrom: k.tier,
				MetaUnitCost: rate.Rate, Verified: rate.Verified, RateMissing: k.missing, RateVersion: rate.Version}
			l.UnitPrice, l.Override = plan.price(k.market, k.category, rate.Rate)
			if k.missing && !l.Override {
				l.UnitPrice = 0
			}
			lines[k] = l
		}
		l.Quantity += n
	}
	for _, d := range days {
		group, tiered := tierGroup(d.rateCategory)
		vk := [2]string{d.market, group}
		set := book.lookup(d.market, d.rateCategory, d.day)
		if set == nil {
			warnings = append(warnings, fmt.Sprintf("no %s rate for %s / %s on %s: %d messages priced at zero cost",
				book.currency, d.market, d.rateCategory, d.day.Format(DateLayout), d.count))
			add(lineKey{market: d.market, category: d.rateCategory, missing: true}, d.count, Rate{})
			continue
		}
		start := volume[vk]
		if tiered {
			volume[vk] += d.count
		}
		for i, t := range set.tiers {
			lo, hi := t.TierFrom, int64(-1)
			if i+1 < len(set.tiers) {
				hi = set.tiers[i+1].TierFrom
			}
			if !tiered {
				lo, hi = 0, -1
			}
			n := overlap(start, start+d.count, lo, hi)
			if n > 0 {
				add(lineKey{market: d.market, category: d.rateCategory, from: set.from, tier: t.TierFrom}, n, t)
			}
			if !tiered {
				break
			}
		}
	}
	out := make([]InvoiceLine, 0, len(lines))
	for _, l := range lines {
		out = append(out, *l)
	}
	slices.SortFunc(out, func(a, b InvoiceLine) int {
		return cmp.Or(cmp.Compare(a.Market, b.Market), cmp.Compare(a.Category, b.Category),
			a.RateFrom.Compare(b.RateFrom), cmp.Compare(a.TierFrom, b.TierFrom))
	})
	return out, warnings
}

// overlap counts the positions of [a, b) inside [lo, hi); hi < 0 is open.
func overlap(a, b, lo, hi int64) int64 {
	from := max(a, lo)
	to := b
	if hi >= 0 {
		to = min(b, hi)
	}
	return max(to-from, 0)
}
