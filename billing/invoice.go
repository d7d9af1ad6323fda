package billing

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/wabsp/wabsp/internal/apperr"
	"github.com/wabsp/wabsp/internal/events"
	"github.com/wabsp/wabsp/internal/pg"
)

// Invoice statuses.
const (
	StatusDraft = "draft"
	StatusFinal = "final"
)

// Invoice is a tenant's bill for one month of its time zone. A draft is
// computed from the roll-ups on request; a final invoice is the document
// stored when the month closed and never changes.
type Invoice struct {
	ID       uuid.UUID `json:"id"`
	TenantID uuid.UUID `json:"tenant_id"`
	Month    string    `json:"month"`
	Status   string    `json:"status"`
	Currency string    `json:"currency"`
	TimeZone string    `json:"time_zone"`
	// PeriodStart and PeriodEnd are the month's first and last day.
	PeriodStart time.Time     `json:"period_start"`
	PeriodEnd   time.Time     `json:"period_end"`
	MarkupBP    int           `json:"markup_bp"`
	Lines       []InvoiceLine `json:"lines"`
	MonthlyFee  Micros        `json:"monthly_fee"`
	// Usage is the sum of line amounts; Total adds the monthly fee.
	Usage    Micros `json:"usage"`
	Total    Micros `json:"total"`
	MetaCost Micros `json:"meta_cost"`
	// Margin is Total minus MetaCost: what the BSP keeps.
	Margin Micros `json:"margin"`
	// Counts are the month's messages by class and its inbound messages,
	// billed or not, so the lines can be read against them.
	Counts      UsageTotals `json:"counts"`
	Warnings    []string    `json:"warnings"`
	ComputedAt  time.Time   `json:"computed_at"`
	FinalizedAt *time.Time  `json:"finalized_at,omitempty"`
}

// Invoice returns a tenant's invoice for month: the final one when the
// month was closed, else a draft computed now.
func (s *Service) Invoice(ctx context.Context, tenantID uuid.UUID, month Month) (Invoice, error) {
	var inv Invoice
	err := s.db.InTenantTx(ctx, tenantID, func(tx pgx.Tx) error {
		var err error
		inv, err = s.invoice(ctx, tx, tenantID, month)
		return err
	})
	return inv, err
}

// Estimate is the draft invoice of the tenant's current month.
func (s *Service) Estimate(ctx context.Context, tenantID uuid.UUID) (Invoice, error) {
	var inv Invoice
	err := s.db.InTenantTx(ctx, tenantID, func(tx pgx.Tx) error {
		t, err := tenantInfoOf(ctx, tx, tenantID)
		if err != nil {
			return err
		}
		inv, err = s.invoice(ctx, tx, tenantID, MonthOf(dayIn(s.cfg.Now(), t.loc)))
		return err
	})
	return inv, err
}

// invoice returns the stored final invoice or computes a draft, in tx.
func (s *Service) invoice(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, month Month) (Invoice, error) {
	inv, found, err := storedInvoice(ctx, tx, tenantID, month)
	if err != nil || found {
		return inv, err
	}
	t, err := tenantInfoOf(ctx, tx, tenantID)
	if err != nil {
		return Invoice{}, err
	}
	if MonthOf(dayIn(s.cfg.Now(), t.loc)).Before(month) {
		return Invoice{}, apperr.New(apperr.NotFound, "no invoice for %s yet", month)
	}
	return s.draft(ctx, tx, tenantID, t, month)
}

type tenantInfo struct {
	zone    string
	loc     *time.Location
	created time.Time
}

func tenantInfoOf(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID) (tenantInfo, error) {
	var t tenantInfo
	err := tx.QueryRow(ctx, `SELECT time_zone, created_at FROM tenants WHERE id = $1`, tenantID).Scan(&t.zone, &t.created)
	if err != nil {
		return t, pg.Translate(err, "tenant")
	}
	t.loc = location(t.zone)
	return t, nil
}

// draft computes the month's invoice from the roll-ups, the plan and the
// rate cards in force.
func (s *Service) draft(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, t tenantInfo, month Month) (Invoice, error) {
	plan, book, err := s.planAndBook(ctx, tx, tenantID)
	if err != nil {
		return Invoice{}, err
	}
	first, last := month.First(), month.Next().First().AddDate(0, 0, -1)
	days, err := chargedDays(ctx, tx, tenantID, first, last)
	if err != nil {
		return Invoice{}, err
	}
	inv := Invoice{TenantID: tenantID, Month: month.String(), Status: StatusDraft, Currency: plan.Currency,
		TimeZone: t.zone, PeriodStart: first, PeriodEnd: last, MarkupBP: plan.MarkupBP, MonthlyFee: plan.MonthlyFee.Amount(plan.Currency),
		ComputedAt: s.cfg.Now().UTC(), Warnings: []string{}}
	inv.Lines, inv.Warnings = priceMonth(days, book, plan)
	if inv.Warnings == nil {
		inv.Warnings = []string{}
	}
	for i := range inv.Lines {
		l := &inv.Lines[i]
		l.Amount = (l.UnitPrice * Micros(l.Quantity)).Amount(plan.Currency)
		l.MetaAmount = (l.MetaUnitCost * Micros(l.Quantity)).Amount(plan.Currency)
		inv.Usage += l.Amount
		inv.MetaCost += l.MetaAmount
	}
	inv.Total = inv.Usage + inv.MonthlyFee
	inv.Margin = inv.Total - inv.MetaCost
	q := UsageQuery{From: first, To: last}
	u := Usage{Totals: UsageTotals{ByClass: map[string]Counts{}, Unrecognized: []string{}}}
	if err := scanUsage(ctx, tx, usageAll.name, tenantID, q, nil, &u); err != nil {
		return Invoice{}, err
	}
	if err := inboundUsage(ctx, tx, tenantID, q, nil, &u); err != nil {
		return Invoice{}, err
	}
	inv.Counts = u.Totals
	for _, w := range inv.Warnings {
		s.cfg.Log.Warn("billing: missing rate", "tenant_id", tenantID, "month", inv.Month, "detail", w)
	}
	return inv, nil
}

