package optins

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/wabsp/wabsp/internal/idempotency"
)

// KeyTable holds the Idempotency-Key records of consent writes and imports,
// honoured for seven days: long enough for any client's retries.
var KeyTable = idempotency.Table{Name: "optin_idempotency", Retention: 7 * 24 * time.Hour}

// idempotent runs write at most once per (operation, key) for the tenant;
// see idempotency.Run.
func idempotent[T any](ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, op, key string, request []byte,
	write func() (T, error)) (T, bool, error) {
	return idempotency.Run(ctx, tx, KeyTable.Name, tenantID, op, key, request, write)
}
