package tenants_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/wabsp/wabsp/internal/apperr"
	"github.com/wabsp/wabsp/internal/auth"
	"github.com/wabsp/wabsp/internal/pgtest"
	"github.com/wabsp/wabsp/tenants"
	"github.com/wabsp/wabsp/tenants/tenantstest"
)

func TestInviteUser(t *testing.T) {
	db := pgtest.New(t)
	svc := tenantstest.NewService(t, db)
	mine := tenantstest.MustCreateTenant(t, svc, "Mine")
	other := tenantstest.MustCreateTenant(t, svc, "Other")
	partner := tenantstest.MustCreatePartner(t, svc, "Agency", mine.ID)
	asPartner := auth.Principal{ClientID: uuid.New(), Role: auth.RolePartner, PartnerID: partner.ID}
	asTenant := auth.Principal{ClientID: uuid.New(), Role: auth.RoleTenant, TenantID: mine.ID}
	tests := []struct {
		name string
		by   auth.Principal
		n    tenants.NewUser
		want apperr.Code // "" for success
	}{
		{"admin invites an admin", tenantstest.SeedAdmin, tenants.NewUser{Email: "Ops@BSP.example", Role: auth.RoleAdmin}, ""},
		{"admin invites a partner user", tenantstest.SeedAdmin, tenants.NewUser{Email: "am@agency.example", Role: auth.RolePartner, PartnerID: partner.ID}, ""},
		{"partner invites its tenant's user", asPartner, tenants.NewUser{Email: "a@mine.example", Role: auth.RoleTenant, TenantID: mine.ID}, ""},
		{"partner invites another tenant's user", asPartner, tenants.NewUser{Email: "a@other.example", Role: auth.RoleTenant, TenantID: other.ID}, apperr.Forbidden},
		{"partner invites an admin", asPartner, tenants.NewUser{Email: "x@agency.example", Role: auth.RoleAdmin}, apperr.Forbidden},
		{"tenant invites", asTenant, tenants.NewUser{Email: "b@mine.example", Role: auth.RoleTenant, TenantID: mine.ID}, apperr.Forbidden},
		{"tenant role without tenant", tenantstest.SeedAdmin, tenants.NewUser{Email: "c@mine.example", Role: auth.RoleTenant}, apperr.Invalid},
		{"not an email", tenantstest.SeedAdmin, tenants.NewUser{Email: "nobody", Role: auth.RoleAdmin}, apperr.Invalid},
		{"email taken, whatever its case", tenantstest.SeedAdmin, tenants.NewUser{Email: "OPS@bsp.example", Role: auth.RoleAdmin}, apperr.Conflict},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv, err := svc.InviteUser(context.Background(), tt.by, tt.n)
			if tt.want != "" {
				if !apperr.Is(err, tt.want) {
					t.Fatalf("err = %v, want %s", err, tt.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if inv.Token == "" {
				t.Error("no password link")
			}
			// An invited user has no password until it uses the link.
			if _, err := svc.Login(context.Background(), tt.n.Email, "", time.Now()); !apperr.Is(err, apperr.Unauthenticated) {
				t.Errorf("login before setting a password: %v", err)
			}
		})
	}
}

func TestLoginPassword(t *testing.T) {
	db := pgtest.New(t)
	svc := tenantstest.NewService(t, db)
	u := tenantstest.MustCreateUser(t, svc, "ops@bsp.example", "a long enough password", auth.RoleAdmin, uuid.Nil)
	tests := []struct {
		name, email, password string
		ok                    bool
	}{
		{"right", "ops@bsp.example", "a long enough password", true},
		{"email in another case", " OPS@bsp.example", "a long enough password", true},
		{"wrong password", "ops@bsp.example", "a long enough passworD", false},
		{"unknown email", "who@bsp.example", "a long enough password", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := svc.Login(context.Background(), tt.email, tt.password, time.Now())
			if tt.ok != (err == nil) {
				t.Fatalf("err = %v, want ok=%v", err, tt.ok)
			}
			if tt.ok && got.ID != u.ID {
				t.Errorf("logged in as %s, want %s", got.ID, u.ID)
			}
		})
	}
	var hash string
	if err := db.QueryRow(context.Background(), `SELECT password_hash FROM console_users WHERE id = $1`, u.ID).Scan(&hash); err != nil {
		t.Fatal(err)
	}
	if want := "$argon2id$v=19$m=19456,t=2,p=1$"; len(hash) < len(want) || hash[:len(want)] != want {
		t.Errorf("stored hash %q is not argon2id with our parameters", hash)
	}
}
