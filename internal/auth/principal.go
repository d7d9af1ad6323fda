// Package auth authenticates callers of the wabsp API. API clients exchange
// client credentials for short-lived Ed25519-signed JWTs (Issuer); every
// request's token is checked by a Verifier, which yields the Principal the
// rest of the request acts as. The package knows nothing of HTTP: the
// transport layer extracts the bearer token and stores the Principal in the
// request context with WithPrincipal.
package auth

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"
)

// Role is the kind of API client a principal is.
type Role string

// The roles an API client can have. They match api_clients.role.
const (
	// RoleAdmin is an internal operator who oversees every tenant.
	RoleAdmin Role = "admin"
	// RolePartner is an integration acting for the tenants assigned to it.
	RolePartner Role = "partner"
	// RoleTenant is a client business acting for itself only.
	RoleTenant Role = "tenant"
)

// Valid reports whether r is one of the known roles.
func (r Role) Valid() bool {
	switch r {
	case RoleAdmin, RolePartner, RoleTenant:
		return true
	}
	return false
}

// Principal is the authenticated caller of a request.
type Principal struct {
	ClientID   uuid.UUID // api_clients.id
	ClientName string
	Role       Role
	TenantID   uuid.UUID // set for RoleTenant only
	PartnerID  uuid.UUID // set for RolePartner only
	Scopes     []string
}

// HasScope reports whether the principal was granted scope s. ScopeAdmin
// stands for every scope, so admin clients need not list them one by one.
func (p Principal) HasScope(s string) bool {
	for _, g := range p.Scopes {
		if g == s || g == ScopeAdmin {
			return true
		}
	}
	return false
}

// validate checks the invariants api_clients enforces with CHECK
// constraints, so a token can never describe a principal the database could
// not hold.
func (p Principal) validate() error {
	if p.ClientID == uuid.Nil {
		return errors.New("client id is empty")
	}
	if !p.Role.Valid() {
		return fmt.Errorf("unknown role %q", p.Role)
	}
	if (p.Role == RoleTenant) != (p.TenantID != uuid.Nil) {
		return errors.New("a tenant id is required for, and only for, the tenant role")
	}
	if (p.Role == RolePartner) != (p.PartnerID != uuid.Nil) {
		return errors.New("a partner id is required for, and only for, the partner role")
	}
	if p.Role != RoleAdmin && p.HasScope(ScopeAdmin) {
		return fmt.Errorf("scope %q is reserved for the admin role", ScopeAdmin)
	}
	return nil
}

type principalKey struct{}

// WithPrincipal returns a context that carries p.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFrom returns the principal stored by WithPrincipal, if any.
func PrincipalFrom(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}
