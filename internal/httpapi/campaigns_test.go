package httpapi_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
	"github.com/hibiken/asynq"

	"github.com/wabsp/wabsp/openapi"
	"github.com/wabsp/wabsp/sending"
	"github.com/wabsp/wabsp/workers"
)

// seedCampaign gives tenant A a campaign of two recipients.
func (e *env) seedCampaign() {
	cs := sending.NewCampaigns(e.db, func(context.Context, uuid.UUID, uuid.UUID) error { return nil })
	c, _, err := cs.Create(context.Background(), e.tenantA.ID, sending.NewCampaign{Name: "Seed", PhoneNumberID: e.phoneA.PhoneNumberID,
		Template:   sending.Template{Name: "order_update", Language: "en_US"},
		Recipients: []sending.CampaignRecipient{{To: "16505551234"}, {To: "16505550000"}}}, "")
	if err != nil {
		e.t.Fatalf("seed campaign: %v", err)
	}
	e.campaignA = c.ID
}

// campaignBody is a campaign of the template to the numbers given.
func campaignBody(phone string, to ...string) string {
	rs := make([]string, len(to))
	for i, n := range to {
		rs[i] = fmt.Sprintf(`{"to":%q,"parameters":["p%d"]}`, n, i)
	}
	return `{"name":"Spring","label":"spring","phone_number_id":"` + phone +
		`","template":{"name":"order_update","language":"en_US"},"recipients":[` + strings.Join(rs, ",") + `]}`
}

func numbers(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("1650%07d", i)
	}
	return out
}

