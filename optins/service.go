// Package optins keeps what a business needs before it messages someone on
// WhatsApp: the contact (by WhatsApp id and business-scoped user id), the
// messaging windows each inbound message opens, and an append-only consent
// ledger that holds up in an audit.
//
// The ledger is the record: every opt-in and opt-out is appended with its
// purpose, source, evidence, actor and time, and nothing in it is changed or
// deleted, except that erasure replaces personal fields with a tombstone and
// keeps the fact of consent. The current state per contact and purpose is a
// projection of the ledger (latest entry by event time wins), kept in the
// same transaction as each append. Eligibility reads the projection, the
// contact's identity state and its windows to answer "may I send this now,
// and if not, why?", one contact at a time or a campaign's list at once.
//
// Conversations feed the ledger through the webhooks handler: STOP/START
// keywords, quick-reply opt-out buttons and Meta's user_preferences each
// append an entry with the message as evidence and emit optin.changed; number
// and identity changes emit contact.identity_changed.
package optins

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/wabsp/wabsp/internal/pg"
)

// Service is the opt-ins domain. It is safe for concurrent use.
type Service struct {
	db  *pg.DB
	now func() time.Time
}

// Option configures a Service.
type Option func(*Service)

// WithClock makes the service read the time from now, for tests of windows.
func WithClock(now func() time.Time) Option {
	return func(s *Service) { s.now = now }
}

// NewService returns a Service storing in db.
func NewService(db *pg.DB, opts ...Option) *Service {
	s := &Service{db: db, now: time.Now}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Actors of ledger entries that no API client made.
const (
	// ActorContact is the person themselves: a keyword or a button.
	ActorContact = "contact"
	// ActorMeta is Meta reporting the person's own setting.
	ActorMeta = "meta"
)

// ClientActor names an API client as a ledger actor, e.g.
// "tenant:0190…". role is the client's role.
func ClientActor(role string, clientID uuid.UUID) string {
	return fmt.Sprintf("%s:%s", role, clientID)
}

// inTenant runs fn in a transaction bound to tenantID.
func (s *Service) inTenant(ctx context.Context, tenantID uuid.UUID, fn func(pgx.Tx) error) error {
	return s.db.InTenantTx(ctx, tenantID, fn)
}

// newID returns a time-ordered id, which keeps primary key indexes compact.
func newID() uuid.UUID {
	id, err := uuid.NewV7()
	if err != nil {
		return uuid.New()
	}
	return id
}

// ptr returns nil for "" and &s otherwise: a nullable text argument.
func ptr(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// str reads a nullable text column.
func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}
