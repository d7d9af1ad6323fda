package outbound

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
	"github.com/wabsp/wabsp/internal/idempotency"
)

// KeyTable holds the Idempotency-Key records of subscription writes and
// replays, a tenant's or a partner's, honoured for seven days.
var KeyTable = idempotency.Table{Name: "webhook_idempotency", Retention: 7 * 24 * time.Hour}

// MaxIdempotencyKeyLen bounds Idempotency-Key values.
const MaxIdempotencyKeyLen = 200

var errKeyReused = apperr.New(apperr.Conflict, "Idempotency-Key was already used with a different request")

// idempotent runs write once per (owner, operation, key): the first call
// stores write's result beside a hash of the request, a later call with the
// same request returns the stored result without writing, and one with
// another request fails with Conflict. An empty key runs write every time.
// The claim shares write's transaction, so a failed write leaves no claim
// and a concurrent duplicate waits on the first one's row.
func idempotent[T any](ctx context.Context, tx pgx.Tx, o Owner, op, key string, request any, write func() (T, error)) (T, error) {
	var zero T
	if key == "" {
		return write()
	}
	if len(key) > MaxIdempotencyKeyLen {
		return zero, apperr.InvalidField("Idempotency-Key", fmt.Sprintf("at most %d characters", MaxIdempotencyKeyLen))
	}
	req, err := json.Marshal(request)
	if err != nil {
		return zero, err
	}
	sum := sha256.Sum256(append([]byte(op+"\n"), req...))
	tag, err := tx.Exec(ctx, `
		INSERT INTO webhook_idempotency (tenant_id, partner_id, operation, key, request_sha256)
		VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`,
		nullUUID(o.TenantID), nullUUID(o.PartnerID), op, key, sum[:])
	if err != nil {
		return zero, fmt.Errorf("outbound: claim idempotency key: %w", err)
	}
	if tag.RowsAffected() == 0 {
		var stored, resp []byte
		err := tx.QueryRow(ctx, `SELECT request_sha256, response FROM webhook_idempotency
			WHERE coalesce(tenant_id, partner_id) = $1 AND operation = $2 AND key = $3`,
			ownerID(o), op, key).Scan(&stored, &resp)
		if err != nil {
			return zero, fmt.Errorf("outbound: read idempotency key: %w", err)
		}
		if !bytes.Equal(stored, sum[:]) {
			return zero, errKeyReused
		}
		if resp == nil {
			return zero, errors.New("outbound: idempotency key claimed without a response")
		}
		var v T
		if err := json.Unmarshal(resp, &v); err != nil {
			return zero, fmt.Errorf("outbound: decode stored response: %w", err)
		}
		return v, nil
	}
	v, err := write()
	if err != nil {
		return zero, err
	}
	resp, err := json.Marshal(v)
	if err != nil {
		return zero, err
	}
	if _, err := tx.Exec(ctx, `UPDATE webhook_idempotency SET response = $4
		WHERE coalesce(tenant_id, partner_id) = $1 AND operation = $2 AND key = $3`, ownerID(o), op, key, resp); err != nil {
		return zero, fmt.Errorf("outbound: store idempotent response: %w", err)
	}
	return v, nil
}

// ownerID is the tenant's or the partner's id.
func ownerID(o Owner) any {
	if o.TenantID != uuid.Nil {
		return o.TenantID
	}
	return o.PartnerID
}
