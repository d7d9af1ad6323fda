package tenants_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wabsp/wabsp/internal/pgtest"
	"github.com/wabsp/wabsp/tenants"
	"github.com/wabsp/wabsp/tenants/tenantstest"
)

func actions(es []tenants.AuditEntry) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.Action
	}
	return out
}

func TestAuditLog(t *testing.T) {
	db := pgtest.New(t)
	svc := tenantstest.NewService(t, db)
	ctx := context.Background()

	tn, err := svc.CreateTenant(ctx, admin, tenants.NewTenant{Name: "Audited", Slug: "audited"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.UpdateTenant(ctx, partner, tn.ID, tenants.TenantPatch{Name: ptr("Renamed")}); err != nil {
		t.Fatal(err)
	}
	w, err := svc.CreateWABA(ctx, admin, tn.ID, tenants.NewWABA{WABAID: "42", AccessToken: token})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.SuspendTenant(ctx, admin, tn.ID, "audit test"); err != nil {
		t.Fatal(err)
	}
	// A failed write leaves no entry.
	if _, err := svc.CreateWABA(ctx, admin, tn.ID, tenants.NewWABA{WABAID: "42"}); err == nil {
		t.Fatal("duplicate WABA accepted")
	}
	other := tenantstest.MustCreateTenant(t, svc, "Other")

	tests := []struct {
		name   string
		filter tenants.AuditFilter
		want   []string
	}{
		{"by tenant", tenants.AuditFilter{TenantID: tn.ID}, []string{"tenant.suspend", "waba.create", "tenant.update", "tenant.create"}},
		{"by actor", tenants.AuditFilter{ActorID: partner.ID}, []string{"tenant.update"}},
		{"by action", tenants.AuditFilter{Action: "tenant.create"}, []string{"tenant.create", "tenant.create"}},
		{"other tenant", tenants.AuditFilter{TenantID: other.ID}, []string{"tenant.create"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			page, err := svc.ListAudit(ctx, tc.filter, tenants.Page{})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, actions(page.Items)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}

	page, err := svc.ListAudit(ctx, tenants.AuditFilter{ActorID: partner.ID}, tenants.Page{})
	if err != nil || len(page.Items) != 1 {
		t.Fatalf("partner entries = %+v, %v", page.Items, err)
	}
	e := page.Items[0]
	var before, after tenants.Tenant
	if err := json.Unmarshal(e.Before, &before); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(e.After, &after); err != nil {
		t.Fatal(err)
	}
	if before.Name != "Audited" || after.Name != "Renamed" || e.ActorRole != "partner" ||
		e.RequestID != partner.RequestID || e.ResourceID != tn.ID.String() || e.TenantID != tn.ID {
		t.Errorf("update entry = %+v", e)
	}

	var wabaAfter string
	if err := db.QueryRow(ctx, `SELECT after::text FROM audit_log WHERE action = 'waba.create' AND resource_id = $1`,
		w.ID.String()).Scan(&wabaAfter); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(wabaAfter, token) {
		t.Errorf("audit entry %s holds the access token", wabaAfter)
	}

	first, err := svc.ListAudit(ctx, tenants.AuditFilter{}, tenants.Page{Limit: 3})
	if err != nil || first.NextCursor == "" {
		t.Fatalf("first page = %v, %v", first, err)
	}
	second, err := svc.ListAudit(ctx, tenants.AuditFilter{}, tenants.Page{Limit: 3, Cursor: first.NextCursor})
	if err != nil {
		t.Fatal(err)
	}
	if len(second.Items) != 2 || second.Items[0].ID >= first.Items[2].ID {
		t.Errorf("second page = %+v after %+v", second.Items, first.Items)
	}
}
