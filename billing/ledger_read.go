package billing

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/wabsp/wabsp/internal/pg"
)

// LedgerEntry is one message's billing ledger row, priced at the list rate
// (first volume tier) of its market and rate category on its billing day.
// The invoice prices whole months by tier, so a message deep into a month's
// volume may be invoiced lower; this is the price before tier discounts.
type LedgerEntry struct {
	Market       string
	Category     string
	RateCategory string
	PricingType  string
	PricingModel string
	// Billable is Meta's flag; nil when Meta sent no pricing.
	Billable *bool
	Charged  bool
	Fallback bool
	Day      time.Time
	BilledAt time.Time
	Currency string
	// RateMissing says no rate covered the message: MetaCost is zero, and
	// so is Price unless the plan fixes one.
	RateMissing bool
	MetaCost    Micros
	Price       Micros
}

// LedgerEntry returns a message's ledger row; found is false when the
// message has none (no status carried it to the ledger yet).
func (s *Service) LedgerEntry(ctx context.Context, tenantID uuid.UUID, wamid string) (e LedgerEntry, found bool, err error) {
	err = s.db.InTenantTx(ctx, tenantID, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `
			SELECT market, category, rate_category, pricing_type, pricing_model, billable, charged, fallback, day, billed_at
			FROM billing_ledger WHERE tenant_id = $1 AND wamid = $2`, tenantID, wamid).
			Scan(&e.Market, &e.Category, &e.RateCategory, &e.PricingType, &e.PricingModel, &e.Billable,
				&e.Charged, &e.Fallback, &e.Day, &e.BilledAt)
		if err == pgx.ErrNoRows {
			return nil
		}
		if err != nil {
			return pg.Translate(err, "ledger row")
		}
		found = true
		return s.priceEntry(ctx, tx, tenantID, &e)
	})
	return e, found, err
}

func (s *Service) priceEntry(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, e *LedgerEntry) error {
	plan, book, err := s.planAndBook(ctx, tx, tenantID)
	if err != nil {
		return err
	}
	e.Currency = plan.Currency
	if !e.Charged {
		// Free messages (service, free entry point, not billable) cost
		// nothing whatever the card says.
		return nil
	}
	set := book.lookup(e.Market, e.RateCategory, e.Day)
	e.RateMissing = set == nil || len(set.tiers) == 0
	if !e.RateMissing {
		e.MetaCost = set.tiers[0].Rate
	}
	price, override := plan.price(e.Market, e.RateCategory, e.MetaCost)
	if e.RateMissing && !override {
		price = 0
	}
	e.Price = price
	return nil
}
