package outbound

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/wabsp/wabsp/internal/apperr"
	"github.com/wabsp/wabsp/tenants/tenantstest"
)

func TestCreateValidates(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.AllowHTTP = false; o.Addresses = AddressPolicy{} })
	tenant := e.tenant(t, "Acme")
	tests := []struct {
		name  string
		in    NewSubscription
		field string
	}{
		{"plain http outside development", NewSubscription{URL: "http://example.com/hook", EventTypes: []string{"*"}}, "url"},
		{"relative url", NewSubscription{URL: "/hook", EventTypes: []string{"*"}}, "url"},
		{"credentials in url", NewSubscription{URL: "https://u:p@example.com/", EventTypes: []string{"*"}}, "url"},
		{"literal private address", NewSubscription{URL: "https://10.0.0.8/hook", EventTypes: []string{"*"}}, "url"},
		{"literal metadata address", NewSubscription{URL: "https://169.254.169.254/", EventTypes: []string{"*"}}, "url"},
		{"no event types", NewSubscription{URL: "https://example.com/"}, "event_types"},
		{"unknown event type", NewSubscription{URL: "https://example.com/", EventTypes: []string{"quality.changed"}}, "event_types"},
		{"in-flight limit", NewSubscription{URL: "https://example.com/", EventTypes: []string{"*"}, MaxInFlight: 65}, "max_in_flight"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := e.svc.Create(context.Background(), TenantOwner(tenant), tc.in, "")
			ae, ok := apperr.As(err)
			if !ok || ae.Code != apperr.Invalid || ae.Fields[tc.field] == "" {
				t.Fatalf("Create = %v, want invalid %s", err, tc.field)
			}
		})
	}
}

func TestSubscriptionLifecycle(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	tenant, other := e.tenant(t, "Acme"), e.tenant(t, "Other")
	owner := TenantOwner(tenant)
	sub, secret, err := e.svc.Create(ctx, owner, NewSubscription{
		URL: " https://hooks.example.com/wabsp ", Description: "CRM", EventTypes: []string{"quality.*", "optin.changed", "quality.*"},
	}, "")
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	if _, err := secretKey(secret); err != nil {
		t.Errorf("secret %q: %v", secret, err)
	}
	want := Subscription{ID: sub.ID, TenantID: tenant, URL: "https://hooks.example.com/wabsp", Description: "CRM",
		EventTypes: []string{"optin.changed", "quality.*"}, Active: true, MaxInFlight: DefaultMaxInFlight,
		CreatedAt: sub.CreatedAt, UpdatedAt: sub.UpdatedAt}
	if diff := cmp.Diff(want, sub); diff != "" {
		t.Errorf("created (-want +got):\n%s", diff)
	}

	if _, err := e.svc.Get(ctx, TenantOwner(other), sub.ID); apperr.CodeOf(err) != apperr.NotFound {
		t.Errorf("Get by another tenant = %v, want not found", err)
	}
	if l, err := e.svc.List(ctx, TenantOwner(other), Page{}); err != nil || len(l.Items) != 0 {
		t.Errorf("List by another tenant = %v, %v; want empty", l.Items, err)
	}

	off := false
	got, err := e.svc.Update(ctx, owner, sub.ID, SubscriptionPatch{Active: &off})
	if err != nil || got.Active || got.DisabledReason != "manual" || got.DisabledAt == nil {
		t.Fatalf("disable = %+v, %v", got, err)
	}
	on, ordered := true, true
	got, err = e.svc.Update(ctx, owner, sub.ID, SubscriptionPatch{Active: &on, Ordered: &ordered})
	if err != nil || !got.Active || got.DisabledReason != "" || !got.Ordered {
		t.Fatalf("enable = %+v, %v", got, err)
	}

	if err := e.svc.Delete(ctx, TenantOwner(other), sub.ID); apperr.CodeOf(err) != apperr.NotFound {
		t.Errorf("Delete by another tenant = %v, want not found", err)
	}
	if err := e.svc.Delete(ctx, owner, sub.ID); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if _, err := e.svc.Get(ctx, owner, sub.ID); apperr.CodeOf(err) != apperr.NotFound {
		t.Errorf("Get after delete = %v", err)
	}
}

