package tenants

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/wabsp/wabsp/internal/apperr"
	"github.com/wabsp/wabsp/internal/auth"
	"github.com/wabsp/wabsp/internal/paging"
	"github.com/wabsp/wabsp/internal/pg"
)

// Client is an API client. Its secret is never kept, only a hash of it.
type Client struct {
	ID         uuid.UUID  `json:"id"`
	ClientID   string     `json:"client_id"`
	Name       string     `json:"name"`
	Role       auth.Role  `json:"role"`
	TenantID   uuid.UUID  `json:"tenant_id,omitzero"`
	PartnerID  uuid.UUID  `json:"partner_id,omitzero"`
	Scopes     []string   `json:"scopes"`
	DisabledAt *time.Time `json:"disabled_at,omitempty"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at,omitempty"`
}

// NewClient is the input of CreateClient. TenantID is required for, and only
// for, RoleTenant; PartnerID likewise for RolePartner. Empty Scopes means
// auth.DefaultScopes(Role).
type NewClient struct {
	Name      string
	Role      auth.Role
	TenantID  uuid.UUID
	PartnerID uuid.UUID
	Scopes    []string
}

func (n *NewClient) validate() error {
	f := fieldErrors{}
	checkName(f, "name", n.Name, true)
	if !n.Role.Valid() {
		f.add("role", "must be admin, partner or tenant")
	}
	if (n.Role == auth.RoleTenant) != (n.TenantID != uuid.Nil) {
		f.add("tenant_id", "is required for, and only for, role tenant")
	}
	if (n.Role == auth.RolePartner) != (n.PartnerID != uuid.Nil) {
		f.add("partner_id", "is required for, and only for, role partner")
	}
	if err := f.err(); err != nil {
		return err
	}
	if len(n.Scopes) == 0 {
		n.Scopes = auth.DefaultScopes(n.Role)
		return nil
	}
	slices.Sort(n.Scopes)
	n.Scopes = slices.Compact(n.Scopes)
	if err := auth.ValidateScopes(n.Role, n.Scopes); err != nil {
		// auth names the field "scope" after the token request's member;
		// here the input is the "scopes" list.
		if e, ok := apperr.As(err); ok && e.Code == apperr.Invalid {
			for _, problem := range e.Fields {
				return apperr.InvalidField("scopes", problem)
			}
		}
		return err
	}
	return nil
}

const clientCols = `id, client_id, name, role, tenant_id, partner_id, scopes, disabled_at, created_at, last_used_at`

func scanClient(row pgx.Row) (Client, error) {
	var (
		c                 Client
		role              string
		tenant, partnerID *uuid.UUID
	)
	err := row.Scan(&c.ID, &c.ClientID, &c.Name, &role, &tenant, &partnerID, &c.Scopes,
		&c.DisabledAt, &c.CreatedAt, &c.LastUsedAt)
	c.Role, c.TenantID, c.PartnerID = auth.Role(role), uuidOrNil(tenant), uuidOrNil(partnerID)
	return c, err
}

// CreateClient issues an API client and returns it with its secret, which is
// not stored and cannot be shown again.
func (s *Service) CreateClient(ctx context.Context, a Actor, in NewClient) (Client, string, error) {
	if err := in.validate(); err != nil {
		return Client{}, "", err
	}
	secret, err := auth.NewSecret()
	if err != nil {
		return Client{}, "", err
	}
	var c Client
	err = s.db.InTx(ctx, func(tx pgx.Tx) error {
		if err := requireOwner(ctx, tx, in); err != nil {
			return err
		}
		var err error
		c, err = scanClient(tx.QueryRow(ctx, `
			INSERT INTO api_clients (id, client_id, secret_hash, name, role, tenant_id, partner_id, scopes)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
			RETURNING `+clientCols,
			newID(), auth.NewClientID(in.Role), auth.HashSecret(secret), in.Name, string(in.Role),
			nullUUID(in.TenantID), nullUUID(in.PartnerID), in.Scopes))
		if err != nil {
			return pg.Translate(err, "client")
		}
		return audit(ctx, tx, a, auditRecord{tenantID: c.TenantID, action: "client.create",
			resourceType: "client", resourceID: c.ID.String(), after: c})
	})
	if err != nil {
		return Client{}, "", err
	}
	return c, secret, nil
}

// requireOwner checks that the tenant or partner a new client belongs to
// exists, naming the field when it does not.
func requireOwner(ctx context.Context, tx pgx.Tx, in NewClient) error {
	switch in.Role {
	case auth.RoleTenant:
		if err := requireTenant(ctx, tx, in.TenantID); apperr.Is(err, apperr.NotFound) {
			return apperr.InvalidField("tenant_id", "no such tenant")
		} else if err != nil {
			return err
		}
	case auth.RolePartner:
		if err := requirePartner(ctx, tx, in.PartnerID); apperr.Is(err, apperr.NotFound) {
			return apperr.InvalidField("partner_id", "no such partner")
		} else if err != nil {
			return err
		}
	}
	return nil
}

// ClientFilter narrows ListClients. Zero fields do not filter.
type ClientFilter struct {
	Role      auth.Role
	TenantID  uuid.UUID
	PartnerID uuid.UUID
}

