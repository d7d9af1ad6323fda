package httpapi_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wabsp/wabsp/openapi"
	"github.com/wabsp/wabsp/webhooks/outbound"
)

func TestWebhookSubscriptionFlow(t *testing.T) {
	e := newEnv(t, options{})
	tenantA := e.token(e.clientA)
	base := "/v1/tenants/" + e.tenantA.ID.String()
	create := func(key string) response {
		return e.do(request{method: http.MethodPost, path: base + "/webhook-subscriptions", token: tenantA,
			header: map[string]string{"Idempotency-Key": key},
			body:   `{"url":"https://crm.example.com/hook","event_types":["quality.*"],"description":"CRM"}`})
	}
	res := create("sub-1")
	if res.status != http.StatusCreated {
		t.Fatalf("create: %d %s", res.status, res.body)
	}
	var created openapi.WebhookSubscriptionSecret
	res.decode(t, &created)
	if !strings.HasPrefix(created.Secret, "whsec_") || created.Subscription.TenantId == nil || *created.Subscription.TenantId != e.tenantA.ID {
		t.Errorf("created = %+v", created)
	}
	var again openapi.WebhookSubscriptionSecret
	create("sub-1").decode(t, &again)
	if again.Subscription.Id != created.Subscription.Id || again.Secret != created.Secret {
		t.Errorf("the same Idempotency-Key created another subscription or secret")
	}

	tests := []struct {
		name   string
		method string
		path   string
		body   string
		want   int
	}{
		{"list", http.MethodGet, "/webhook-subscriptions", "", http.StatusOK},
		{"get", http.MethodGet, "/webhook-subscriptions/" + created.Subscription.Id.String(), "", http.StatusOK},
		{"plain http refused", http.MethodPost, "/webhook-subscriptions", `{"url":"http://crm.example.com/","event_types":["*"]}`, http.StatusBadRequest},
		{"unknown event type refused", http.MethodPost, "/webhook-subscriptions", `{"url":"https://crm.example.com/","event_types":["quality.nope"]}`, http.StatusBadRequest},
		{"disable", http.MethodPatch, "/webhook-subscriptions/" + created.Subscription.Id.String(), `{"active":false}`, http.StatusOK},
		{"no test to a disabled endpoint", http.MethodPost, "/webhook-subscriptions/" + created.Subscription.Id.String() + "/test", "", http.StatusConflict},
		{"enable", http.MethodPatch, "/webhook-subscriptions/" + created.Subscription.Id.String(), `{"active":true}`, http.StatusOK},
		{"test", http.MethodPost, "/webhook-subscriptions/" + created.Subscription.Id.String() + "/test", "", http.StatusAccepted},
		{"rotate", http.MethodPost, "/webhook-subscriptions/" + created.Subscription.Id.String() + "/rotate-secret", `{"overlap_seconds":3600}`, http.StatusOK},
		{"dead letters", http.MethodGet, "/webhook-deliveries?status=dead", "", http.StatusOK},
		{"replay range", http.MethodPost, "/webhook-subscriptions/" + created.Subscription.Id.String() + "/replay", `{"from":"2026-01-01T00:00:00Z","to":"2026-01-02T00:00:00Z"}`, http.StatusAccepted},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := e.do(request{method: tc.method, path: base + tc.path, token: tenantA, body: tc.body})
			if res.status != tc.want {
				t.Errorf("%s %s = %d %s, want %d", tc.method, tc.path, res.status, res.body, tc.want)
			}
		})
	}

	var log openapi.WebhookDeliveryList
	e.do(request{method: http.MethodGet, token: tenantA,
		path: base + "/webhook-deliveries?subscription_id=" + created.Subscription.Id.String()}).decode(t, &log)
	if len(log.Items) != 1 || log.Items[0].EventType != outbound.TypeTest {
		t.Errorf("delivery log = %+v, want the test message", log.Items)
	}
}

// The spec's webhooks section publishes the catalogue the service delivers:
// one entry per event type whose data schema is the catalogue's.
func TestSpecPublishesTheEventCatalogue(t *testing.T) {
	doc, err := openapi.GetSwagger()
	if err != nil {
		t.Fatal(err)
	}
	cat := outbound.Catalogue()
	if len(doc.Webhooks) != len(cat) {
		t.Errorf("spec has %d webhooks, catalogue %d types", len(doc.Webhooks), len(cat))
	}
	for _, et := range cat {
		item := doc.Webhooks[et.Type]
		if item == nil || item.Post == nil {
			t.Errorf("%s is missing from the spec's webhooks", et.Type)
			continue
		}
		body := item.Post.RequestBody.Value.Content.Get("application/json").Schema.Value
		data := body.Properties["data"].Value
		got, err := json.Marshal(data)
		if err != nil {
			t.Fatal(err)
		}
		var gotMap, wantMap map[string]any
		_ = json.Unmarshal(got, &gotMap)
		_ = json.Unmarshal(et.DataSchema, &wantMap)
		if diff := cmp.Diff(wantMap, gotMap); diff != "" {
			t.Errorf("%s data schema differs from the catalogue (-catalogue +spec):\n%s", et.Type, diff)
		}
	}

	e := newEnv(t, options{})
	var list openapi.WebhookEventTypeList
	res := e.do(request{method: http.MethodGet, path: "/v1/webhook-event-types", token: e.token(e.clientA)})
	res.decode(t, &list)
	if res.status != http.StatusOK || len(list.Items) != len(cat) {
		t.Errorf("event types = %d, %d items", res.status, len(list.Items))
	}
}