// TestCampaignValidation refuses a list with any bad entry, names each,
// and stores nothing.
func TestCampaignValidation(t *testing.T) {
	e := newEnv(t, options{})
	tok := e.token(e.clientA)
	path := "/v1/tenants/" + e.tenantA.ID.String() + "/campaigns"
	phone := e.phoneA.PhoneNumberID
	tests := []struct {
		name   string
		body   string
		status int
		fields []string
	}{
		{name: "bad numbers", body: campaignBody(phone, "16505551234", "12", "+16505550000", "0123456789"),
			status: http.StatusBadRequest, fields: []string{"recipients[1].to", "recipients[3].to"}},
		{name: "duplicate with and without plus", body: campaignBody(phone, "16505551234", "+16505551234"),
			status: http.StatusBadRequest, fields: []string{"recipients[1].to"}},
		{name: "no recipients", body: campaignBody(phone), status: http.StatusBadRequest},
		{name: "over the cap", body: campaignBody(phone, numbers(sending.MaxCampaignRecipients+1)...), status: http.StatusBadRequest},
		{name: "shared body parameters", status: http.StatusBadRequest, fields: []string{"template.components"},
			body: `{"name":"x","phone_number_id":"` + phone + `","template":{"name":"order_update","language":"en_US",` +
				`"components":[{"type":"body","parameters":[{"type":"text","text":"a"}]}]},"recipients":[{"to":"16505551234"}]}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var p openapi.Problem
			must(t, e.do(request{method: "POST", path: path, token: tok, body: tc.body}), tc.status, &p)
			if tc.fields == nil {
				return
			}
			var got []string
			if p.Errors != nil {
				for _, fe := range *p.Errors {
					got = append(got, fe.Field)
				}
			}
			if diff := cmp.Diff(tc.fields, got); diff != "" {
				t.Errorf("fields (-want +got):\n%s", diff)
			}
		})
	}
	var l openapi.CampaignList
	must(t, e.do(request{method: "GET", path: path, token: tok}), http.StatusOK, &l)
	if len(l.Items) != 1 || l.Items[0].Id != e.campaignA {
		t.Errorf("campaigns = %+v; want only the seeded one", l.Items)
	}
}

// TestCampaignAPI creates a campaign once per Idempotency-Key, queues one
// expansion, reports it pending until then, and cancels it.
func TestCampaignAPI(t *testing.T) {
	e := newEnv(t, options{})
	tok := e.token(e.clientA)
	base := "/v1/tenants/" + e.tenantA.ID.String() + "/campaigns"
	key := map[string]string{"Idempotency-Key": "spring-1"}
	body := campaignBody(e.phoneA.PhoneNumberID, "16505551234", "16505550000", "16505559999")
	var first, again openapi.Campaign
	must(t, e.do(request{method: "POST", path: base, token: tok, body: body, header: key}), http.StatusAccepted, &first)
	must(t, e.do(request{method: "POST", path: base, token: tok, body: body, header: key}), http.StatusAccepted, &again)
	if again.Id != first.Id || first.State != "expanding" || first.Progress.Total != 3 || first.Progress.Pending != 3 || first.Label != "spring" {
		t.Errorf("first %+v, replay %+v", first, again)
	}
	must(t, e.do(request{method: "POST", path: base, token: tok, body: campaignBody(e.phoneA.PhoneNumberID, "16505551234"), header: key}),
		http.StatusConflict, nil)
	if got := e.pendingTasks(workers.TypeExpandCampaign); !cmp.Equal(got, []string{"campaign:" + first.Id.String()}) {
		t.Errorf("queued expansions = %v; want one for the campaign", got)
	}
	var list openapi.CampaignList
	must(t, e.do(request{method: "GET", path: base + "?limit=1", token: tok}), http.StatusOK, &list)
	if len(list.Items) != 1 || list.Items[0].Id != first.Id || list.NextCursor == nil {
		t.Fatalf("first page = %+v", list)
	}
	var page2 openapi.CampaignList
	must(t, e.do(request{method: "GET", path: base + "?limit=1&cursor=" + *list.NextCursor, token: tok}), http.StatusOK, &page2)
	if len(page2.Items) != 1 || page2.Items[0].Id != e.campaignA || page2.NextCursor != nil {
		t.Errorf("second page = %+v; want the seeded campaign, last", page2)
	}
	var rs openapi.CampaignRecipientList
	must(t, e.do(request{method: "GET", path: base + "/" + first.Id.String() + "/recipients?outcome=pending", token: tok}), http.StatusOK, &rs)
	if len(rs.Items) != 3 || rs.Items[0].To != "16505551234" || rs.Items[2].Parameters == nil || (*rs.Items[2].Parameters)[0] != "p2" {
		t.Errorf("pending recipients = %+v; want all three in request order", rs.Items)
	}
	must(t, e.do(request{method: "GET", path: base + "/" + first.Id.String() + "/recipients?outcome=lost", token: tok}), http.StatusBadRequest, nil)
	for _, attempt := range []string{"first", "again"} {
		var c openapi.Campaign
		must(t, e.do(request{method: "POST", path: base + "/" + first.Id.String() + "/cancel", token: tok}), http.StatusOK, &c)
		if c.State != "cancelled" || c.Progress.Cancelled != 3 || c.CancelledAt == nil {
			t.Errorf("%s cancel = %+v", attempt, c)
		}
	}
	var got openapi.Campaign
	must(t, e.do(request{method: "GET", path: base + "/" + first.Id.String(), token: tok}), http.StatusOK, &got)
	if got.State != "cancelled" || got.Progress.Pending != 0 {
		t.Errorf("campaign after cancel = %+v", got)
	}
	must(t, e.do(request{method: "GET", path: "/v1/tenants/" + e.tenantB.ID.String() + "/campaigns/" + first.Id.String(),
		token: e.token(e.clientB)}), http.StatusNotFound, nil)
	must(t, e.do(request{method: "POST", path: "/v1/tenants/" + e.tenantB.ID.String() + "/campaigns/" + first.Id.String() + "/cancel",
		token: e.token(e.clientB)}), http.StatusNotFound, nil)
}

// pendingTasks lists the ids of the tasks of type waiting in the default
// queue.
func (e *env) pendingTasks(typ string) []string {
	e.t.Helper()
	tasks, err := asynq.NewInspectorFromRedisClient(e.rdb).ListPendingTasks(workers.QueueDefault)
	if err != nil && !strings.Contains(err.Error(), "queue not found") {
		e.t.Fatal(err)
	}
	var out []string
	for _, task := range tasks {
		if task.Type == typ {
			out = append(out, task.ID)
		}
	}
	return out
}
