package sending

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/wabsp/wabsp/internal/apperr"
	"github.com/wabsp/wabsp/internal/paging"
	"github.com/wabsp/wabsp/internal/pg"
)

// State is where a send is in its life.
type State string

// The states of a send.
const (
	StateQueued  State = "queued"
	StateSending State = "sending"
	StateSent    State = "sent"
	StateFailed  State = "failed"
	StateRefused State = "refused"
)

// Labels tie a send to what the tenant reports on later.
type Labels struct {
	CampaignID string `json:"campaign_id,omitempty"`
	Agent      string `json:"agent,omitempty"`
}

// Send is one message a tenant asked wabsp to send.
type Send struct {
	ID            uuid.UUID
	TenantID      uuid.UUID
	PhoneNumberID string
	WabaID        string
	Recipient     string
	Message       Message
	Labels        Labels
	State         State
	Attempts      int
	Wamid         string
	ErrorCode     int
	ErrorMessage  string
	Reasons       []Reason
	CreatedAt     time.Time
	UpdatedAt     time.Time
	// Throughput is the number's messages a second when the send was
	// decided, for the queue to spread its sends (zero: Meta's default);
	// it is not stored.
	Throughput int
}

// Store keeps sends in PostgreSQL, every query bound to its tenant.
type Store struct {
	db *pg.DB
}

// NewStore returns a Store on db.
func NewStore(db *pg.DB) *Store { return &Store{db: db} }

const sendCols = `id, tenant_id, phone_number_id, waba_id, recipient, request, campaign_id, agent, state,
	attempts, COALESCE(wamid, ''), COALESCE(error_code, 0), error_message, reasons, created_at, updated_at`

func scanSend(r pgx.Row) (Send, error) {
	var s Send
	var req []byte
	var reasons []string
	err := r.Scan(&s.ID, &s.TenantID, &s.PhoneNumberID, &s.WabaID, &s.Recipient, &req, &s.Labels.CampaignID,
		&s.Labels.Agent, &s.State, &s.Attempts, &s.Wamid, &s.ErrorCode, &s.ErrorMessage, &reasons, &s.CreatedAt, &s.UpdatedAt)
	if err != nil {
		return Send{}, err
	}
	if err := json.Unmarshal(req, &s.Message); err != nil {
		return Send{}, fmt.Errorf("sending: decode request: %w", err)
	}
	for _, r := range reasons {
		s.Reasons = append(s.Reasons, Reason(r))
	}
	return s, nil
}

// Insert records a new send in tx (queued, or refused with its reasons) and
// returns it as stored.
func Insert(ctx context.Context, tx pgx.Tx, s Send) (Send, error) {
	req, err := json.Marshal(s.Message)
	if err != nil {
		return Send{}, fmt.Errorf("sending: encode request: %w", err)
	}
	var name, lang string
	if s.Message.Template != nil {
		name, lang = s.Message.Template.Name, s.Message.Template.Language
	}
	reasons := make([]string, 0, len(s.Reasons))
	for _, r := range s.Reasons {
		reasons = append(reasons, string(r))
	}
	row := tx.QueryRow(ctx, `INSERT INTO sends (id, tenant_id, phone_number_id, waba_id, recipient, kind, template_name,
			template_language, campaign_id, agent, request, state, reasons)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
		RETURNING `+sendCols,
		s.ID, s.TenantID, s.PhoneNumberID, s.WabaID, s.Recipient, string(s.Message.Type), name, lang,
		s.Labels.CampaignID, s.Labels.Agent, req, string(s.State), reasons)
	return scanSend(row)
}

// Get returns one of a tenant's sends.
func (st *Store) Get(ctx context.Context, tenantID, id uuid.UUID) (Send, error) {
	var s Send
	err := st.db.InTenantTx(ctx, tenantID, func(tx pgx.Tx) error {
		var err error
		s, err = scanSend(tx.QueryRow(ctx, `SELECT `+sendCols+` FROM sends WHERE tenant_id = $1 AND id = $2`, tenantID, id))
		return err
	})
	return s, pg.Translate(err, "send")
}

