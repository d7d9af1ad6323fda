package tenantstest

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/wabsp/wabsp/internal/auth"
	"github.com/wabsp/wabsp/tenants"
)

// SeedAdmin is the principal seeded console users are invited by.
var SeedAdmin = auth.Principal{ClientID: uuid.New(), Role: auth.RoleAdmin, Scopes: []string{auth.ScopeAdmin}}

// MustCreateUser invites a console user of role for owner (a tenant or
// partner id; uuid.Nil for admins) and sets its password.
func MustCreateUser(tb testing.TB, svc *tenants.Service, email, password string, role auth.Role, owner uuid.UUID) tenants.User {
	tb.Helper()
	n := tenants.NewUser{Email: email, Role: role}
	switch role {
	case auth.RoleTenant:
		n.TenantID = owner
	case auth.RolePartner:
		n.PartnerID = owner
	}
	ctx := context.Background()
	inv, err := svc.InviteUser(ctx, SeedAdmin, n)
	if err != nil {
		tb.Fatalf("tenantstest: invite %s: %v", email, err)
	}
	if err := svc.ResetPassword(ctx, inv.Token, password, time.Now()); err != nil {
		tb.Fatalf("tenantstest: set password of %s: %v", email, err)
	}
	return inv.User
}
