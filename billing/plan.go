package billing

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/wabsp/wabsp/internal/apperr"
	"github.com/wabsp/wabsp/internal/pg"
)

// Plan is what a tenant pays: a monthly fee, a markup on Meta's cost, and
// per-message prices that replace the markup for some market × category.
type Plan struct {
	TenantID   uuid.UUID
	Currency   string
	MonthlyFee Micros
	// MarkupBP is the markup in basis points: 1500 is 15 %.
	MarkupBP  int
	Overrides []Override
	// Stored is false for a tenant with no plan yet: the defaults (the
	// tenant's currency, no fee, no markup) apply.
	Stored    bool
	UpdatedAt time.Time
}

// Override is a fixed per-message price for a market and rate category.
type Override struct {
	Market   string `json:"market"`
	Category string `json:"category"`
	Price    Micros `json:"price"`
}

// PlanInput sets a tenant's plan.
type PlanInput struct {
	Currency   string
	MonthlyFee Micros
	MarkupBP   int
	Overrides  []Override
}

// MaxMarkupBP bounds a markup (10,000 %), which catches a fee typed into the
// markup field without limiting real plans.
const MaxMarkupBP = 1_000_000

// ParsePercent reads a percentage with at most two decimals ("15", "12.5")
// as basis points.
func ParsePercent(s string) (int, error) {
	m, err := ParseMicros(s)
	if err != nil || m%10_000 != 0 {
		return 0, apperr.New(apperr.Invalid, "%q is not a percentage with at most 2 decimals", s)
	}
	bp := int64(m) / 10_000
	if bp > MaxMarkupBP {
		return 0, apperr.New(apperr.Invalid, "markup %s%% is too large", s)
	}
	return int(bp), nil
}

// FormatPercent writes basis points as a percentage with two decimals.
func FormatPercent(bp int) string {
	return strconv.Itoa(bp/100) + "." + fmt.Sprintf("%02d", bp%100)
}

// price returns the tenant's unit price for a market and rate category whose
// Meta unit cost is cost: the override when there is one, else cost marked
// up.
func (p Plan) price(market, category string, cost Micros) (Micros, bool) {
	for _, o := range p.Overrides {
		if o.Market == market && o.Category == category {
			return o.Price, true
		}
	}
	return mulDiv(cost, int64(10_000+p.MarkupBP), 10_000), false
}

// Plan returns a tenant's plan, or its defaults when none was set.
func (s *Service) Plan(ctx context.Context, tenantID uuid.UUID) (Plan, error) {
	var p Plan
	err := s.db.InTenantTx(ctx, tenantID, func(tx pgx.Tx) error {
		var err error
		p, err = loadPlan(ctx, tx, tenantID)
		return err
	})
	return p, err
}

// planAndBook loads the tenant's plan and the rate cards in its currency,
// which every priced answer (prices, invoices, one message) starts from.
func (s *Service) planAndBook(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID) (Plan, *rateBook, error) {
	plan, err := loadPlan(ctx, tx, tenantID)
	if err != nil {
		return Plan{}, nil, err
	}
	book, err := s.book(ctx, tx, plan.Currency)
	return plan, book, err
}

func loadPlan(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID) (Plan, error) {
	p := Plan{TenantID: tenantID, Overrides: []Override{}}
	err := tx.QueryRow(ctx, `
		SELECT t.currency, coalesce(p.currency, t.currency), coalesce(p.monthly_fee_micros, 0), coalesce(p.markup_bp, 0),
		    p.tenant_id IS NOT NULL, coalesce(p.updated_at, t.created_at)
		FROM tenants t LEFT JOIN billing_plans p ON p.tenant_id = t.id
		WHERE t.id = $1`, tenantID).Scan(new(string), &p.Currency, &p.MonthlyFee, &p.MarkupBP, &p.Stored, &p.UpdatedAt)
	if err != nil {
		return p, pg.Translate(err, "tenant")
	}
	rows, err := tx.Query(ctx, `
		SELECT market, category, price_micros FROM billing_price_overrides
		WHERE tenant_id = $1 ORDER BY market, category`, tenantID)
	if err != nil {
		return p, fmt.Errorf("billing: overrides: %w", err)
	}
	p.Overrides, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (Override, error) {
		var o Override
		return o, r.Scan(&o.Market, &o.Category, &o.Price)
	})
	if err != nil {
		return p, fmt.Errorf("billing: overrides: %w", err)
	}
	return p, nil
}

