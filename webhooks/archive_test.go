package webhooks_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wabsp/wabsp/webhooks"
)

func TestArchivePoison(t *testing.T) {
	e := newEnv(t)
	e.seedMain(t)
	valid := string(statusBody(status("wamid.poison", "sent", 1750030073)))
	tests := []struct{ name, body string }{
		{"not JSON", `<html>oops</html>`},
		{"JSON but not an envelope", `{"object":"page","entry":[{"id":"1","changes":[]}]}`},
		{"JSON array", `[{"object":"whatsapp_business_account"}]`},
		{"truncated", valid[:len(valid)/2]},
		{"empty", ``},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			archived, err := e.svc.Archive(e.ctx, []webhooks.Body{{Raw: []byte(tc.body), ReceivedAt: time.Now()}})
			if err != nil {
				t.Fatal(err)
			}
			if len(archived) != 0 {
				t.Fatalf("poison returned for routing: %+v", archived)
			}
			got, err := e.svc.GetArchive(e.ctx, e.archiveID(t, []byte(tc.body)))
			if err != nil {
				t.Fatal(err)
			}
			if got.Status != webhooks.StatusPoison || got.Error == "" || string(got.Body) != tc.body {
				t.Fatalf("archived as %q with error %q", got.Status, got.Error)
			}
		})
	}
	entries, _, err := e.svc.ListArchive(e.ctx, webhooks.ArchiveFilter{Status: webhooks.StatusPoison})
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != len(tests) {
		t.Fatalf("listed %d poison bodies, want %d", len(entries), len(tests))
	}
	routed := e.count(t, `SELECT (SELECT count(*) FROM webhook_routes) + (SELECT count(*) FROM webhook_orphans)
		+ (SELECT count(*) FROM message_statuses)`)
	if routed != 0 {
		t.Fatalf("poison bodies produced %d rows downstream", routed)
	}
}

func TestArchiveDeduplicates(t *testing.T) {
	e := newEnv(t)
	e.seedMain(t)
	a := statusBody(status("wamid.A", "sent", 1750030073))
	b := statusBody(status("wamid.B", "sent", 1750030073))
	body := func(raw []byte) webhooks.Body { return webhooks.Body{Raw: raw, ReceivedAt: time.Now(), AppID: "app1"} }

	first, err := e.svc.Archive(e.ctx, []webhooks.Body{body(a), body(b), body(a)})
	if err != nil {
		t.Fatal(err)
	}
	if len(first) != 2 || string(first[0].Raw) != string(a) || string(first[1].Raw) != string(b) {
		t.Fatalf("first batch: got %d bodies, want a and b in order", len(first))
	}

	// The worker died before MarkRouted: the redelivery comes back, same id
	// and original receipt time.
	again, err := e.svc.Archive(e.ctx, []webhooks.Body{body(a)})
	if err != nil {
		t.Fatal(err)
	}
	if len(again) != 1 || again[0].ID != first[0].ID || !again[0].ReceivedAt.Equal(first[0].ReceivedAt) {
		t.Fatalf("unrouted body: got %+v, want it again as id %d", again, first[0].ID)
	}

	if err := e.svc.MarkRouted(e.ctx, []int64{first[0].ID, first[1].ID}); err != nil {
		t.Fatal(err)
	}
	late, err := e.svc.Archive(e.ctx, []webhooks.Body{body(a), body(b)})
	if err != nil {
		t.Fatal(err)
	}
	if len(late) != 0 {
		t.Fatalf("routed bodies returned again: %d", len(late))
	}
	if n := e.count(t, `SELECT count(*) FROM webhook_archive`); n != 2 {
		t.Fatalf("archive holds %d rows, want 2", n)
	}
}

// TestEachChangeTakesEffectOnce covers the ways one change can reach Apply
// more than once.
func TestEachChangeTakesEffectOnce(t *testing.T) {
	sent := status("wamid.once", "sent", 1750030073)
	delivered := status("wamid.once", "delivered", 1750030080)
	inbound := []byte(`{"object":"whatsapp_business_account","entry":[{"id":"` + wabaMain + `","changes":[{"field":"messages",
		"value":{"metadata":{"phone_number_id":"` + phoneMain + `"},"messages":[{"from":"16505551234","id":"wamid.in",
		"timestamp":"1750030090","type":"text","text":{"body":"hi"}}]}},
		{"field":"account_update","value":{"event":"ACCOUNT_DELETED"}}]}]}`)
	tests := []struct {
		name  string
		drive func(t *testing.T, e *env)
	}{
		{"same body twice", func(t *testing.T, e *env) {
			e.run(t, statusBody(sent, delivered), inbound)
			e.run(t, statusBody(sent, delivered), inbound)
		}},
		{"same status in two bodies", func(t *testing.T, e *env) {
			e.run(t, statusBody(sent), inbound)
			e.run(t, statusBody(sent, delivered))
			e.run(t, statusBody(delivered, sent))
		}},
		{"apply twice", func(t *testing.T, e *env) {
			batches := e.run(t, statusBody(sent, delivered), inbound)
			e.apply(t, batches)
		}},
		{"crash between archive and mark routed", func(t *testing.T, e *env) {
			archived, err := e.svc.Archive(e.ctx, []webhooks.Body{{Raw: statusBody(sent, delivered)}, {Raw: inbound}})
			if err != nil {
				t.Fatal(err)
			}
			e.routeApply(t, archived)
			e.run(t, statusBody(sent, delivered), inbound)
		}},
	}
	e := newEnv(t)
	e.seedMain(t)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e.reset(t)
			tc.drive(t, e)
			got := map[string]int{
				"statuses": e.count(t, `SELECT count(*) FROM message_statuses`),
				"state":    e.count(t, `SELECT count(*) FROM message_state WHERE status = 'delivered'`),
				"inbound":  e.count(t, `SELECT count(*) FROM inbound_messages`),
				"events":   e.count(t, `SELECT count(*) FROM tenant_events`),
			}
			want := map[string]int{"statuses": 2, "state": 1, "inbound": 1, "events": 1}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Fatalf("rows (-want +got):\n%s", diff)
			}
		})
	}
}

// TestReapplyWritesNothing checks that applying the same changes again
// leaves every row untouched, updated_at included.
func TestReapplyWritesNothing(t *testing.T) {
	e := newEnv(t)
	e.seedMain(t)
	batches := e.run(t, statusBody(status("wamid.r", "sent", 1750030073), status("wamid.r", "read", 1750030099)))
	snapshot := func() string {
		var s string
		err := e.db.QueryRow(e.ctx, `SELECT coalesce((SELECT string_agg(m::text, '|') FROM message_state m), '')
			|| coalesce((SELECT string_agg(s::text, '|') FROM message_statuses s), '')`).Scan(&s)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	before := snapshot()
	e.apply(t, batches)
	if diff := cmp.Diff(before, snapshot()); diff != "" {
		t.Fatalf("re-apply changed rows (-before +after):\n%s", diff)
	}
}
