package optins

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/wabsp/wabsp/internal/idempotency"
)

// idempotent runs write at most once per (operation, key) for the tenant;
// see idempotency.Run.
func idempotent[T any](ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, op, key string, request []byte,
	write func() (T, error)) (T, bool, error) {
	return idempotency.Run(ctx, tx, "optin_idempotency", tenantID, op, key, request, write)
}

// PurgeIdempotency forgets the Idempotency-Key records created before
// before, tenant by tenant, and returns how many it removed. Keys protect
// retries, which happen within minutes; kept for days they only grow.
func (s *Service) PurgeIdempotency(ctx context.Context, before time.Time) (int64, error) {
	rows, err := s.db.Query(ctx, `SELECT DISTINCT tenant_id FROM optin_idempotency WHERE created_at < $1`, before)
	if err != nil {
		return 0, fmt.Errorf("optins: purge idempotency keys: %w", err)
	}
	tenants, err := pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
	if err != nil {
		return 0, fmt.Errorf("optins: purge idempotency keys: %w", err)
	}
	var n int64
	for _, t := range tenants {
		err := s.inTenant(ctx, t, func(tx pgx.Tx) error {
			tag, err := tx.Exec(ctx, `DELETE FROM optin_idempotency WHERE tenant_id = $1 AND created_at < $2`, t, before)
			n += tag.RowsAffected()
			return err
		})
		if err != nil {
			return n, fmt.Errorf("optins: purge idempotency keys of %s: %w", t, err)
		}
	}
	return n, nil
}
