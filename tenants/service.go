// Package tenants owns wabsp's client businesses (tenants), the partners that
// act for some of them, the API clients of every role, each tenant's WhatsApp
// Business Accounts and phone numbers, and the audit log of writes.
//
// Everything that touches one tenant's rows runs in pg.DB.InTenantTx, so row
// level security backs up the tenant_id filter every query carries; only
// cross-tenant work (admin lists, partners, API clients, the audit log) runs
// as the owning role. Every write records an audit entry in the same
// transaction, so a write and its record commit or fail together.
package tenants

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/wabsp/wabsp/internal/apperr"
	"github.com/wabsp/wabsp/internal/auth"
	"github.com/wabsp/wabsp/internal/pg"
	"github.com/wabsp/wabsp/internal/secretbox"
)

// Service is the tenants domain. It is safe for concurrent use.
type Service struct {
	db  *pg.DB
	box *secretbox.Keyring
	// dummyHash is checked against when a client id is unknown, so that
	// Authenticate costs the same whether or not the id exists.
	dummyHash string
}

// NewService returns a Service storing in db. box encrypts WABA access
// tokens; when it is nil the service works but refuses to store tokens.
func NewService(db *pg.DB, box *secretbox.Keyring) *Service {
	return &Service{db: db, box: box, dummyHash: auth.HashSecret("wabsp-unknown-client")}
}

// RoleSystem marks writes made by wabsp itself (the CLI, seeding, the demo)
// rather than by an API client.
const RoleSystem auth.Role = "system"

// Actor is who performs a write, as the audit log records it.
type Actor struct {
	// ID is the API client's id (api_clients.id); uuid.Nil for system writes.
	ID        uuid.UUID
	Role      auth.Role
	RequestID string
}

// ActorFor returns the actor for a request made by p.
func ActorFor(p auth.Principal, requestID string) Actor {
	return Actor{ID: p.ClientID, Role: p.Role, RequestID: requestID}
}

// System returns the actor for writes wabsp makes on its own; reason is kept
// where a request id would be, so the audit log says why.
func System(reason string) Actor {
	return Actor{Role: RoleSystem, RequestID: reason}
}

// auditRecord is one audit_log row before it is written.
type auditRecord struct {
	tenantID     uuid.UUID
	action       string
	resourceType string
	resourceID   string
	before       any
	after        any
}

// audit writes r in tx, the transaction of the write it records.
func audit(ctx context.Context, tx pgx.Tx, a Actor, r auditRecord) error {
	before, err := jsonOrNull(r.before)
	if err != nil {
		return err
	}
	after, err := jsonOrNull(r.after)
	if err != nil {
		return err
	}
	role := a.Role
	if role == "" {
		role = RoleSystem
	}
	_, err = tx.Exec(ctx, `
		INSERT INTO audit_log (actor_id, actor_role, tenant_id, action, resource_type, resource_id, before, after, request_id)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		nullUUID(a.ID), string(role), nullUUID(r.tenantID), r.action, r.resourceType, r.resourceID,
		before, after, nullString(a.RequestID))
	if err != nil {
		return fmt.Errorf("tenants: write audit entry: %w", err)
	}
	return nil
}

func jsonOrNull(v any) ([]byte, error) {
	if v == nil {
		return nil, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("tenants: audit json: %w", err)
	}
	return b, nil
}

// nullUUID maps uuid.Nil to SQL NULL.
func nullUUID(id uuid.UUID) any {
	if id == uuid.Nil {
		return nil
	}
	return id
}

// nullString maps "" to SQL NULL.
func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// uuidOrNil reads a nullable uuid column.
func uuidOrNil(p *uuid.UUID) uuid.UUID {
	if p == nil {
		return uuid.Nil
	}
	return *p
}

// requireTenant fails with NotFound unless the tenant exists and, inside a
// tenant transaction, is the transaction's tenant. It locks nothing.
func requireTenant(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID) error {
	var ok bool
	err := tx.QueryRow(ctx, `SELECT true FROM tenants WHERE id = $1`, tenantID).Scan(&ok)
	return pg.Translate(err, "tenant")
}

// newID returns a time-ordered id, which keeps primary key indexes compact.
func newID() uuid.UUID {
	id, err := uuid.NewV7()
	if err != nil {
		return uuid.New()
	}
	return id
}

// errNoCipher is returned when an access token must be stored but no
// encryption key is configured.
var errNoCipher = apperr.New(apperr.FailedPrecondition, "access tokens cannot be stored: encryption at rest is not configured")
