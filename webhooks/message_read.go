package webhooks

import (
	"context"
	"encoding/json"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/wabsp/wabsp/internal/apperr"
	"github.com/wabsp/wabsp/internal/pg"
)

// MessageStatus is one status Meta reported for an outbound message.
type MessageStatus struct {
	Status string
	// EventTime is Meta's time of the status; zero when Meta sent none.
	EventTime  time.Time
	ReceivedAt time.Time
	Errors     []StatusError
}

// StatusError is one error Meta attached to a status.
type StatusError struct {
	Code  int64  `json:"code"`
	Title string `json:"title"`
}

// MessageRecord is an outbound message as its statuses tell it: the current
// state from the message_state view and every status, oldest event first.
type MessageRecord struct {
	TenantID      uuid.UUID
	WAMID         string
	PhoneNumberID string
	// DisplayPhoneNumber is the sending number in E.164 as the tenant
	// registered it; empty when no registered number has PhoneNumberID.
	DisplayPhoneNumber string
	RecipientID        string
	Status             string
	StatusAt           time.Time
	History            []MessageStatus
}

// Message returns one of the tenant's outbound messages by wamid. A wamid
// the tenant never received a status for is not found.
func (s *Service) Message(ctx context.Context, tenantID uuid.UUID, wamid string) (MessageRecord, error) {
	m := MessageRecord{TenantID: tenantID, WAMID: wamid}
	err := s.db.InTenantTx(ctx, tenantID, func(tx pgx.Tx) error {
		var at *time.Time
		var recipient *string
		err := tx.QueryRow(ctx, `
			SELECT status, status_at, phone_number_id, recipient_id FROM message_state
			WHERE tenant_id = $1 AND wamid = $2`, tenantID, wamid).Scan(&m.Status, &at, &m.PhoneNumberID, &recipient)
		if err == pgx.ErrNoRows {
			return apperr.New(apperr.NotFound, "message not found")
		}
		if err != nil {
			return pg.Translate(err, "message")
		}
		if at != nil {
			m.StatusAt = *at
		}
		if recipient != nil {
			m.RecipientID = *recipient
		}
		if m.DisplayPhoneNumber, err = displayNumber(ctx, tx, tenantID, m.PhoneNumberID); err != nil {
			return err
		}
		m.History, err = statusHistory(ctx, tx, tenantID, wamid)
		return err
	})
	return m, err
}

// displayNumber is the display number the tenant registered for Meta's
// phone_number_id, "" when it registered none.
func displayNumber(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, phoneNumberID string) (string, error) {
	if phoneNumberID == "" {
		return "", nil
	}
	var display string
	err := tx.QueryRow(ctx, `SELECT display_phone_number FROM phone_numbers WHERE tenant_id = $1 AND phone_number_id = $2`,
		tenantID, phoneNumberID).Scan(&display)
	if err == pgx.ErrNoRows {
		return "", nil
	}
	return display, pg.Translate(err, "phone number")
}

func statusHistory(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, wamid string) ([]MessageStatus, error) {
	rows, err := tx.Query(ctx, `
		SELECT status, event_time, received_at, errors FROM message_statuses
		WHERE tenant_id = $1 AND wamid = $2
		ORDER BY coalesce(event_time, received_at), message_status_rank(status), status`, tenantID, wamid)
	if err != nil {
		return nil, pg.Translate(err, "message statuses")
	}
	defer rows.Close()
	var out []MessageStatus
	for rows.Next() {
		var st MessageStatus
		var at *time.Time
		var errs []byte
		if err := rows.Scan(&st.Status, &at, &st.ReceivedAt, &errs); err != nil {
			return nil, pg.Translate(err, "message statuses")
		}
		if at != nil {
			st.EventTime = *at
		}
		// Meta's error objects are open; a shape we cannot read keeps the
		// status without its errors rather than hiding the status.
		_ = json.Unmarshal(errs, &st.Errors)
		out = append(out, st)
	}
	return out, pg.Translate(rows.Err(), "message statuses")
}

// messageOwnerSQL finds the first tenant that received a status for a wamid;
// message_statuses_wamid_idx, a hash index on wamid, serves it.
const messageOwnerSQL = `SELECT tenant_id FROM message_statuses WHERE wamid = $1 ORDER BY received_at LIMIT 1`

// MessageOwner tells which tenant received statuses for a wamid. It reads
// across tenants, so it is for admins only.
func (s *Service) MessageOwner(ctx context.Context, wamid string) (uuid.UUID, error) {
	var id uuid.UUID
	err := s.db.InTx(ctx, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, messageOwnerSQL, wamid).Scan(&id)
		if err == pgx.ErrNoRows {
			return apperr.New(apperr.NotFound, "message not found")
		}
		return pg.Translate(err, "message owner")
	})
	return id, err
}
