package tenants

import (
	"context"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/wabsp/wabsp/internal/apperr"
	"github.com/wabsp/wabsp/internal/auth"
	"github.com/wabsp/wabsp/internal/pg"
)

// UserListLimit bounds ListUsers: the console lists users on one page.
const UserListLimit = 500

// ListUsers lists the console users by may manage, by email: every user
// for admins, the users of its tenants for a partner. Others see none.
func (s *Service) ListUsers(ctx context.Context, by auth.Principal) ([]User, error) {
	var q string
	var args []any
	switch by.Role {
	case auth.RoleAdmin:
		q = `SELECT id, email, role, tenant_id, partner_id, created_at FROM console_users ORDER BY email LIMIT $1`
		args = []any{UserListLimit}
	case auth.RolePartner:
		q = `SELECT u.id, u.email, u.role, u.tenant_id, u.partner_id, u.created_at FROM console_users u
			JOIN partner_tenants pt ON pt.tenant_id = u.tenant_id AND pt.partner_id = $2
			ORDER BY u.email LIMIT $1`
		args = []any{UserListLimit, by.PartnerID}
	default:
		return nil, apperr.New(apperr.Forbidden, "only admins and partners manage users")
	}
	rows, err := s.db.Query(ctx, q, args...)
	if err != nil {
		return nil, pg.Translate(err, "console user")
	}
	users, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (User, error) {
		var u User
		var tenantID, partnerID *uuid.UUID
		err := r.Scan(&u.ID, &u.Email, &u.Role, &tenantID, &partnerID, &u.CreatedAt)
		u.TenantID, u.PartnerID = uuidOrNil(tenantID), uuidOrNil(partnerID)
		return u, err
	})
	return users, pg.Translate(err, "console user")
}