// chargedDays sums charged messages per day, market and rate category.
func chargedDays(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, first, last time.Time) ([]chargedDay, error) {
	rows, err := tx.Query(ctx, `
		SELECT day, market, rate_category, sum(charged)::bigint FROM billing_usage_daily_all
		WHERE tenant_id = $1 AND day BETWEEN $2 AND $3 AND charged > 0
		GROUP BY day, market, rate_category`, tenantID, first, last)
	if err != nil {
		return nil, fmt.Errorf("billing: charged days: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (chargedDay, error) {
		var d chargedDay
		return d, r.Scan(&d.day, &d.market, &d.rateCategory, &d.count)
	})
	if err != nil {
		return nil, fmt.Errorf("billing: charged days: %w", err)
	}
	return out, nil
}

func storedInvoice(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, month Month) (Invoice, bool, error) {
	var doc []byte
	err := tx.QueryRow(ctx, `SELECT document FROM billing_invoices WHERE tenant_id = $1 AND month = $2`,
		tenantID, month.First()).Scan(&doc)
	if err == pgx.ErrNoRows {
		return Invoice{}, false, nil
	}
	if err != nil {
		return Invoice{}, false, fmt.Errorf("billing: read invoice: %w", err)
	}
	var inv Invoice
	if err := json.Unmarshal(doc, &inv); err != nil {
		return Invoice{}, false, fmt.Errorf("billing: decode invoice: %w", err)
	}
	return inv, true, nil
}

// closed reports whether month has ended in loc, grace included.
func (s *Service) closed(month Month, loc *time.Location) bool {
	return !s.cfg.Now().Before(monthStart(month.Next(), loc).Add(s.cfg.CloseGrace))
}

// FinalizeMonth stores a closed month's invoice for good and emits
// billing.invoice.finalized. Finalising again returns the stored invoice.
func (s *Service) FinalizeMonth(ctx context.Context, a Actor, tenantID uuid.UUID, month Month) (Invoice, error) {
	var inv Invoice
	err := s.db.InTenantTx(ctx, tenantID, func(tx pgx.Tx) error {
		stored, found, err := storedInvoice(ctx, tx, tenantID, month)
		if err != nil || found {
			inv = stored
			return err
		}
		t, err := tenantInfoOf(ctx, tx, tenantID)
		if err != nil {
			return err
		}
		if !s.closed(month, t.loc) {
			return apperr.New(apperr.FailedPrecondition, "%s is still open; it closes %s after its end", month, s.cfg.CloseGrace)
		}
		if inv, err = s.draft(ctx, tx, tenantID, t, month); err != nil {
			return err
		}
		return s.store(ctx, tx, a, &inv)
	})
	return inv, err
}

func (s *Service) store(ctx context.Context, tx pgx.Tx, a Actor, inv *Invoice) error {
	now := s.cfg.Now().UTC()
	inv.ID, inv.Status, inv.FinalizedAt = newID(), StatusFinal, &now
	doc, err := json.Marshal(inv)
	if err != nil {
		return fmt.Errorf("billing: encode invoice: %w", err)
	}
	_, err = tx.Exec(ctx, `
		INSERT INTO billing_invoices (id, tenant_id, month, currency, total_micros, meta_cost_micros, document, finalized_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		inv.ID, inv.TenantID, inv.PeriodStart, inv.Currency, inv.Total, inv.MetaCost, doc, now)
	if err != nil {
		return pg.Translate(err, "invoice")
	}
	_, err = events.Emit(ctx, tx, events.Event{
		TenantID: inv.TenantID, Type: events.BillingInvoiceFinalized, Subject: inv.Month, OccurredAt: now,
		DedupeKey: "billing.invoice.finalized:" + inv.Month,
		Data: map[string]any{"invoice_id": inv.ID, "month": inv.Month, "currency": inv.Currency,
			"total": inv.Total.Decimal(MinorDigits(inv.Currency)), "lines": len(inv.Lines)},
	})
	if err != nil {
		return err
	}
	return audit(ctx, tx, a, inv.TenantID, "billing.invoice.finalize", "invoice", inv.ID.String(),
		map[string]any{"month": inv.Month, "total": inv.Total.Decimal(MinorDigits(inv.Currency)), "currency": inv.Currency})
}
