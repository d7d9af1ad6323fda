package billing

import (
	"context"
	"encoding/base64"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/wabsp/wabsp/internal/apperr"
)

// InvoiceSummary is one entry of a tenant's invoice list.
type InvoiceSummary struct {
	ID          uuid.UUID  `json:"id"`
	Month       string     `json:"month"`
	Status      string     `json:"status"`
	Currency    string     `json:"currency"`
	Total       Micros     `json:"total"`
	FinalizedAt *time.Time `json:"finalized_at,omitempty"`
}

// InvoicePage is one page of invoices, newest month first.
type InvoicePage struct {
	Items      []InvoiceSummary
	NextCursor string
}

// Paging bounds.
const (
	DefaultLimit = 50
	MaxLimit     = 200
)

// ListInvoices lists a tenant's invoices, newest month first: the months
// still open (drafts) on the first page, then the final ones. The cursor is
// the last month shown.
func (s *Service) ListInvoices(ctx context.Context, tenantID uuid.UUID, limit int, cursor string) (InvoicePage, error) {
	if limit <= 0 {
		limit = DefaultLimit
	}
	limit = min(limit, MaxLimit)
	var before time.Time
	if cursor != "" {
		raw, err := base64.RawURLEncoding.DecodeString(cursor)
		m, perr := ParseMonth(string(raw))
		if err != nil || perr != nil {
			return InvoicePage{}, apperr.InvalidField("cursor", "not a cursor this list issued")
		}
		before = m.First()
	}
	page := InvoicePage{Items: []InvoiceSummary{}}
	err := s.db.InTenantTx(ctx, tenantID, func(tx pgx.Tx) error {
		if cursor == "" {
			drafts, err := s.openInvoices(ctx, tx, tenantID)
			if err != nil {
				return err
			}
			page.Items = append(page.Items, drafts...)
		}
		rows, err := tx.Query(ctx, `
			SELECT id, month, currency, total_micros, finalized_at FROM billing_invoices
			WHERE tenant_id = $1 AND ($2::date IS NULL OR month < $2) ORDER BY month DESC LIMIT $3`,
			tenantID, nullTime(before), limit+1)
		if err != nil {
			return fmt.Errorf("billing: list invoices: %w", err)
		}
		finals, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (InvoiceSummary, error) {
			var i InvoiceSummary
			var month, at time.Time
			err := r.Scan(&i.ID, &month, &i.Currency, &i.Total, &at)
			i.Month, i.Status, i.FinalizedAt = MonthOf(month).String(), StatusFinal, &at
			return i, err
		})
		if err != nil {
			return fmt.Errorf("billing: list invoices: %w", err)
		}
		if len(finals) > limit {
			finals = finals[:limit]
			page.NextCursor = base64.RawURLEncoding.EncodeToString([]byte(finals[limit-1].Month))
		}
		page.Items = append(page.Items, finals...)
		return nil
	})
	return page, err
}

// openInvoices are the drafts of the current month and of the previous one
// while it is in its grace period and not final.
func (s *Service) openInvoices(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID) ([]InvoiceSummary, error) {
	t, err := tenantInfoOf(ctx, tx, tenantID)
	if err != nil {
		return nil, err
	}
	cur := MonthOf(dayIn(s.cfg.Now(), t.loc))
	months := []Month{cur}
	if prev := cur.Prev(); !s.closed(prev, t.loc) && t.created.Before(monthStart(cur, t.loc)) {
		months = append(months, prev)
	}
	var out []InvoiceSummary
	for _, m := range months {
		if _, found, err := storedInvoice(ctx, tx, tenantID, m); err != nil || found {
			if err != nil {
				return nil, err
			}
			continue
		}
		inv, err := s.draft(ctx, tx, tenantID, t, m)
		if err != nil {
			return nil, err
		}
		out = append(out, InvoiceSummary{Month: inv.Month, Status: StatusDraft, Currency: inv.Currency, Total: inv.Total})
	}
	return out, nil
}

// monthStart is the instant month begins in loc.
func monthStart(m Month, loc *time.Location) time.Time {
	return time.Date(m.Year, m.Month, 1, 0, 0, 0, 0, loc)
}

func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}

// FinalizeDue finalises, for every tenant, the latest month that has closed
// (its end in the tenant's zone plus the grace period) and has no final
// invoice, skipping months that ended before the tenant existed. It returns
// how many invoices it stored. The scheduler runs it hourly; running it
// twice stores nothing twice.
func (s *Service) FinalizeDue(ctx context.Context) (int, error) {
	type due struct {
		tenantID uuid.UUID
		month    Month
	}
	var list []due
	rows, err := s.db.Query(ctx, `SELECT t.id, t.time_zone, t.created_at FROM tenants t ORDER BY t.id`)
	if err != nil {
		return 0, fmt.Errorf("billing: due invoices: %w", err)
	}
	for rows.Next() {
		var id uuid.UUID
		var zone string
		var created time.Time
		if err := rows.Scan(&id, &zone, &created); err != nil {
			rows.Close()
			return 0, fmt.Errorf("billing: due invoices: %w", err)
		}
		loc := location(zone)
		// The month before the one (now - grace) falls in has closed.
		m := MonthOf(dayIn(s.cfg.Now().Add(-s.cfg.CloseGrace), loc)).Prev()
		if created.Before(monthStart(m.Next(), loc)) {
			list = append(list, due{id, m})
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("billing: due invoices: %w", err)
	}
	n := 0
	for _, d := range list {
		var exists bool
		if err := s.db.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM billing_invoices WHERE tenant_id = $1 AND month = $2)`,
			d.tenantID, d.month.First()).Scan(&exists); err != nil {
			return n, fmt.Errorf("billing: due invoices: %w", err)
		}
		if exists {
			continue
		}
		if _, err := s.FinalizeMonth(ctx, SystemActor("month closed"), d.tenantID, d.month); err != nil {
			return n, fmt.Errorf("billing: finalize %s for %s: %w", d.month, d.tenantID, err)
		}
		n++
	}
	return n, nil
}
