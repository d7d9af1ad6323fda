package tenants_test

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/wabsp/wabsp/internal/apperr"
	"github.com/wabsp/wabsp/internal/auth"
	"github.com/wabsp/wabsp/internal/pgtest"
	"github.com/wabsp/wabsp/tenants"
	"github.com/wabsp/wabsp/tenants/tenantstest"
)

func TestCreateClient(t *testing.T) {
	db := pgtest.New(t)
	svc := tenantstest.NewService(t, db)
	ctx := context.Background()
	tn := tenantstest.MustCreateTenant(t, svc, "Owner")
	p := tenantstest.MustCreatePartner(t, svc, "Partner")

	c, secret, err := svc.CreateClient(ctx, admin, tenants.NewClient{Name: "CRM sync", Role: auth.RoleTenant, TenantID: tn.ID})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(auth.DefaultScopes(auth.RoleTenant), c.Scopes); diff != "" {
		t.Errorf("default scopes (-want +got):\n%s", diff)
	}
	if c.TenantID != tn.ID || c.Role != auth.RoleTenant || c.ClientID == "" || secret == "" {
		t.Errorf("client = %+v, secret %q", c, secret)
	}
	var stored string
	if err := db.QueryRow(ctx, `SELECT secret_hash FROM api_clients WHERE id = $1`, c.ID).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(stored, secret) || !auth.CheckSecret(stored, secret) {
		t.Errorf("stored secret %q is not a hash of the secret", stored)
	}

	narrowed, _, err := svc.CreateClient(ctx, admin, tenants.NewClient{Name: "reader", Role: auth.RolePartner,
		PartnerID: p.ID, Scopes: []string{auth.ScopeTenantsRead, auth.ScopeTenantsRead}})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{auth.ScopeTenantsRead}, narrowed.Scopes); diff != "" {
		t.Errorf("narrowed scopes (-want +got):\n%s", diff)
	}

	tests := []struct {
		name  string
		in    tenants.NewClient
		field string
	}{
		{"no name", tenants.NewClient{Role: auth.RoleAdmin}, "name"},
		{"unknown role", tenants.NewClient{Name: "x", Role: "root"}, "role"},
		{"tenant role without tenant", tenants.NewClient{Name: "x", Role: auth.RoleTenant}, "tenant_id"},
		{"admin with tenant", tenants.NewClient{Name: "x", Role: auth.RoleAdmin, TenantID: tn.ID}, "tenant_id"},
		{"partner role without partner", tenants.NewClient{Name: "x", Role: auth.RolePartner}, "partner_id"},
		{"unknown tenant", tenants.NewClient{Name: "x", Role: auth.RoleTenant, TenantID: uuid.New()}, "tenant_id"},
		{"unknown partner", tenants.NewClient{Name: "x", Role: auth.RolePartner, PartnerID: uuid.New()}, "partner_id"},
		{"admin scope for tenant", tenants.NewClient{Name: "x", Role: auth.RoleTenant, TenantID: tn.ID, Scopes: []string{auth.ScopeAdmin}}, "scopes"},
		{"unknown scope", tenants.NewClient{Name: "x", Role: auth.RoleAdmin, Scopes: []string{"everything"}}, "scopes"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := svc.CreateClient(ctx, admin, tc.in)
			wantCode(t, err, apperr.Invalid, tc.field)
		})
	}

	list, err := svc.ListClients(ctx, tenants.ClientFilter{TenantID: tn.ID}, tenants.Page{})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Items) != 1 || list.Items[0].ID != c.ID {
		t.Errorf("clients of the tenant = %+v, want only %s", list.Items, c.ID)
	}
	list, err = svc.ListClients(ctx, tenants.ClientFilter{Role: auth.RolePartner}, tenants.Page{})
	if err != nil || len(list.Items) != 1 || list.Items[0].ID != narrowed.ID {
		t.Errorf("partner clients = %+v, %v", list.Items, err)
	}
}

func TestAuthenticate(t *testing.T) {
	svc := tenantstest.NewService(t, pgtest.New(t))
	ctx := context.Background()
	tn := tenantstest.MustCreateTenant(t, svc, "Owner")
	p := tenantstest.MustCreatePartner(t, svc, "Partner", tn.ID)
	tc := tenantstest.MustCreateClient(t, svc, auth.RoleTenant, tn.ID, auth.ScopeTenantsRead)
	pc := tenantstest.MustCreateClient(t, svc, auth.RolePartner, p.ID)
	dc := tenantstest.MustCreateClient(t, svc, auth.RoleAdmin, uuid.Nil)
	if _, err := svc.DisableClient(ctx, admin, dc.Client.ID); err != nil {
		t.Fatal(err)
	}

	principal, err := svc.Authenticate(ctx, tc.Client.ClientID, tc.Secret)
	if err != nil {
		t.Fatal(err)
	}
	want := auth.Principal{ClientID: tc.Client.ID, ClientName: tc.Client.Name, Role: auth.RoleTenant,
		TenantID: tn.ID, Scopes: []string{auth.ScopeTenantsRead}}
	if diff := cmp.Diff(want, principal); diff != "" {
		t.Errorf("tenant principal (-want +got):\n%s", diff)
	}
	principal, err = svc.Authenticate(ctx, pc.Client.ClientID, pc.Secret)
	if err != nil || principal.PartnerID != p.ID || principal.Role != auth.RolePartner {
		t.Errorf("partner principal = %+v, %v", principal, err)
	}

	failures := []struct {
		name, clientID, secret string
	}{
		{"wrong secret", tc.Client.ClientID, pc.Secret},
		{"unknown client", "tnt_doesnotexist", tc.Secret},
		{"empty client id", "", tc.Secret},
		{"disabled client", dc.Client.ClientID, dc.Secret},
		{"oversized secret", tc.Client.ClientID, strings.Repeat("x", 10_000)},
	}
	for _, f := range failures {
		t.Run(f.name, func(t *testing.T) {
			_, err := svc.Authenticate(ctx, f.clientID, f.secret)
			wantCode(t, err, apperr.Unauthenticated, "")
			if e, _ := apperr.As(err); e.Message != "invalid client credentials" {
				t.Errorf("message %q tells failures apart", e.Message)
			}
		})
	}

	if active, err := svc.ClientActive(ctx, dc.Client.ID); err != nil || active {
		t.Errorf("disabled client active = %v, %v", active, err)
	}
	if active, err := svc.ClientActive(ctx, uuid.New()); err != nil || active {
		t.Errorf("unknown client active = %v, %v", active, err)
	}
	if active, err := svc.ClientActive(ctx, pc.Client.ID); err != nil || !active {
		t.Errorf("partner client active = %v, %v", active, err)
	}
	again, err := svc.DisableClient(ctx, admin, dc.Client.ID)
	if err != nil || again.DisabledAt == nil {
		t.Errorf("disabling twice = %+v, %v", again, err)
	}
	if _, err := svc.DisableClient(ctx, admin, uuid.New()); !apperr.Is(err, apperr.NotFound) {
		t.Errorf("disable unknown client: err = %v, want not_found", err)
	}
}
