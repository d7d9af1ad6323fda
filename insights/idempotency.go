package insights

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/wabsp/wabsp/internal/apperr"
)

// MaxIdempotencyKeyLen bounds Idempotency-Key values.
const MaxIdempotencyKeyLen = 200

// idempotent runs write once per (operation, key): the first call stores
// write's result beside a hash of the request, a later call with the same
// request returns the stored result without writing, and one with another
// request fails with Conflict. An empty key runs write every time. claim and
// write share the transaction, so a failed write leaves no claim behind,
// and a concurrent duplicate waits on the first one's row.
func idempotent[T any](ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, op, key string, request []byte,
	write func() (T, error)) (T, bool, error) {
	var zero T
	if key == "" {
		v, err := write()
		return v, false, err
	}
	if len(key) > MaxIdempotencyKeyLen {
		return zero, false, apperr.InvalidField("Idempotency-Key", fmt.Sprintf("at most %d characters", MaxIdempotencyKeyLen))
	}
	sum := sha256.Sum256(request)
	tag, err := tx.Exec(ctx, `
		INSERT INTO insight_idempotency (tenant_id, operation, key, request_sha256) VALUES ($1, $2, $3, $4)
		ON CONFLICT DO NOTHING`, tenantID, op, key, sum[:])
	if err != nil {
		return zero, false, fmt.Errorf("insights: claim idempotency key: %w", err)
	}
	if tag.RowsAffected() == 0 {
		var stored []byte
		var resp []byte
		err := tx.QueryRow(ctx, `SELECT request_sha256, response FROM insight_idempotency
			WHERE tenant_id = $1 AND operation = $2 AND key = $3`, tenantID, op, key).Scan(&stored, &resp)
		if err != nil {
			return zero, false, fmt.Errorf("insights: read idempotency key: %w", err)
		}
		if !bytes.Equal(stored, sum[:]) {
			return zero, false, apperr.New(apperr.Conflict, "Idempotency-Key was already used with a different request")
		}
		if resp == nil {
			return zero, false, errors.New("insights: idempotency key claimed without a response")
		}
		var v T
		if err := json.Unmarshal(resp, &v); err != nil {
			return zero, false, fmt.Errorf("insights: decode stored response: %w", err)
		}
		return v, true, nil
	}
	v, err := write()
	if err != nil {
		return zero, false, err
	}
	resp, err := json.Marshal(v)
	if err != nil {
		return zero, false, fmt.Errorf("insights: encode response: %w", err)
	}
	if _, err := tx.Exec(ctx, `UPDATE insight_idempotency SET response = $4
		WHERE tenant_id = $1 AND operation = $2 AND key = $3`, tenantID, op, key, resp); err != nil {
		return zero, false, fmt.Errorf("insights: store idempotent response: %w", err)
	}
	return v, false, nil
}
