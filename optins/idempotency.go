package optins

import (
	"context"
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
	return idempotency.Purge(ctx, s.db, "optin_idempotency", before)
}
