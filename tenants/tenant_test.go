package tenants_test

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/wabsp/wabsp/internal/apperr"
	"github.com/wabsp/wabsp/internal/auth"
	"github.com/wabsp/wabsp/internal/pgtest"
	"github.com/wabsp/wabsp/tenants"
	"github.com/wabsp/wabsp/tenants/tenantstest"
)

var (
	admin   = tenants.Actor{ID: uuid.New(), Role: auth.RoleAdmin, RequestID: "req-admin"}
	partner = tenants.Actor{ID: uuid.New(), Role: auth.RolePartner, RequestID: "req-partner"}
)

func ptr[T any](v T) *T { return &v }

// wantCode fails unless err carries code; for Invalid it also checks the
// field named.
func wantCode(t *testing.T, err error, code apperr.Code, field string) {
	t.Helper()
	if got := apperr.CodeOf(err); got != code {
		t.Fatalf("error = %v, want code %s", err, code)
	}
	if field == "" {
		return
	}
	e, _ := apperr.As(err)
	if _, ok := e.Fields[field]; !ok {
		t.Fatalf("error fields = %v, want %q among them", e.Fields, field)
	}
}

func TestCreateTenant(t *testing.T) {
	svc := tenantstest.NewService(t, pgtest.New(t))
	ctx := context.Background()

	created, err := svc.CreateTenant(ctx, admin, tenants.NewTenant{Name: "Lucky Shrub", Slug: "lucky-shrub"})
	if err != nil {
		t.Fatal(err)
	}
	want := tenants.Tenant{ID: created.ID, Name: "Lucky Shrub", Slug: "lucky-shrub", Status: tenants.StatusActive,
		TimeZone: "UTC", Currency: "USD", Plan: "standard", RetentionDays: 400,
		CreatedAt: created.CreatedAt, UpdatedAt: created.UpdatedAt}
	if diff := cmp.Diff(want, created); diff != "" {
		t.Errorf("created tenant (-want +got):\n%s", diff)
	}
	got, err := svc.GetTenant(ctx, created.ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(created, got); diff != "" {
		t.Errorf("GetTenant (-created +got):\n%s", diff)
	}

	tests := []struct {
		name  string
		in    tenants.NewTenant
		code  apperr.Code
		field string
	}{
		{"duplicate slug", tenants.NewTenant{Name: "Other", Slug: "lucky-shrub"}, apperr.Conflict, ""},
		{"empty name", tenants.NewTenant{Slug: "no-name"}, apperr.Invalid, "name"},
		{"upper-case slug", tenants.NewTenant{Name: "x", Slug: "Lucky"}, apperr.Invalid, "slug"},
		{"unknown time zone", tenants.NewTenant{Name: "x", Slug: "tz-x", TimeZone: "Mars/Olympus"}, apperr.Invalid, "time_zone"},
		{"server-local time zone", tenants.NewTenant{Name: "x", Slug: "tz-local", TimeZone: "Local"}, apperr.Invalid, "time_zone"},
		{"lower-case currency", tenants.NewTenant{Name: "x", Slug: "cur-x", Currency: "usd"}, apperr.Invalid, "currency"},
		{"retention too short", tenants.NewTenant{Name: "x", Slug: "ret-x", RetentionDays: 7}, apperr.Invalid, "retention_days"},
		{"bad plan", tenants.NewTenant{Name: "x", Slug: "plan-x", Plan: "Gold Plan"}, apperr.Invalid, "plan"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := svc.CreateTenant(ctx, admin, tc.in)
			wantCode(t, err, tc.code, tc.field)
		})
	}
}