func (in *PlanInput) validate(markets *marketTable) error {
	in.Currency = strings.ToUpper(strings.TrimSpace(in.Currency))
	errs := rowErrors{}
	if !currencyRE.MatchString(in.Currency) {
		errs.add("currency", "must be an ISO 4217 code such as USD")
	}
	if in.MonthlyFee < 0 {
		errs.add("monthly_fee", "must not be negative")
	}
	if in.MarkupBP < 0 || in.MarkupBP > MaxMarkupBP {
		errs.add("markup_percent", "must be between 0 and 10000")
	}
	seen := map[[2]string]bool{}
	for i := range in.Overrides {
		o := &in.Overrides[i]
		o.Category = NormalizeCategory(o.Category)
		at := fmt.Sprintf("overrides[%d]", i)
		if !markets.known(o.Market) {
			errs.add(at, "market %q is not a rate-card market", o.Market)
		}
		if !slices.Contains(RateCategories, o.Category) {
			errs.add(at, "category %q is not a rate-card category", o.Category)
		}
		if o.Price < 0 {
			errs.add(at, "price must not be negative")
		}
		k := [2]string{o.Market, o.Category}
		if seen[k] {
			errs.add(at, "repeats %s / %s", o.Market, o.Category)
		}
		seen[k] = true
	}
	return errs.err("plan")
}

// SetPlan replaces a tenant's plan. It changes drafts at once; final
// invoices keep the plan they were issued under.
func (s *Service) SetPlan(ctx context.Context, a Actor, tenantID uuid.UUID, in PlanInput) (Plan, error) {
	markets, err := s.marketTable(ctx)
	if err != nil {
		return Plan{}, err
	}
	if err := in.validate(markets); err != nil {
		return Plan{}, err
	}
	slices.SortFunc(in.Overrides, func(a, b Override) int {
		return cmp.Or(cmp.Compare(a.Market, b.Market), cmp.Compare(a.Category, b.Category))
	})
	var p Plan
	err = s.db.InTx(ctx, func(tx pgx.Tx) error {
		if _, err := loadPlan(ctx, tx, tenantID); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `
			INSERT INTO billing_plans (tenant_id, currency, monthly_fee_micros, markup_bp, updated_at)
			VALUES ($1, $2, $3, $4, now())
			ON CONFLICT (tenant_id) DO UPDATE SET currency = excluded.currency,
			    monthly_fee_micros = excluded.monthly_fee_micros, markup_bp = excluded.markup_bp, updated_at = now()`,
			tenantID, in.Currency, in.MonthlyFee, in.MarkupBP)
		if err != nil {
			return pg.Translate(err, "tenant")
		}
		if _, err := tx.Exec(ctx, `DELETE FROM billing_price_overrides WHERE tenant_id = $1`, tenantID); err != nil {
			return fmt.Errorf("billing: overrides: %w", err)
		}
		for _, o := range in.Overrides {
			if _, err := tx.Exec(ctx, `
				INSERT INTO billing_price_overrides (tenant_id, market, category, price_micros) VALUES ($1, $2, $3, $4)`,
				tenantID, o.Market, o.Category, o.Price); err != nil {
				return fmt.Errorf("billing: overrides: %w", err)
			}
		}
		if p, err = loadPlan(ctx, tx, tenantID); err != nil {
			return err
		}
		return audit(ctx, tx, a, tenantID, "billing.plan.set", "billing_plan", tenantID.String(), planAudit(p))
	})
	return p, err
}

func planAudit(p Plan) map[string]any {
	ov := make([]map[string]string, len(p.Overrides))
	for i, o := range p.Overrides {
		ov[i] = map[string]string{"market": o.Market, "category": o.Category, "price": o.Price.String()}
	}
	return map[string]any{"currency": p.Currency, "monthly_fee": p.MonthlyFee.Amount(p.Currency).Decimal(MinorDigits(p.Currency)),
		"markup_percent": FormatPercent(p.MarkupBP), "overrides": ov}
}
