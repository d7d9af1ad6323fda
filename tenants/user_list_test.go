package tenants_test

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/wabsp/wabsp/internal/apperr"
	"github.com/wabsp/wabsp/internal/auth"
	"github.com/wabsp/wabsp/internal/pgtest"
	"github.com/wabsp/wabsp/tenants/tenantstest"
)

func TestListUsers(t *testing.T) {
	db := pgtest.New(t)
	svc := tenantstest.NewService(t, db)
	mine := tenantstest.MustCreateTenant(t, svc, "Mine")
	other := tenantstest.MustCreateTenant(t, svc, "Other")
	partner := tenantstest.MustCreatePartner(t, svc, "Agency", mine.ID)
	tenantstest.MustCreateUser(t, svc, "ops@bsp.example", "correct horse battery", auth.RoleAdmin, uuid.Nil)
	tenantstest.MustCreateUser(t, svc, "am@agency.example", "correct horse battery", auth.RolePartner, partner.ID)
	tenantstest.MustCreateUser(t, svc, "a@mine.example", "correct horse battery", auth.RoleTenant, mine.ID)
	tenantstest.MustCreateUser(t, svc, "b@other.example", "correct horse battery", auth.RoleTenant, other.ID)
	tests := []struct {
		name string
		by   auth.Principal
		want []string
		err  apperr.Code
	}{
		{"admin sees everyone", tenantstest.SeedAdmin, []string{"a@mine.example", "am@agency.example", "b@other.example", "ops@bsp.example"}, ""},
		{"partner sees its tenants' users", auth.Principal{Role: auth.RolePartner, PartnerID: partner.ID}, []string{"a@mine.example"}, ""},
		{"tenant sees none", auth.Principal{Role: auth.RoleTenant, TenantID: mine.ID}, nil, apperr.Forbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			users, err := svc.ListUsers(context.Background(), tt.by)
			if tt.err != "" {
				if !apperr.Is(err, tt.err) {
					t.Fatalf("err = %v, want %s", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, u := range users {
				got = append(got, u.Email)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("users (-want +got):\n%s", diff)
			}
		})
	}
}
