package optins

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"time"

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
		INSERT INTO optin_idempotency (tenant_id, operation, key, request_sha256) VALUES ($1, $2, $3, $4)
		ON CONFLICT DO NOTHING`, tenantID, op, key, sum[:])
	if err != nil {
		return zero, false, fmt.Errorf("optins: claim idempotency key: %w", err)
	}
	if tag.RowsAffected() == 0 {
		var stored []byte
		var resp []byte
		err := tx.QueryRow(ctx, `SELECT request_sha256, response FROM optin_idempotency
			WHERE tenant_id = $1 AND operation = $2 AND key = $3`, tenantID, op, key).Scan(&stored, &resp)
		if err != nil {
			return zero, false, fmt.Errorf("optins: read idempotency key: %w", err)
		}
		if !bytes.Equal(stored, sum[:]) {
			return zero, false, apperr.New(apperr.Conflict, "Idempotency-Key was already used with a different request")
		}
		if resp == nil {
			return zero, false, errors.New("optins: idempotency key claimed without a response")
		}
		var v T
		if err := json.Unmarshal(resp, &v); err != nil {
			return zero, false, fmt.Errorf("optins: decode stored response: %w", err)
		}
		return v, true, nil
	}
	v, err := write()
	if err != nil {
		return zero, false, err
	}
	resp, err := json.Marshal(v)
	if err != nil {
		return zero, false, fmt.Errorf("optins: encode response: %w", err)
	}
	if _, err := tx.Exec(ctx, `UPDATE optin_idempotency SET response = $4
		WHERE tenant_id = $1 AND operation = $2 AND key = $3`, tenantID, op, key, resp); err != nil {
		return zero, false, fmt.Errorf("optins: store idempotent response: %w", err)
	}
	return v, false, nil
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
