package httpapi_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wabsp/wabsp/insights"
	"github.com/wabsp/wabsp/internal/metasim"
	"github.com/wabsp/wabsp/openapi"
	"github.com/wabsp/wabsp/webhooks"
)

// A delivered marketing template answers with its history in event order
// and its ledger row; other tenants and unknown wamids get 404.
func TestMessageByWAMID(t *testing.T) {
	e := newEnv(t, options{})
	ctx := context.Background()
	if err := e.billing.Seed(ctx); err != nil {
		t.Fatal(err)
	}
	e.hooks.Register(webhooks.FieldMessages, e.hooks.Defaults(), e.billing.Handler())
	sent := time.Now().UTC().Add(-time.Hour).Truncate(time.Second)
	p := &metasim.Pricing{Billable: true, Model: "PMP", Type: "regular", Category: "marketing"}
	// Delivered arrives before sent, as Meta may send them.
	st := []metasim.Status{
		{WAMID: "wamid.m1", Status: "delivered", Timestamp: sent.Add(time.Second), RecipientID: "5511911110001", Pricing: p},
		{WAMID: "wamid.m1", Status: "sent", Timestamp: sent, RecipientID: "5511911110001", Pricing: p},
		{WAMID: "wamid.m2", Status: "sent", Timestamp: sent, RecipientID: "5511911110002", Pricing: p},
	}
	labels := insights.Annotation{WAMID: "wamid.m1", TemplateName: "spring_sale", TemplateLanguage: "pt_BR",
		Campaign: "spring", Agent: "ana"}
	if _, err := e.insights.Annotate(ctx, e.tenantA.ID, []insights.Annotation{labels}, ""); err != nil {
		t.Fatal(err)
	}
	body := metasim.StatusesBody(e.wabaA.WABAID, e.phoneA.PhoneNumberID, metasim.Digits(e.phoneA.DisplayPhoneNumber), st)
	archived, err := e.hooks.Archive(ctx, []webhooks.Body{{Raw: body, ReceivedAt: time.Now(), AppID: testAppID}})
	if err != nil {
		t.Fatal(err)
	}
	batches, err := e.hooks.Route(ctx, archived)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range batches {
		if err := e.hooks.Apply(ctx, b.TenantID, b.Changes); err != nil {
			t.Fatal(err)
		}
	}
	path := "/v1/tenants/" + e.tenantA.ID.String() + "/messages/wamid.m1"
	check := func(t *testing.T, m openapi.Message) {
		t.Helper()
		if m.TenantId != e.tenantA.ID || m.Status != "delivered" || m.PhoneNumberId != e.phoneA.PhoneNumberID ||
			len(m.History) != 2 || m.History[0].Status != "sent" || m.History[1].Status != "delivered" ||
			!m.History[0].EventTime.Equal(sent) {
			t.Fatalf("message = %+v", m)
		}
		want := &openapi.MessageLabels{TemplateName: ptr("spring_sale"), TemplateLanguage: ptr("pt_BR"), Campaign: ptr("spring"), Agent: ptr("ana")}
		if diff := cmp.Diff(want, m.Labels); diff != "" || m.DisplayPhoneNumber == nil || *m.DisplayPhoneNumber != e.phoneA.DisplayPhoneNumber {
			t.Fatalf("display number %v, labels (-want +got):\n%s", m.DisplayPhoneNumber, diff)
		}
		if b := m.Billing; b == nil || b.Market != "Brazil" || b.Category != "marketing" || !b.Charged ||
			b.MetaCost != "0.0625" || b.Price != "0.0625" {
			t.Fatalf("billing = %+v", m.Billing)
		}
	}
	t.Run("tenant reads its message", func(t *testing.T) {
		var m openapi.Message
		must(t, e.do(request{method: "GET", path: path, token: e.token(e.clientA)}), http.StatusOK, &m)
		check(t, m)
	})
	t.Run("admin finds the owner", func(t *testing.T) {
		var m openapi.Message
		must(t, e.do(request{method: "GET", path: "/v1/admin/messages/wamid.m1", token: e.token(e.admin)}), http.StatusOK, &m)
		check(t, m)
	})
	t.Run("an unlabelled message has no labels", func(t *testing.T) {
		var m openapi.Message
		must(t, e.do(request{method: "GET", path: "/v1/admin/messages/wamid.m2", token: e.token(e.admin)}), http.StatusOK, &m)
		if m.Labels != nil || m.DisplayPhoneNumber == nil {
			t.Fatalf("labels %+v, display number %v", m.Labels, m.DisplayPhoneNumber)
		}
	})
	tests := []struct {
		name, path, token string
	}{
		{"unknown wamid", "/v1/tenants/" + e.tenantA.ID.String() + "/messages/wamid.none", e.token(e.clientA)},
		{"another tenant's wamid", "/v1/tenants/" + e.tenantB.ID.String() + "/messages/wamid.m1", e.token(e.clientB)},
		{"unknown wamid for admins", "/v1/admin/messages/wamid.none", e.token(e.admin)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do(request{method: "GET", path: tc.path, token: tc.token})
			if r.status != http.StatusNotFound || r.problem(t).Code != "not_found" {
				t.Fatalf("status %d: %s", r.status, r.body)
			}
		})
	}
}
