package httpapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/wabsp/wabsp/internal/metasim"
	"github.com/wabsp/wabsp/openapi"
	"github.com/wabsp/wabsp/sending"
	"github.com/wabsp/wabsp/webhooks"
)

// statusFixture is one of Meta's status webhook fixtures, moved to tenant
// A's number and to wamid, with its status and event time set.
type statusFixture struct {
	file   string
	status string
	at     time.Time
}

// body rewrites the fixture's routing keys and its one status.
func (f statusFixture) body(t *testing.T, e *env, wamid string) []byte {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(fixtureDir, f.file))
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	entry := doc["entry"].([]any)[0].(map[string]any)
	entry["id"] = e.wabaA.WABAID
	value := entry["changes"].([]any)[0].(map[string]any)["value"].(map[string]any)
	value["metadata"] = map[string]any{"phone_number_id": e.phoneA.PhoneNumberID,
		"display_phone_number": metasim.Digits(e.phoneA.DisplayPhoneNumber)}
	st := value["statuses"].([]any)[0].(map[string]any)
	st["id"], st["status"], st["timestamp"] = wamid, f.status, strconv.FormatInt(f.at.Unix(), 10)
	out, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// applyWebhook takes body through the intake as the workers would.
func (e *env) applyWebhook(t *testing.T, body []byte) {
	t.Helper()
	ctx := context.Background()
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
}

// sentSend gives tenant A a send Meta accepted with wamid.
func (e *env) sentSend(t *testing.T, wamid string) uuid.UUID {
	t.Helper()
	ctx := context.Background()
	id := uuid.New()
	err := e.db.InTenantTx(ctx, e.tenantA.ID, func(tx pgx.Tx) error {
		_, err := sending.Insert(ctx, tx, sending.Send{ID: id, TenantID: e.tenantA.ID, PhoneNumberID: e.phoneA.PhoneNumberID,
			WabaID: e.wabaA.WABAID, Recipient: "16505551234", State: sending.StateQueued,
			Message: sending.Message{Type: sending.TypeText, Text: &sending.Text{Body: "hi"}}})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.sends.MarkSent(ctx, e.tenantA.ID, id, wamid); err != nil {
		t.Fatal(err)
	}
	return id
}

// TestSendDelivery shows on GET .../sends/{id} the latest status Meta
// reported, whatever order the webhooks came in and however often.
func TestSendDelivery(t *testing.T) {
	e := newEnv(t, options{})
	base := time.Now().UTC().Add(-time.Hour).Truncate(time.Second)
	const sent, delivered, failed = "messages-3.json", "messages-2.json", "messages-14.json"
	tests := []struct {
		name     string
		statuses []statusFixture
		want     *openapi.SendDelivery
	}{
		{name: "no status yet"},
		{name: "delivered", statuses: []statusFixture{{sent, "sent", base}, {delivered, "delivered", base.Add(10 * time.Second)}},
			want: &openapi.SendDelivery{Status: "delivered", At: base.Add(10 * time.Second)}},
		{name: "read is not undone by a late delivered or sent, nor by redelivery",
			statuses: []statusFixture{{delivered, "read", base.Add(20 * time.Second)}, {delivered, "delivered", base.Add(10 * time.Second)},
				{sent, "sent", base}, {delivered, "delivered", base.Add(10 * time.Second)}, {delivered, "read", base.Add(20 * time.Second)}},
			want: &openapi.SendDelivery{Status: "read", At: base.Add(20 * time.Second)}},
		{name: "failed with Meta's error", statuses: []statusFixture{{failed, "failed", base.Add(5 * time.Second)}, {sent, "sent", base}},
			want: &openapi.SendDelivery{Status: "failed", At: base.Add(5 * time.Second), ErrorCode: ptr(131036),
				ErrorTitle: ptr("Message failed to be delivered on at least one of the user's device")}},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			wamid := "wamid.delivery" + strconv.Itoa(i)
			id := e.sentSend(t, wamid)
			for _, f := range tc.statuses {
				e.applyWebhook(t, f.body(t, e, wamid))
			}
			var got openapi.Send
			must(t, e.do(request{method: "GET", path: "/v1/tenants/" + e.tenantA.ID.String() + "/sends/" + id.String(),
				token: e.token(e.clientA)}), http.StatusOK, &got)
			if diff := cmp.Diff(tc.want, got.Delivery); diff != "" {
				t.Errorf("delivery (-want +got):\n%s", diff)
			}
		})
	}
}
