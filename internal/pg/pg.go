// Package pg is wabsp's PostgreSQL plumbing: the pgx pool, embedded
// migrations, transactions (scoped to one tenant or system-wide) and the
// translation of driver errors into apperr codes.
//
// Row-level security is the second lock behind the tenant_id filter that every
// query carries: tenant-owned tables enable RLS with a policy comparing
// tenant_id to the transaction setting wabsp.tenant_id, and InTenantTx switches
// to the unprivileged role wabsp_tenant for the transaction. A query that forgot
// its tenant filter inside InTenantTx therefore still sees only that tenant's
// rows. System work (routing webhooks, admin views) runs as the owning role
// through InTx, which RLS does not restrict.
package pg

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/wabsp/wabsp/internal/apperr"
)

// TenantRole is the role tenant-scoped transactions run as.
const TenantRole = "wabsp_tenant"

// DB is the pool every store uses.
type DB struct {
	*pgxpool.Pool
}

// Open connects to url with at most maxConns connections and pings it.
func Open(ctx context.Context, url string, maxConns int32) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("pg: parse url: %w", err)
	}
	if maxConns > 0 {
		cfg.MaxConns = maxConns
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("pg: connect: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("pg: ping: %w", err)
	}
	return &DB{Pool: pool}, nil
}

// InTx runs fn in a transaction as the owning role (no RLS restriction).
// It commits when fn returns nil and rolls back otherwise.
func (db *DB) InTx(ctx context.Context, fn func(pgx.Tx) error) error {
	return pgx.BeginFunc(ctx, db.Pool, fn)
}

// InTenantTx runs fn in a transaction restricted by row-level security to
// tenantID. Queries inside must still filter on tenant_id; RLS only catches
// the ones that forget.
func (db *DB) InTenantTx(ctx context.Context, tenantID uuid.UUID, fn func(pgx.Tx) error) error {
	if tenantID == uuid.Nil {
		return apperr.New(apperr.Internal, "tenant transaction without a tenant")
	}
	return pgx.BeginFunc(ctx, db.Pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SET LOCAL ROLE "+TenantRole); err != nil {
			return fmt.Errorf("pg: set role: %w", err)
		}
		if _, err := tx.Exec(ctx, "SELECT set_config('wabsp.tenant_id', $1, true)", tenantID.String()); err != nil {
			return fmt.Errorf("pg: set tenant: %w", err)
		}
		return fn(tx)
	})
}

// SQLSTATE codes we translate.
const (
	uniqueViolation     = "23505"
	foreignKeyViolation = "23503"
	checkViolation      = "23514"
	insufficientPriv    = "42501"
)

// Translate maps driver errors to apperr codes, keeping the cause for logs.
// Errors that are already *apperr.Error pass through unchanged.
func Translate(err error, what string) error {
	if err == nil {
		return nil
	}
	if _, ok := apperr.As(err); ok {
		return err
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return apperr.Wrap(err, apperr.NotFound, "%s not found", what)
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case uniqueViolation:
			return apperr.Wrap(err, apperr.Conflict, "%s already exists", what)
		case foreignKeyViolation:
			return apperr.Wrap(err, apperr.Invalid, "%s refers to something that does not exist", what)
		case checkViolation:
			return apperr.Wrap(err, apperr.Invalid, "%s is not valid", what)
		case insufficientPriv:
			return apperr.Wrap(err, apperr.Forbidden, "%s is not accessible", what)
		}
	}
	return fmt.Errorf("%s: %w", what, err)
}
