package billing

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// Price is what a tenant pays per delivered message of a category to a
// market on a day, within a volume tier, beside Meta's rate.
type Price struct {
	Market        string    `json:"market"`
	Category      string    `json:"category"`
	TierFrom      int64     `json:"tier_from"`
	EffectiveFrom time.Time `json:"effective_from"`
	UnitPrice     Micros    `json:"unit_price"`
	MetaRate      Micros    `json:"meta_rate"`
	Override      bool      `json:"override"`
	Verified      bool      `json:"verified"`
}

// PriceList is a tenant's prices in force on a day.
type PriceList struct {
	Currency string    `json:"currency"`
	Day      time.Time `json:"day"`
	MarkupBP int       `json:"markup_bp"`
	Prices   []Price   `json:"prices"`
}

// Prices returns the tenant's effective prices on day (its current day when
// zero): every market × category with a rate in force in the plan's
// currency, priced by the plan.
func (s *Service) Prices(ctx context.Context, tenantID uuid.UUID, day time.Time) (PriceList, error) {
	var pl PriceList
	err := s.db.InTenantTx(ctx, tenantID, func(tx pgx.Tx) error {
		t, err := tenantInfoOf(ctx, tx, tenantID)
		if err != nil {
			return err
		}
		if day.IsZero() {
			day = dayIn(s.cfg.Now(), t.loc)
		}
		plan, book, err := s.planAndBook(ctx, tx, tenantID)
		if err != nil {
			return err
		}
		pl = PriceList{Currency: plan.Currency, Day: day, MarkupBP: plan.MarkupBP, Prices: []Price{}}
		for mc := range book.sets {
			set := book.lookup(mc[0], mc[1], day)
			if set == nil {
				continue
			}
			for _, r := range set.tiers {
				unit, override := plan.price(mc[0], mc[1], r.Rate)
				pl.Prices = append(pl.Prices, Price{Market: mc[0], Category: mc[1], TierFrom: r.TierFrom,
					EffectiveFrom: set.from, UnitPrice: unit, MetaRate: r.Rate, Override: override, Verified: r.Verified})
			}
		}
		slices.SortFunc(pl.Prices, func(a, b Price) int {
			return cmp.Or(cmp.Compare(a.Market, b.Market), cmp.Compare(a.Category, b.Category), cmp.Compare(a.TierFrom, b.TierFrom))
		})
		return nil
	})
	return pl, err
}
