package billing

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/wabsp/wabsp/internal/pg"
)

// ServiceWindowLength is how long a user's message keeps the customer
// service window open.
const ServiceWindowLength = 24 * time.Hour

// ServiceWindow tells whether the customer service window between a
// business number and a contact (wa_id, or BSUID when Meta sent no number)
// is open at t, and until when it is or was. A contact that never wrote has
// a zero expiry.
func (s *Service) ServiceWindow(ctx context.Context, tenantID uuid.UUID, phoneNumberID, contact string, t time.Time) (bool, time.Time, error) {
	var last time.Time
	err := s.db.InTenantTx(ctx, tenantID, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `
			SELECT last_inbound_at FROM billing_service_windows
			WHERE tenant_id = $1 AND phone_number_id = $2 AND contact = $3`, tenantID, phoneNumberID, contact).Scan(&last)
		if err == pgx.ErrNoRows {
			return nil
		}
		return pg.Translate(err, "service window")
	})
	if err != nil || last.IsZero() {
		return false, time.Time{}, err
	}
	end := last.Add(ServiceWindowLength)
	return !t.Before(last) && t.Before(end), end, nil
}
