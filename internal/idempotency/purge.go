package idempotency

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Store is the database a purge works on: the pool, as the owning role, to
// find the tenants with old records and to delete records no tenant owns
// (a partner's), and tenant transactions to delete the rest under
// row-level security (implemented by *pg.DB).
type Store interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	InTenantTx(ctx context.Context, tenantID uuid.UUID, fn func(pgx.Tx) error) error
}

// Table is one domain's table of Idempotency-Key records and how long its
// keys are honoured. Keys protect retries, which happen within minutes;
// kept for good they only grow.
type Table struct {
	Name      string
	Retention time.Duration
}

// PurgeAll forgets, in each table, the records older than the table's
// retention as of now, and returns how many each table lost. It goes on
// past a table that fails, so one broken table does not keep the others
// growing, and returns the first error.
func PurgeAll(ctx context.Context, db Store, tables []Table, now time.Time) (map[string]int64, error) {
	out := make(map[string]int64, len(tables))
	var first error
	for _, t := range tables {
		n, err := Purge(ctx, db, t.Name, now.Add(-t.Retention))
		out[t.Name] = n
		if err != nil && first == nil {
			first = err
		}
	}
	return out, first
}

// Purge forgets the records of table created before before, tenant by
// tenant, then those no tenant owns, and returns how many it removed.
// table is a name from the code, never from input.
func Purge(ctx context.Context, db Store, table string, before time.Time) (int64, error) {
	t := pgx.Identifier{table}.Sanitize()
	rows, err := db.Query(ctx, `SELECT DISTINCT tenant_id FROM `+t+` WHERE created_at < $1 AND tenant_id IS NOT NULL`, before)
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
	tag, err := db.Exec(ctx, `DELETE FROM `+t+` WHERE tenant_id IS NULL AND created_at < $1`, before)
	n += tag.RowsAffected()
	if err != nil {
		return n, fmt.Errorf("idempotency: purge %s without a tenant: %w", table, err)
	}
	return n, nil
}
