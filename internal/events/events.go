// Package events is wabsp's transactional outbox. Domains emit events inside
// the transaction that makes the change, so an event exists exactly when its
// change does; outbound subscriptions read them from here and deliver them.
// The package is plumbing: it knows event types as strings and data as JSON,
// nothing of the domains that emit them.
package events

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// The event catalogue. Types are "<area>.<object>.<change>" and, once
// published, never renamed.
const (
	QualityPhoneNumberChanged = "quality.phone_number.changed"
	QualityAlertOpened        = "quality.alert.opened"
	QualityAlertResolved      = "quality.alert.resolved"
	TemplateStatusChanged     = "template.status.changed"
	TemplateQualityChanged    = "template.quality.changed"
	TemplateCategoryChanged   = "template.category.changed"
	AccountUpdated            = "account.updated"
	OptinChanged              = "optin.changed"
	ContactIdentityChanged    = "contact.identity_changed"
	BillingInvoiceFinalized   = "billing.invoice.finalized"
	MetaForwarded             = "meta.forwarded"
)

// Event is one domain event before it is stored.
type Event struct {
	TenantID uuid.UUID
	Type     string
	// Subject names what changed (a phone number id, a template id, a
	// contact), for filtering and per-subject ordering.
	Subject string
	// OccurredAt is when the change happened: Meta's event time when the
	// change came from Meta.
	OccurredAt time.Time
	// DedupeKey, when set, makes Emit idempotent per tenant: a second event
	// with the same key is dropped.
	DedupeKey string
	Data      any
}

// Stored is an event as the outbox holds it.
type Stored struct {
	ID         int64           `json:"id"`
	TenantID   uuid.UUID       `json:"tenant_id"`
	Type       string          `json:"type"`
	Subject    string          `json:"subject"`
	OccurredAt time.Time       `json:"occurred_at"`
	CreatedAt  time.Time       `json:"created_at"`
	Data       json.RawMessage `json:"data"`
}

// Execer is what Emit writes through: a pgx.Tx in practice, so the event
// commits or rolls back with its change.
type Execer interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

// Emit stores e. It reports false when e.DedupeKey was already used.
func Emit(ctx context.Context, tx Execer, e Event) (bool, error) {
	if e.TenantID == uuid.Nil || e.Type == "" || e.OccurredAt.IsZero() {
		return false, fmt.Errorf("events: tenant, type and time are required (type %q)", e.Type)
	}
	data, err := json.Marshal(e.Data)
	if err != nil {
		return false, fmt.Errorf("events: encode %s: %w", e.Type, err)
	}
	var key any
	if e.DedupeKey != "" {
		key = e.DedupeKey
	}
	tag, err := tx.Exec(ctx, `
		INSERT INTO domain_events (tenant_id, type, subject, occurred_at, dedupe_key, data)
		VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (tenant_id, dedupe_key) WHERE dedupe_key IS NOT NULL DO NOTHING`,
		e.TenantID, e.Type, e.Subject, e.OccurredAt.UTC(), key, data)
	if err != nil {
		return false, fmt.Errorf("events: emit %s: %w", e.Type, err)
	}
	return tag.RowsAffected() == 1, nil
}

// Querier is what List reads through.
type Querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// ListAfter returns up to limit events with ids above afterID, oldest first,
// across tenants: the delivery pump's read.
func ListAfter(ctx context.Context, q Querier, afterID int64, limit int) ([]Stored, error) {
	rows, err := q.Query(ctx, `
		SELECT id, tenant_id, type, subject, occurred_at, created_at, data
		FROM domain_events WHERE id > $1 ORDER BY id LIMIT $2`, afterID, limit)
	if err != nil {
		return nil, fmt.Errorf("events: list: %w", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[Stored])
	if err != nil {
		return nil, fmt.Errorf("events: list: %w", err)
	}
	return out, nil
}