func TestListPages(t *testing.T) {
	e := newEnv(t)
	tenant := e.tenant(t, "Acme")
	var ids []uuid.UUID
	for range 5 {
		sub, _ := e.subscribe(t, TenantOwner(tenant), "https://example.com/", "*")
		ids = append([]uuid.UUID{sub.ID}, ids...)
	}
	var got []uuid.UUID
	p := Page{Limit: 2}
	for {
		l, err := e.svc.List(context.Background(), TenantOwner(tenant), p)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range l.Items {
			got = append(got, s.ID)
		}
		if l.NextCursor == "" {
			break
		}
		p.Cursor = l.NextCursor
	}
	if diff := cmp.Diff(ids, got); diff != "" {
		t.Errorf("pages (-want +got):\n%s", diff)
	}
}

func TestPartnerSubscriptionsAreThePartners(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	tenant := e.tenant(t, "Acme")
	partner := tenantstest.MustCreatePartner(t, e.tenants, "Agency", tenant)
	sub, _ := e.subscribe(t, PartnerOwner(partner.ID), "https://agency.example.com/", "*")
	if sub.PartnerID != partner.ID || sub.TenantID != uuid.Nil {
		t.Errorf("owner = tenant %s partner %s", sub.TenantID, sub.PartnerID)
	}
	if _, err := e.svc.Get(ctx, TenantOwner(tenant), sub.ID); apperr.CodeOf(err) != apperr.NotFound {
		t.Errorf("a tenant reads its partner's subscription: %v", err)
	}
	if l, err := e.svc.List(ctx, PartnerOwner(partner.ID), Page{}); err != nil || len(l.Items) != 1 {
		t.Errorf("partner list = %v, %v", l.Items, err)
	}
}

func TestRotateSecretKeepsTheOldOneForTheOverlap(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	tenant := e.tenant(t, "Acme")
	sub, first := e.subscribe(t, TenantOwner(tenant), "https://example.com/", "*")

	rotated, second, err := e.svc.RotateSecret(ctx, TenantOwner(tenant), sub.ID, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if second == first || rotated.PreviousSecretExpiresAt == nil {
		t.Fatalf("rotation: new secret equal %v, overlap end %v", second == first, rotated.PreviousSecretExpiresAt)
	}
	ep, err := e.svc.loadEndpoint(ctx, sub.ID)
	if err != nil {
		t.Fatal(err)
	}
	k1, _ := secretKey(first)
	k2, _ := secretKey(second)
	if diff := cmp.Diff([][]byte{k2, k1}, ep.keys); diff != "" {
		t.Errorf("signing keys during overlap (-want +got):\n%s", diff)
	}

	_, third, err := e.svc.RotateSecret(ctx, TenantOwner(tenant), sub.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	ep, _ = e.svc.loadEndpoint(ctx, sub.ID)
	k3, _ := secretKey(third)
	if diff := cmp.Diff([][]byte{k3}, ep.keys); diff != "" {
		t.Errorf("signing keys after a rotation without overlap (-want +got):\n%s", diff)
	}
	if _, _, err := e.svc.RotateSecret(ctx, TenantOwner(tenant), sub.ID, 8*24*time.Hour); apperr.CodeOf(err) != apperr.Invalid {
		t.Errorf("overlap of 8 days = %v, want invalid", err)
	}
}

func TestCreateWithIdempotencyKey(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	owner := TenantOwner(e.tenant(t, "Acme"))
	in := NewSubscription{URL: "https://example.com/", EventTypes: []string{"*"}}
	first, secret, err := e.svc.Create(ctx, owner, in, "key-1")
	if err != nil {
		t.Fatal(err)
	}
	again, secretAgain, err := e.svc.Create(ctx, owner, in, "key-1")
	if err != nil || again.ID != first.ID || secretAgain != secret {
		t.Errorf("repeat = %s (same secret %v), %v; want %s", again.ID, secretAgain == secret, err, first.ID)
	}
	in.Description = "changed"
	if _, _, err := e.svc.Create(ctx, owner, in, "key-1"); apperr.CodeOf(err) != apperr.Conflict {
		t.Errorf("same key, other request = %v; want conflict", err)
	}
	if l, _ := e.svc.List(ctx, owner, Page{}); len(l.Items) != 1 {
		t.Errorf("%d subscriptions, want 1", len(l.Items))
	}
}
