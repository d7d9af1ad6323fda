// Package idempotency makes a creating write safe to retry with an
// Idempotency-Key: the same key and request return the first result, the same
// key with another request is a conflict. Each domain keeps its records in a
// table of its own with the columns (tenant_id, operation, key,
// request_sha256, response) and a unique key on (tenant_id, operation, key).
package idempotency

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

// MaxKeyLen bounds Idempotency-Key values.
const MaxKeyLen = 200

// Run runs write once per (operation, key) in table: the first call stores
// write's result beside a hash of the request, a later call with the same
// request returns the stored result without writing (replayed is true), and
// one with another request fails with Conflict. An empty key runs write every
// time. The claim and the write share tx, so a failed write leaves no claim
// behind, and a concurrent duplicate waits on the first one's row. table is a
// name from the code, never from input.
func Run[T any](ctx context.Context, tx pgx.Tx, table string, tenantID uuid.UUID, op, key string, request []byte,
	write func() (T, error)) (result T, replayed bool, err error) {
	var zero T
	if key == "" {
		v, err := write()
		return v, false, err
	}
	if len(key) > MaxKeyLen {
		return zero, false, apperr.InvalidField("Idempotency-Key", fmt.Sprintf("at most %d characters", MaxKeyLen))
	}
	t := pgx.Identifier{table}.Sanitize()
	sum := sha256.Sum256(request)
	tag, err := tx.Exec(ctx, `INSERT INTO `+t+` (tenant_id, operation, key, request_sha256) VALUES ($1, $2, $3, $4)
		ON CONFLICT DO NOTHING`, tenantID, op, key, sum[:])
	if err != nil {
		return zero, false, fmt.Errorf("idempotency: claim key in %s: %w", table, err)
	}
	if tag.RowsAffected() == 0 {
		var stored, resp []byte
		err := tx.QueryRow(ctx, `SELECT request_sha256, response FROM `+t+`
			WHERE tenant_id = $1 AND operation = $2 AND key = $3`, tenantID, op, key).Scan(&stored, &resp)
		if err != nil {
			return zero, false, fmt.Errorf("idempotency: read key in %s: %w", table, err)
		}
		if !bytes.Equal(stored, sum[:]) {
			return zero, false, apperr.New(apperr.Conflict, "Idempotency-Key was already used with a different request")
		}
		if resp == nil {
			return zero, false, errors.New("idempotency: key claimed without a response in " + table)
		}
		var v T
		if err := json.Unmarshal(resp, &v); err != nil {
			return zero, false, fmt.Errorf("idempotency: decode stored response in %s: %w", table, err)
		}
		return v, true, nil
	}
	v, err := write()
	if err != nil {
		return zero, false, err
	}
	resp, err := json.Marshal(v)
	if err != nil {
		return zero, false, fmt.Errorf("idempotency: encode response: %w", err)
	}
	if _, err := tx.Exec(ctx, `UPDATE `+t+` SET response = $4
		WHERE tenant_id = $1 AND operation = $2 AND key = $3`, tenantID, op, key, resp); err != nil {
		return zero, false, fmt.Errorf("idempotency: store response in %s: %w", table, err)
	}
	return v, false, nil
}
