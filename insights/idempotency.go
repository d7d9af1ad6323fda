package insights

import (
	"context"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/wabsp/wabsp/internal/idempotency"
)

// idempotent runs write at most once per (operation, key) for the tenant;
// see idempotency.Run.
func idempotent[T any](ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, op, key string, request []byte,
	write func() (T, error)) (T, bool, error) {
	return idempotency.Run(ctx, tx, "insight_idempotency", tenantID, op, key, request, write)
}
