package billing

import (
	"context"
	"encoding/base64"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/wabsp/wabsp/internal/apperr"
)

// Margin is one tenant's month seen by the BSP: what Meta charges for its
// messages against what the tenant pays.
type Margin struct {
	TenantID   uuid.UUID `json:"tenant_id"`
	TenantName string    `json:"tenant_name"`
	Month      string    `json:"month"`
	Status     string    `json:"status"`
	Currency   string    `json:"currency"`
	MetaCost   Micros    `json:"meta_cost"`
	Revenue    Micros    `json:"revenue"`
	Margin     Micros    `json:"margin"`
	Charged    int64     `json:"charged"`
	Warnings   int       `json:"warnings"`
}

// MarginPage is one page of margins, by tenant id.
type MarginPage struct {
	Items      []Margin
	NextCursor string
}

// Margins returns Meta cost, revenue and margin per tenant for a month:
// final invoices where the month is closed, drafts otherwise. Tenants whose
// month has not begun are left out.
func (s *Service) Margins(ctx context.Context, month Month, limit int, cursor string) (MarginPage, error) {
	if limit <= 0 {
		limit = DefaultLimit
	}
	limit = min(limit, MaxLimit)
	after := uuid.Nil
	if cursor != "" {
		raw, err := base64.RawURLEncoding.DecodeString(cursor)
		if err == nil {
			after, err = uuid.FromBytes(raw)
		}
		if err != nil {
			return MarginPage{}, apperr.InvalidField("cursor", "not a cursor this list issued")
		}
	}
	page := MarginPage{Items: []Margin{}}
	err := s.db.InTx(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT id, name FROM tenants WHERE id > $1 ORDER BY id LIMIT $2`, after, limit+1)
		if err != nil {
			return fmt.Errorf("billing: margins: %w", err)
		}
		type tenant struct {
			id   uuid.UUID
			name string
		}
		list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (tenant, error) {
			var t tenant
			return t, r.Scan(&t.id, &t.name)
		})
		if err != nil {
			return fmt.Errorf("billing: margins: %w", err)
		}
		if len(list) > limit {
			list = list[:limit]
			page.NextCursor = base64.RawURLEncoding.EncodeToString(list[limit-1].id[:])
		}
		for _, t := range list {
			inv, err := s.invoice(ctx, tx, t.id, month)
			if apperr.Is(err, apperr.NotFound) {
				continue
			}
			if err != nil {
				return err
			}
			var charged int64
			for _, l := range inv.Lines {
				charged += l.Quantity
			}
			page.Items = append(page.Items, Margin{TenantID: t.id, TenantName: t.name, Month: inv.Month, Status: inv.Status,
				Currency: inv.Currency, MetaCost: inv.MetaCost, Revenue: inv.Total, Margin: inv.Margin,
				Charged: charged, Warnings: len(inv.Warnings)})
		}
		return nil
	})
	return page, err
}
