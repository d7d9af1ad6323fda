package tenants_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/wabsp/wabsp/internal/apperr"
	"github.com/wabsp/wabsp/internal/pgtest"
	"github.com/wabsp/wabsp/tenants"
	"github.com/wabsp/wabsp/tenants/tenantstest"
)

func names(ts []tenants.Tenant) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.Name
	}
	return out
}

func TestListTenants(t *testing.T) {
	svc := tenantstest.NewService(t, pgtest.New(t))
	ctx := context.Background()
	var created []tenants.Tenant
	for i := range 5 {
		created = append(created, tenantstest.MustCreateTenant(t, svc, fmt.Sprintf("Shop %d", i)))
	}
	tenantstest.MustCreateTenant(t, svc, "Acme 50% Off", func(n *tenants.NewTenant) { n.Slug = "acme-outlet" })
	tenantstest.MustSuspendTenant(t, svc, created[1].ID)
	p := tenantstest.MustCreatePartner(t, svc, "Reseller", created[0].ID, created[3].ID)

	t.Run("pages newest first", func(t *testing.T) {
		var got []string
		cursor := ""
		for pages := 0; ; pages++ {
			if pages > 10 {
				t.Fatal("paging does not end")
			}
			page, err := svc.ListTenants(ctx, tenants.TenantFilter{}, tenants.Page{Limit: 2, Cursor: cursor})
			if err != nil {
				t.Fatal(err)
			}
			if len(page.Items) > 2 {
				t.Fatalf("page of %d items, limit 2", len(page.Items))
			}
			got = append(got, names(page.Items)...)
			if cursor = page.NextCursor; cursor == "" {
				break
			}
		}
		want := []string{"Acme 50% Off", "Shop 4", "Shop 3", "Shop 2", "Shop 1", "Shop 0"}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("all pages (-want +got):\n%s", diff)
		}
	})

	tests := []struct {
		name   string
		filter tenants.TenantFilter
		want   []string
	}{
		{"name substring, any case", tenants.TenantFilter{Query: "shop 3"}, []string{"Shop 3"}},
		{"slug substring", tenants.TenantFilter{Query: "outlet"}, []string{"Acme 50% Off"}},
		{"wildcards are literal", tenants.TenantFilter{Query: "50%"}, []string{"Acme 50% Off"}},
		{"underscore is literal", tenants.TenantFilter{Query: "Shop_"}, []string{}},
		{"suspended only", tenants.TenantFilter{Status: tenants.StatusSuspended}, []string{"Shop 1"}},
		{"partner's tenants", tenants.TenantFilter{PartnerID: p.ID}, []string{"Shop 3", "Shop 0"}},
		{"partner's tenants searched", tenants.TenantFilter{PartnerID: p.ID, Query: "shop 0"}, []string{"Shop 0"}},
		{"unknown partner", tenants.TenantFilter{PartnerID: uuid.New()}, []string{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			page, err := svc.ListTenants(ctx, tc.filter, tenants.Page{})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, names(page.Items)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if page.NextCursor != "" {
				t.Errorf("NextCursor = %q on a short list", page.NextCursor)
			}
		})
	}

	for _, bad := range []string{"not-base64!", "bm9waXBl", tenantsCursorOf(t, svc)[:5]} {
		if _, err := svc.ListTenants(ctx, tenants.TenantFilter{}, tenants.Page{Cursor: bad}); !apperr.Is(err, apperr.Invalid) {
			t.Errorf("cursor %q: err = %v, want invalid", bad, err)
		}
	}
	if _, err := svc.ListTenants(ctx, tenants.TenantFilter{Status: "deleted"}, tenants.Page{}); !apperr.Is(err, apperr.Invalid) {
		t.Errorf("unknown status: err = %v, want invalid", err)
	}
}

// tenantsCursorOf returns a real cursor, so the test can damage it.
func tenantsCursorOf(t *testing.T, svc *tenants.Service) string {
	t.Helper()
	page, err := svc.ListTenants(context.Background(), tenants.TenantFilter{}, tenants.Page{Limit: 1})
	if err != nil || page.NextCursor == "" {
		t.Fatalf("no cursor: %v", err)
	}
	return page.NextCursor
}
