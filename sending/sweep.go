package sending

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// StaleKey is where a listing of stale sends goes on from.
type StaleKey struct {
	UpdatedAt time.Time
	TenantID  uuid.UUID
	ID        uuid.UUID
}

// Stale lists up to limit sends of every tenant still queued and untouched
// since before, oldest first after from. They are the sends whose delivery
// task may have been lost: committed, then the enqueue failed. It reads as
// the owner role, across tenants, for the sweeper only.
func (st *Store) Stale(ctx context.Context, before time.Time, from StaleKey, limit int) ([]Send, error) {
	var out []Send
	err := st.db.InTx(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT id, tenant_id, phone_number_id, updated_at FROM sends
			WHERE state = 'queued' AND updated_at < $1 AND (updated_at, tenant_id, id) > ($2, $3, $4)
			ORDER BY updated_at, tenant_id, id LIMIT $5`, before, from.UpdatedAt, from.TenantID, from.ID, limit)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (Send, error) {
			var s Send
			err := r.Scan(&s.ID, &s.TenantID, &s.PhoneNumberID, &s.UpdatedAt)
			return s, err
		})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("sending: list stale sends: %w", err)
	}
	return out, nil
}