// ListClients returns API clients newest first.
func (s *Service) ListClients(ctx context.Context, f ClientFilter, p Page) (List[Client], error) {
	if f.Role != "" && !f.Role.Valid() {
		return List[Client]{}, apperr.InvalidField("role", "must be admin, partner or tenant")
	}
	at, after, err := paging.UUIDCursor(p.Cursor)
	if err != nil {
		return List[Client]{}, err
	}
	size := p.Size()
	r, err := s.db.Query(ctx, `
		SELECT `+clientCols+` FROM api_clients
		WHERE ($1 = '' OR role = $1)
		  AND ($2::uuid IS NULL OR tenant_id = $2)
		  AND ($3::uuid IS NULL OR partner_id = $3)
		  AND ($4::timestamptz IS NULL OR (created_at, id) < ($4, $5::uuid))
		ORDER BY created_at DESC, id DESC
		LIMIT $6`,
		string(f.Role), nullUUID(f.TenantID), nullUUID(f.PartnerID), at, after, size+1)
	if err != nil {
		return List[Client]{}, pg.Translate(err, "clients")
	}
	rows, err := pgx.CollectRows(r, func(row pgx.CollectableRow) (Client, error) { return scanClient(row) })
	if err != nil {
		return List[Client]{}, pg.Translate(err, "clients")
	}
	return paging.Paginate(rows, size, func(c Client) (time.Time, string) { return c.CreatedAt, c.ID.String() }), nil
}

// DisableClient stops a client for good: it gets no new tokens, and the
// verifier rejects its tokens once its cached answer expires. Disabling a
// disabled client changes nothing.
func (s *Service) DisableClient(ctx context.Context, a Actor, id uuid.UUID) (Client, error) {
	var after Client
	err := s.db.InTx(ctx, func(tx pgx.Tx) error {
		before, err := scanClient(tx.QueryRow(ctx, `SELECT `+clientCols+` FROM api_clients WHERE id = $1 FOR UPDATE`, id))
		if err != nil {
			return pg.Translate(err, "client")
		}
		if before.DisabledAt != nil {
			after = before
			return nil
		}
		after, err = scanClient(tx.QueryRow(ctx,
			`UPDATE api_clients SET disabled_at = now() WHERE id = $1 RETURNING `+clientCols, id))
		if err != nil {
			return pg.Translate(err, "client")
		}
		return audit(ctx, tx, a, auditRecord{tenantID: after.TenantID, action: "client.disable",
			resourceType: "client", resourceID: id.String(), before: before, after: after})
	})
	return after, err
}

// errBadCredentials is the one answer to every credential failure, so a
// caller cannot tell an unknown client from a wrong secret or a disabled one.
var errBadCredentials = apperr.New(apperr.Unauthenticated, "invalid client credentials")

// maxCredentialLen bounds what an unauthenticated caller makes us hash.
const maxCredentialLen = 200

// Authenticate checks client credentials for the token endpoint and returns
// the principal a token should name. A suspended tenant's client gets
// TenantSuspended, so it can tell why, but only after its secret checked out.
func (s *Service) Authenticate(ctx context.Context, clientID, secret string) (auth.Principal, error) {
	if clientID == "" || len(clientID) > maxCredentialLen || len(secret) > maxCredentialLen {
		auth.CheckSecret(s.dummyHash, secret[:min(len(secret), maxCredentialLen)])
		return auth.Principal{}, errBadCredentials
	}
	var (
		p        auth.Principal
		hash     string
		role     string
		disabled bool
		status   string
		tenant   *uuid.UUID
		partner  *uuid.UUID
	)
	err := s.db.QueryRow(ctx, `
		SELECT c.id, c.name, c.role, c.tenant_id, c.partner_id, c.scopes, c.secret_hash,
		       c.disabled_at IS NOT NULL, coalesce(t.status, '')
		FROM api_clients c LEFT JOIN tenants t ON t.id = c.tenant_id
		WHERE c.client_id = $1`, clientID).
		Scan(&p.ClientID, &p.ClientName, &role, &tenant, &partner, &p.Scopes, &hash, &disabled, &status)
	if errors.Is(err, pgx.ErrNoRows) {
		auth.CheckSecret(s.dummyHash, secret)
		return auth.Principal{}, errBadCredentials
	}
	if err != nil {
		return auth.Principal{}, pg.Translate(err, "client")
	}
	if !auth.CheckSecret(hash, secret) || disabled {
		return auth.Principal{}, errBadCredentials
	}
	if status == StatusSuspended {
		return auth.Principal{}, apperr.New(apperr.TenantSuspended, "the client's tenant is suspended")
	}
	p.Role, p.TenantID, p.PartnerID = auth.Role(role), uuidOrNil(tenant), uuidOrNil(partner)
	if _, err := s.db.Exec(ctx, `UPDATE api_clients SET last_used_at = now() WHERE id = $1`, p.ClientID); err != nil {
		return auth.Principal{}, pg.Translate(err, "client")
	}
	return p, nil
}

// ClientActive implements auth.ClientChecker: a client is active while it is
// not disabled and its tenant, if it has one, is not suspended. An unknown
// client is not active.
func (s *Service) ClientActive(ctx context.Context, clientID uuid.UUID) (bool, error) {
	var active bool
	err := s.db.QueryRow(ctx, `
		SELECT c.disabled_at IS NULL AND coalesce(t.status, 'active') = 'active'
		FROM api_clients c LEFT JOIN tenants t ON t.id = c.tenant_id
		WHERE c.id = $1`, clientID).Scan(&active)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, pg.Translate(err, "client")
	}
	return active, nil
}

var _ auth.ClientChecker = (*Service)(nil)
