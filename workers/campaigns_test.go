package workers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/wabsp/wabsp/internal/paging"
	"github.com/wabsp/wabsp/optins"
	"github.com/wabsp/wabsp/quality"
	"github.com/wabsp/wabsp/sending"
	"github.com/wabsp/wabsp/webhooks"
)

// campaignFixture is the send fixture with an approved marketing template,
// consent for some users, and campaigns whose accepted sends are handed to
// onQueue instead of a queue.
type campaignFixture struct {
	*sendFixture
	campaigns *sending.Campaigns
	expand    *CampaignTasks
	onQueue   func(s sending.Send) error
}

func newCampaignFixture(t testing.TB, batch int) *campaignFixture {
	f := &campaignFixture{sendFixture: newSendFixture(t)}
	ctx := context.Background()
	q, err := quality.NewService(f.db, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := q.ApplyTemplatePoll(ctx, f.tenantID, f.waba, time.Now().UTC(), []quality.TemplatePoll{{
		ID: "7", Name: "spring_sale", Language: "en_US", Status: "APPROVED", Category: "MARKETING"}}); err != nil {
		t.Fatal(err)
	}
	el := optins.NewService(f.db)
	f.onQueue = f.deliver()
	sub := sending.NewSubmitter(f.db, el, func(_ context.Context, s sending.Send) error { return f.onQueue(s) })
	f.campaigns = sending.NewCampaigns(f.db, func(context.Context, uuid.UUID, uuid.UUID) error { return nil })
	f.expand = &CampaignTasks{Expander: sending.NewExpander(sub, batch)}
	return f
}

// consent records an opt-in, and then an opt-out when out is set.
func (f *campaignFixture) consent(t testing.TB, el *optins.Service, to string, out bool) {
	actions := []optins.Action{optins.ActionOptIn}
	if out {
		actions = append(actions, optins.ActionOptOut)
	}
	for i, a := range actions {
		_, err := el.RecordConsent(context.Background(), f.tenantID, "test", optins.ConsentInput{
			Contact: optins.ContactRef{WaID: to}, Purpose: optins.PurposeMarketing, Action: a, Source: optins.SourceWebForm,
			Evidence:   optins.Evidence{NoticeText: "Yes to offers"},
			OccurredAt: time.Now().Add(time.Duration(i-2) * time.Minute)}, "")
		if err != nil {
			t.Fatal(err)
		}
	}
}

// deliver runs the send:message task of a send at once, waiting out the
// pacer as asynq would.
func (f *campaignFixture) deliver() func(s sending.Send) error {
	return func(s sending.Send) error {
		for {
			err := f.run(s.ID)
			if wait, ok := graphWait(err); ok {
				time.Sleep(wait)
				continue
			}
			return err
		}
	}
}

func (f *campaignFixture) runExpand(id uuid.UUID) error {
	payload, _ := json.Marshal(CampaignPayload{TenantID: f.tenantID, CampaignID: id})
	return f.expand.handleExpand(context.Background(), asynq.NewTask(TypeExpandCampaign, payload))
}

// create stores a campaign to users 16505550000.. with marketing consent
// for the first consented, opted out for the next optedOut, and unknown
// for the rest.
func (f *campaignFixture) create(t testing.TB, consented, optedOut, unknown int) sending.Campaign {
	el := optins.NewService(f.db)
	nc := sending.NewCampaign{Name: "Spring", Label: "spring-2027", PhoneNumberID: f.phone,
		Template: sending.Template{Name: "spring_sale", Language: "en_US"}}
	for i := range consented + optedOut + unknown {
		to := fmt.Sprintf("1650555%04d", i)
		if i < consented+optedOut {
			f.consent(t, el, to, i >= consented)
		}
		nc.Recipients = append(nc.Recipients, sending.CampaignRecipient{To: to})
	}
	c, _, err := f.campaigns.Create(context.Background(), f.tenantID, nc, "")
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (f *campaignFixture) progress(t testing.TB, id uuid.UUID) sending.Progress {
	c, err := f.campaigns.Get(context.Background(), f.tenantID, id)
	if err != nil {
		t.Fatal(err)
	}
	return c.Progress
}

func TestCampaignDelivered(t *testing.T) {
	f := newCampaignFixture(t, 4)
	c := f.create(t, 9, 2, 1)
	if err := f.runExpand(c.ID); err != nil {
		t.Fatal(err)
	}
	want := sending.Progress{Total: 12, Sent: 9, Refused: 3, RefusedReasons: map[sending.Reason]int{
		"opted_out": 2, "unknown_contact": 1, "no_opt_in": 1}}
	if diff := cmp.Diff(want, f.progress(t, c.ID)); diff != "" {
		t.Errorf("progress (-want +got):\n%s", diff)
	}
	sent := map[string]string{}
	for _, m := range f.sim.Sent() {
		sent[m.To] = m.WAMID
	}
	l, err := f.campaigns.Recipients(context.Background(), f.tenantID, c.ID, sending.RecipientFilter{}, paging.Page{Limit: 200})
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range l.Items {
		wantOutcome := "sent"
		if i >= 9 {
			wantOutcome = "refused"
		}
		if r.Outcome != wantOutcome || r.Wamid != sent[r.Recipient] || (r.Outcome == "refused") != (len(r.Reasons) > 0) {
			t.Errorf("recipient %d = %+v; want %s with the simulator's wamid %q", i, r, wantOutcome, sent[r.Recipient])
		}
		s, err := f.store.Get(context.Background(), f.tenantID, *r.SendID)
		if err != nil || s.Labels.CampaignID != "spring-2027" {
			t.Errorf("send of %s = %+v, %v; want labelled with the campaign", r.Recipient, s.Labels, err)
		}
	}
	if len(sent) != 9 {
		t.Errorf("simulator accepted %d messages; want 9", len(sent))
	}
	got, _ := f.campaigns.Get(context.Background(), f.tenantID, c.ID)
	if got.State != sending.CampaignExpanded || got.ExpandedAt == nil {
		t.Errorf("campaign state = %s; want expanded", got.State)
	}
}

// TestCampaignExpansionResumes stops the expansion where a worker could
// die, between a batch's commit and its queueing, and checks that runs
// after it create no second send and skip no one.
func TestCampaignExpansionResumes(t *testing.T) {
	tests := []struct {
		name   string
		failAt int // the delivery that fails, as a crash would
		reruns int
	}{
		{name: "crash in the first batch", failAt: 2, reruns: 1},
		{name: "crash in a later batch", failAt: 6, reruns: 1},
		{name: "re-run after completion", failAt: -1, reruns: 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newCampaignFixture(t, 3)
			deliver := f.onQueue
			calls := 0
			f.onQueue = func(s sending.Send) error {
				calls++
				if calls == tc.failAt {
					return errors.New("worker died")
				}
				return deliver(s)
			}
			c := f.create(t, 8, 0, 2)
			err := f.runExpand(c.ID)
			if (tc.failAt > 0) != (err != nil) {
				t.Fatalf("first run = %v", err)
			}
			for range tc.reruns {
				if err := f.runExpand(c.ID); err != nil {
					t.Fatal(err)
				}
			}
			var n int
			if err := f.db.QueryRow(context.Background(), `SELECT count(*) FROM sends WHERE tenant_id = $1`, f.tenantID).Scan(&n); err != nil {
				t.Fatal(err)
			}
			if n != 10 {
				t.Errorf("%d sends; want one per recipient (10)", n)
			}
			if got := len(f.sim.Sent()); got != 8 {
				t.Errorf("simulator accepted %d messages; want 8", got)
			}
			want := sending.Progress{Total: 10, Sent: 8, Refused: 2,
				RefusedReasons: map[sending.Reason]int{"unknown_contact": 2, "no_opt_in": 2}}
			if diff := cmp.Diff(want, f.progress(t, c.ID)); diff != "" {
				t.Errorf("progress (-want +got):\n%s", diff)
			}
		})
	}
}

// TestCampaignCancel cancels while the expansion runs: sends already at
// Meta stay sent, a queued one is skipped by its task, the rest get none.
func TestCampaignCancel(t *testing.T) {
	f := newCampaignFixture(t, 4)
	deliver := f.onQueue
	var c sending.Campaign
	var held uuid.UUID
	calls := 0
	f.onQueue = func(s sending.Send) error {
		calls++
		if calls < 4 {
			return deliver(s)
		}
		if calls == 4 {
			held = s.ID
			if _, err := f.campaigns.Cancel(context.Background(), f.tenantID, c.ID); err != nil {
				return err
			}
		}
		return nil
	}
	c = f.create(t, 10, 0, 0)
	if err := f.runExpand(c.ID); err != nil {
		t.Fatal(err)
	}
	if err := deliver(sending.Send{ID: held}); err != nil {
		t.Fatalf("task of the cancelled send = %v", err)
	}
	if got := len(f.sim.Sent()); got != 3 {
		t.Errorf("simulator accepted %d messages; want the 3 sent before the cancel", got)
	}
	want := sending.Progress{Total: 10, Sent: 3, Cancelled: 7, RefusedReasons: map[sending.Reason]int{}}
	if diff := cmp.Diff(want, f.progress(t, c.ID)); diff != "" {
		t.Errorf("progress (-want +got):\n%s", diff)
	}
	again, err := f.campaigns.Cancel(context.Background(), f.tenantID, c.ID)
	if err != nil || again.State != sending.CampaignCancelled || !cmp.Equal(again.Progress, want) {
		t.Errorf("second cancel = %+v, %v; want the same cancelled campaign", again, err)
	}
	if s, _ := f.store.Get(context.Background(), f.tenantID, held); s.State != sending.StateCancelled || s.Attempts != 0 {
		t.Errorf("held send = %s after %d attempts; want cancelled, never tried", s.State, s.Attempts)
	}
	l, err := f.campaigns.Recipients(context.Background(), f.tenantID, c.ID, sending.RecipientFilter{Outcome: "cancelled"}, paging.Page{Limit: 5})
	if err != nil || len(l.Items) != 5 || l.NextCursor == "" {
		t.Fatalf("cancelled page 1 = %d items, cursor %q, %v", len(l.Items), l.NextCursor, err)
	}
	l2, err := f.campaigns.Recipients(context.Background(), f.tenantID, c.ID, sending.RecipientFilter{Outcome: "cancelled"},
		paging.Page{Limit: 5, Cursor: l.NextCursor})
	if err != nil || len(l2.Items) != 2 || l2.NextCursor != "" || l2.Items[0].Position <= l.Items[4].Position {
		t.Errorf("cancelled page 2 = %+v, %v; want the last 2 after page 1", l2, err)
	}
}

// TestCampaignStatuses follows Meta's status webhooks into the progress
// and the recipients' outcomes.
func TestCampaignStatuses(t *testing.T) {
	f := newCampaignFixture(t, 10)
	c := f.create(t, 4, 0, 0)
	if err := f.runExpand(c.ID); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	l, err := f.campaigns.Recipients(ctx, f.tenantID, c.ID, sending.RecipientFilter{}, paging.Page{})
	if err != nil || len(l.Items) != 4 {
		t.Fatalf("recipients = %+v, %v", l, err)
	}
	statuses := []struct{ recipient, status, errors string }{
		{recipient: l.Items[0].Wamid, status: "delivered"},
		{recipient: l.Items[1].Wamid, status: "delivered"},
		{recipient: l.Items[1].Wamid, status: "read"},
		{recipient: l.Items[2].Wamid, status: "failed", errors: `,"errors":[{"code":131049,"title":"not delivered"}]`},
	}
	hooks, err := webhooks.NewService(f.db, prometheus.NewRegistry(), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	changes := make([]webhooks.Change, len(statuses))
	for i, s := range statuses {
		changes[i] = webhooks.Change{ArchiveID: 1, Index: i, Field: "messages", WABAID: f.waba, PhoneNumberID: f.phone,
			ReceivedAt: time.Now().UTC(), Value: json.RawMessage(`{"messaging_product":"whatsapp","metadata":{"phone_number_id":"` +
				f.phone + `"},"statuses":[{"id":"` + s.recipient + `","status":"` + s.status + `","timestamp":"` +
				fmt.Sprint(time.Now().Unix()) + `","recipient_id":"1650555000` + fmt.Sprint(i) + `"` + s.errors + `}]}`)}
	}
	if err := hooks.Apply(ctx, f.tenantID, changes); err != nil {
		t.Fatal(err)
	}
	want := sending.Progress{Total: 4, Sent: 3, Delivered: 2, Read: 1, Failed: 1, RefusedReasons: map[sending.Reason]int{}}
	if diff := cmp.Diff(want, f.progress(t, c.ID)); diff != "" {
		t.Errorf("progress (-want +got):\n%s", diff)
	}
	l, err = f.campaigns.Recipients(ctx, f.tenantID, c.ID, sending.RecipientFilter{}, paging.Page{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range l.Items {
		got = append(got, fmt.Sprintf("%s:%d", r.Outcome, r.ErrorCode))
	}
	if diff := cmp.Diff([]string{"delivered:0", "read:0", "failed:131049", "sent:0"}, got); diff != "" {
		t.Errorf("outcomes (-want +got):\n%s", diff)
	}
}
