package sending

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// Delivery is where a sent message stands after Meta accepted it, from the
// status webhooks: delivered, read, failed (with Meta's error), or a status
// Meta adds later.
type Delivery struct {
	Status string
	// At is Meta's event time of the status (the time it was received when
	// Meta gave none).
	At         time.Time
	ErrorCode  int
	ErrorTitle string
}

// Delivery reads the latest status of a sent message. Latest is by rank,
// not by arrival: webhooks come out of order and again, so a read is never
// undone by a delivered that arrives after it, and failed is final (the
// same rule as the message_state view). ok is false before any status.
func (st *Store) Delivery(ctx context.Context, tenantID uuid.UUID, wamid string) (Delivery, bool, error) {
	if wamid == "" {
		return Delivery{}, false, nil
	}
	var d Delivery
	err := st.db.InTenantTx(ctx, tenantID, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, `SELECT status, COALESCE(event_time, received_at), COALESCE(error_code, 0),
				COALESCE(errors -> 0 ->> 'title', errors -> 0 ->> 'message', '')
			FROM message_statuses WHERE tenant_id = $1 AND wamid = $2
			ORDER BY message_status_rank(status) DESC, COALESCE(event_time, received_at) DESC, status
			LIMIT 1`, tenantID, wamid).Scan(&d.Status, &d.At, &d.ErrorCode, &d.ErrorTitle)
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return Delivery{}, false, nil
	}
	if err != nil {
		return Delivery{}, false, fmt.Errorf("sending: read delivery of %s: %w", wamid, err)
	}
	return d, true, nil
}
