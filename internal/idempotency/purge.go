package idempotency

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// Store is the database a purge works on: a pool to find the tenants with
// old records, and tenant transactions to delete them under row-level
// security (implemented by *pg.DB).
type Store interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	InTenantTx(ctx context.Context, tenantID uuid.UUID, fn func(pgx.Tx) error) error
}

// Purge forgets the records of table created before before, tenant by
// tenant, and returns how many it removed. Keys protect retries, which
// happen within minutes; kept for days they only grow. table is a name from
// the code, never from input.
func Purge(ctx context.Context, db Store, table string, before time.Time) (int64, error) {
	t := pgx.Identifier{table}.Sanitize()
	rows, err := db.Query(ctx, `SELECT DISTINCT tenant_id FROM `+t+` WHERE created_at < $1`, before)
	if err != nil {
		return 0, fmt.Errorf("idempotency: purge %s: %w", table, err)
	}
	tenants, err := pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
	if err != nil {
		return 0, fmt.Errorf("idempotency: purge %s: %w", table, err)
	}
	var n int64
	for _, tenant := range tenants {
		err := db.InTenantTx(ctx, tenant, func(tx pgx.Tx) error {
			tag, err := tx.Exec(ctx, `DELETE FROM `+t+` WHERE tenant_id = $1 AND created_at < $2`, tenant, before)
			n += tag.RowsAffected()
			return err
		})
		if err != nil {
			return n, fmt.Errorf("idempotency: purge %s of %s: %w", table, tenant, err)
		}
	}
	return n, nil
}