// List returns a tenant's sends newest first, only those in state when it
// is set.
func (st *Store) List(ctx context.Context, tenantID uuid.UUID, state State, p paging.Page) (paging.List[Send], error) {
	switch state {
	case "", StateQueued, StateSending, StateSent, StateFailed, StateRefused:
	default:
		return paging.List[Send]{}, apperr.InvalidField("state", "must be queued, sending, sent, failed or refused")
	}
	at, id, err := paging.UUIDCursor(p.Cursor)
	if err != nil {
		return paging.List[Send]{}, err
	}
	size := p.Size()
	var out []Send
	err = st.db.InTenantTx(ctx, tenantID, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT `+sendCols+` FROM sends
			WHERE tenant_id = $1 AND ($2 = '' OR state = $2)
				AND ($3::timestamptz IS NULL OR (created_at, id) < ($3, $4::uuid))
			ORDER BY created_at DESC, id DESC LIMIT $5`, tenantID, string(state), at, id, size+1)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (Send, error) { return scanSend(r) })
		return err
	})
	if err != nil {
		return paging.List[Send]{}, pg.Translate(err, "sends")
	}
	return paging.Paginate(out, size, func(s Send) (time.Time, string) { return s.CreatedAt, s.ID.String() }), nil
}

// Begin moves a queued (or retried) send to sending and counts the attempt.
// It returns false when the send is already settled, so a redelivered task
// never sends twice what Meta accepted.
func (st *Store) Begin(ctx context.Context, tenantID, id uuid.UUID) (Send, bool, error) {
	var s Send
	var ok bool
	err := st.db.InTenantTx(ctx, tenantID, func(tx pgx.Tx) error {
		var err error
		s, err = scanSend(tx.QueryRow(ctx, `UPDATE sends SET state = 'sending', attempts = attempts + 1, updated_at = now()
			WHERE tenant_id = $1 AND id = $2 AND state IN ('queued', 'sending')
			RETURNING `+sendCols, tenantID, id))
		if err == pgx.ErrNoRows {
			return nil
		}
		ok = err == nil
		return err
	})
	return s, ok, pg.Translate(err, "send")
}

// MarkSent records Meta's message id.
func (st *Store) MarkSent(ctx context.Context, tenantID, id uuid.UUID, wamid string) error {
	return st.settle(ctx, tenantID, id, `UPDATE sends SET state = 'sent', wamid = $3, error_code = NULL,
		error_message = '', updated_at = now() WHERE tenant_id = $1 AND id = $2`, wamid)
}

// MarkFailed records why a send can never go out: Meta's code, or 0 when
// wabsp did not ask Meta. The send is not retried.
func (st *Store) MarkFailed(ctx context.Context, tenantID, id uuid.UUID, code int, message string) error {
	return st.settle(ctx, tenantID, id, `UPDATE sends SET state = 'failed', error_code = NULLIF($3::integer, 0), error_message = $4,
		updated_at = now() WHERE tenant_id = $1 AND id = $2`, code, message)
}

// NoteError keeps the last retryable error on a send still in flight.
func (st *Store) NoteError(ctx context.Context, tenantID, id uuid.UUID, code int, message string) error {
	return st.settle(ctx, tenantID, id, `UPDATE sends SET error_code = $3, error_message = $4,
		updated_at = now() WHERE tenant_id = $1 AND id = $2`, code, message)
}

func (st *Store) settle(ctx context.Context, tenantID, id uuid.UUID, q string, args ...any) error {
	err := st.db.InTenantTx(ctx, tenantID, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, q, append([]any{tenantID, id}, args...)...)
		return err
	})
	return pg.Translate(err, "send")
}

// RecentRecipients counts the distinct users the tenant's business-initiated
// (template) sends reached or are reaching in the 24 hours before now, and
// whether recipient is among them: the input of the portfolio messaging
// limit. Refused and failed sends opened no conversation and do not count.
func RecentRecipients(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, recipient string, now time.Time) (int, bool, error) {
	var n int
	var seen bool
	err := tx.QueryRow(ctx, `SELECT count(DISTINCT recipient), COALESCE(bool_or(recipient = $2), false) FROM sends
		WHERE tenant_id = $1 AND kind = 'template' AND state IN ('queued', 'sending', 'sent')
			AND created_at > $3::timestamptz - interval '24 hours'`, tenantID, recipient, now).Scan(&n, &seen)
	if err != nil {
		return 0, false, fmt.Errorf("sending: count recent recipients: %w", err)
	}
	return n, seen, nil
}