func TestUpdateTenant(t *testing.T) {
	svc := tenantstest.NewService(t, pgtest.New(t))
	ctx := context.Background()
	tn := tenantstest.MustCreateTenant(t, svc, "Before")

	got, err := svc.UpdateTenant(ctx, partner, tn.ID, tenants.TenantPatch{Name: ptr("After"), TimeZone: ptr("Europe/Berlin")})
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != "After" || got.TimeZone != "Europe/Berlin" || got.Currency != tn.Currency || got.Slug != tn.Slug {
		t.Errorf("UpdateTenant = %+v, want name and time zone changed only", got)
	}

	tests := []struct {
		name  string
		actor tenants.Actor
		id    uuid.UUID
		patch tenants.TenantPatch
		code  apperr.Code
		field string
	}{
		{"partner changes plan", partner, tn.ID, tenants.TenantPatch{Plan: ptr("premium")}, apperr.Forbidden, ""},
		{"unknown tenant", admin, uuid.New(), tenants.TenantPatch{Name: ptr("x")}, apperr.NotFound, ""},
		{"empty name", admin, tn.ID, tenants.TenantPatch{Name: ptr("")}, apperr.Invalid, "name"},
		{"bad time zone", admin, tn.ID, tenants.TenantPatch{TimeZone: ptr("Nowhere")}, apperr.Invalid, "time_zone"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := svc.UpdateTenant(ctx, tc.actor, tc.id, tc.patch)
			wantCode(t, err, tc.code, tc.field)
		})
	}
	after, err := svc.GetTenant(ctx, tn.ID)
	if err != nil {
		t.Fatal(err)
	}
	if after.Plan != tn.Plan || after.Name != "After" {
		t.Errorf("failed updates changed the tenant: %+v", after)
	}

	got, err = svc.UpdateTenant(ctx, admin, tn.ID, tenants.TenantPatch{Plan: ptr("premium")})
	if err != nil || got.Plan != "premium" {
		t.Errorf("admin plan change = %+v, %v", got, err)
	}
}

func TestSuspendAndResume(t *testing.T) {
	svc := tenantstest.NewService(t, pgtest.New(t))
	ctx := context.Background()
	tn := tenantstest.MustCreateTenant(t, svc, "Suspendable")
	cred := tenantstest.MustCreateClient(t, svc, auth.RoleTenant, tn.ID)

	if _, err := svc.SuspendTenant(ctx, admin, tn.ID, "  "); !apperr.Is(err, apperr.Invalid) {
		t.Errorf("blank reason: err = %v, want invalid", err)
	}
	s, err := svc.SuspendTenant(ctx, admin, tn.ID, "unpaid invoice")
	if err != nil {
		t.Fatal(err)
	}
	if !s.Suspended() || s.SuspendedReason != "unpaid invoice" || s.SuspendedAt == nil {
		t.Errorf("suspended tenant = %+v", s)
	}
	if _, err := svc.Authenticate(ctx, cred.Client.ClientID, cred.Secret); !apperr.Is(err, apperr.TenantSuspended) {
		t.Errorf("Authenticate for suspended tenant: err = %v, want tenant_suspended", err)
	}
	if _, err := svc.Authenticate(ctx, cred.Client.ClientID, "wrong"); !apperr.Is(err, apperr.Unauthenticated) {
		t.Errorf("wrong secret for suspended tenant: err = %v, want unauthenticated before the suspension shows", err)
	}
	if active, err := svc.ClientActive(ctx, cred.Client.ID); err != nil || active {
		t.Errorf("ClientActive while suspended = %v, %v; want false", active, err)
	}

	r, err := svc.ResumeTenant(ctx, admin, tn.ID)
	if err != nil {
		t.Fatal(err)
	}
	if r.Suspended() || r.SuspendedAt != nil || r.SuspendedReason != "" {
		t.Errorf("resumed tenant = %+v", r)
	}
	if active, err := svc.ClientActive(ctx, cred.Client.ID); err != nil || !active {
		t.Errorf("ClientActive after resume = %v, %v; want true", active, err)
	}
	if _, err := svc.SuspendTenant(ctx, admin, uuid.New(), "x"); !apperr.Is(err, apperr.NotFound) {
		t.Errorf("suspend unknown tenant: err = %v, want not_found", err)
	}
}
