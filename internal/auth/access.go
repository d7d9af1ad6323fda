package auth

import (
	"context"

	"github.com/google/uuid"

	"github.com/wabsp/wabsp/internal/apperr"
)

// PartnerTenants answers whether a tenant is assigned to a partner.
type PartnerTenants func(ctx context.Context, partnerID, tenantID uuid.UUID) (bool, error)

// ErrNoTenantAccess is the answer to a principal acting for a tenant that is
// not its own.
var ErrNoTenantAccess = apperr.New(apperr.Forbidden, "this client may not act for that tenant")

// MayActFor is the one rule on whose behalf a principal may act, shared by
// the API and the console: admins for any tenant, partners for their
// assigned tenants, tenants for themselves. manage marks settings a business
// may not change about itself.
func MayActFor(ctx context.Context, p Principal, tenantID uuid.UUID, manage bool, partners PartnerTenants) error {
	switch p.Role {
	case RoleAdmin:
		return nil
	case RolePartner:
		ok, err := partners(ctx, p.PartnerID, tenantID)
		if err != nil {
			return err
		}
		if ok {
			return nil
		}
	case RoleTenant:
		if manage {
			return apperr.New(apperr.Forbidden, "a tenant cannot change its own settings; ask its partner or an admin")
		}
		if p.TenantID == tenantID {
			return nil
		}
	}
	return ErrNoTenantAccess
}

// Validate checks that p could be held by api_clients (or console_users,
// which has the same constraints).
func (p Principal) Validate() error { return p.validate() }
