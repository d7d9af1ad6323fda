package httpapi_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
	"github.com/hibiken/asynq"
	"github.com/jackc/pgx/v5"

	"github.com/wabsp/wabsp/openapi"
	"github.com/wabsp/wabsp/quality"
	"github.com/wabsp/wabsp/sending"
	"github.com/wabsp/wabsp/workers"
)

// seedSend gives tenant A one sent send.
func (e *env) seedSend() {
	t, ctx := e.t, context.Background()
	err := e.db.InTenantTx(ctx, e.tenantA.ID, func(tx pgx.Tx) error {
		s, err := sending.Insert(ctx, tx, sending.Send{ID: uuid.New(), TenantID: e.tenantA.ID,
			PhoneNumberID: e.phoneA.PhoneNumberID, WabaID: e.wabaA.WABAID, Recipient: "16505550000", State: sending.StateQueued,
			Message: sending.Message{Type: sending.TypeText, Text: &sending.Text{Body: "seed"}}})
		e.sendA = s.ID
		return err
	})
	if err != nil {
		t.Fatalf("seed send: %v", err)
	}
}

// pendingSends lists the send:message tasks waiting in the queue.
func (e *env) pendingSends() []string {
	e.t.Helper()
	tasks, err := asynq.NewInspectorFromRedisClient(e.rdb).ListPendingTasks(workers.QueueDefault)
	if errors.Is(err, asynq.ErrQueueNotFound) {
		return nil
	}
	if err != nil {
		e.t.Fatal(err)
	}
	var out []string
	for _, task := range tasks {
		if task.Type == workers.TypeSendMessage {
			out = append(out, task.ID)
		}
	}
	return out
}

func templateBody(phone, to, name string) string {
	return `{"phone_number_id":"` + phone + `","to":"` + to + `","message":{"type":"template","template":{"name":"` +
		name + `","language":"en_US"}},"labels":{"campaign_id":"spring"}}`
}

// TestSendRefusals answers each guard's refusal as 422 with its stable code,
// records the send as refused and queues nothing.
func TestSendRefusals(t *testing.T) {
	e := newEnv(t, options{})
	tok := e.token(e.clientA)
	path := "/v1/tenants/" + e.tenantA.ID.String() + "/messages"
	if _, err := e.quality.ApplyTemplatePoll(context.Background(), e.tenantA.ID, e.wabaA.WABAID, time.Now().UTC(),
		[]quality.TemplatePoll{{ID: "2", Name: "paused_one", Language: "en_US", Status: "PAUSED", Category: "UTILITY"}}); err != nil {
		t.Fatal(err)
	}
	phone := e.phoneA.PhoneNumberID
	tests := []struct {
		name string
		body string
		want []string
	}{
		{name: "unknown template", body: templateBody(phone, "16505550000", "nope"), want: []string{"no_opt_in", "template_unknown"}},
		{name: "paused template", body: templateBody(phone, "16505550000", "paused_one"), want: []string{"template_paused"}},
		{name: "no opt-in", body: templateBody(phone, "16505559999", "order_update"), want: []string{"unknown_contact", "no_opt_in"}},
		{name: "window closed", body: `{"phone_number_id":"` + phone + `","to":"16505550000","message":{"type":"text","text":{"body":"hi"}}}`,
			want: []string{"window_closed_requires_template"}},
		{name: "number not connected", body: templateBody("999000111", "16505550000", "order_update"),
			want: []string{"no_opt_in", "number_not_connected", "template_unknown"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var p openapi.Problem
			must(t, e.do(request{method: "POST", path: path, token: tok, body: tc.body}), http.StatusUnprocessableEntity, &p)
			if p.Code != "send_refused" || p.Reasons == nil || p.SendId == nil {
				t.Fatalf("problem = %+v", p)
			}
			if diff := cmp.Diff(tc.want, *p.Reasons); diff != "" {
				t.Errorf("reasons (-want +got):\n%s", diff)
			}
			got, err := e.sends.Get(context.Background(), e.tenantA.ID, *p.SendId)
			if err != nil || got.State != sending.StateRefused {
				t.Errorf("recorded send = %+v, %v; want refused", got, err)
			}
		})
	}
	if n := e.pendingSends(); len(n) != 0 {
		t.Errorf("refused sends queued %d tasks", len(n))
	}
}

// TestSendAccepted queues a send once per Idempotency-Key and keeps it from
// the other tenant.
func TestSendAccepted(t *testing.T) {
	e := newEnv(t, options{})
	tok := e.token(e.clientA)
	base := "/v1/tenants/" + e.tenantA.ID.String()
	key := map[string]string{"Idempotency-Key": "order-1"}
	body := templateBody(e.phoneA.PhoneNumberID, "16505550000", "order_update")
	var first, again openapi.Send
	must(t, e.do(request{method: "POST", path: base + "/messages", token: tok, body: body, header: key}), http.StatusAccepted, &first)
	must(t, e.do(request{method: "POST", path: base + "/messages", token: tok, body: body, header: key}), http.StatusAccepted, &again)
	if first.State != "queued" || again.Id != first.Id {
		t.Errorf("first %+v, replay %+v", first, again)
	}
	if got := e.pendingSends(); !cmp.Equal(got, []string{"send:" + first.Id.String()}) {
		t.Errorf("queued tasks = %v; want one for the send", got)
	}
	var got openapi.Send
	must(t, e.do(request{method: "GET", path: base + "/sends/" + first.Id.String(), token: tok}), http.StatusOK, &got)
	if got.Labels.CampaignId == nil || *got.Labels.CampaignId != "spring" {
		t.Errorf("labels = %+v", got.Labels)
	}
	var list openapi.SendList
	must(t, e.do(request{method: "GET", path: base + "/sends?state=queued", token: tok}), http.StatusOK, &list)
	if len(list.Items) != 2 || list.Items[0].Id != first.Id {
		t.Errorf("queued sends = %+v; want the new one first, then the seeded one", list.Items)
	}
	must(t, e.do(request{method: "POST", path: base + "/messages", token: tok, body: templateBody(e.phoneA.PhoneNumberID, "16505551234", "order_update"), header: key}),
		http.StatusConflict, nil)
	tokB := e.token(e.clientB)
	res := e.do(request{method: "GET", path: base + "/sends/" + first.Id.String(), token: tokB})
	if res.status != http.StatusForbidden && res.status != http.StatusNotFound {
		t.Errorf("tenant B read A's send: %d", res.status)
	}
	must(t, e.do(request{method: "GET", path: "/v1/tenants/" + e.tenantB.ID.String() + "/sends/" + first.Id.String(), token: tokB}),
		http.StatusNotFound, nil)
}
