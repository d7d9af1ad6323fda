package webhooks_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/wabsp/wabsp/webhooks"
)

func envelope(entryID, field, value string) []byte {
	return []byte(fmt.Sprintf(`{"object":"whatsapp_business_account","entry":[{"id":%q,"time":1750000000,"changes":[{"field":%q,"value":%s}]}]}`,
		entryID, field, value))
}

// TestRouting checks tenant resolution against a small world: tenants a and
// b each own a WABA with a number; both own a number with the same display
// digits, and a third number's digits are unique.
func TestRouting(t *testing.T) {
	e := newEnv(t)
	a, b := e.seedTenant(t, "ta"), e.seedTenant(t, "tb")
	wabaA, wabaB := e.seedWABA(t, a, "1001"), e.seedWABA(t, b, "2001")
	e.seedPhone(t, a, wabaA, "1101", "+15550001111")
	e.seedPhone(t, a, wabaA, "1102", "+15550002222")
	e.seedPhone(t, b, wabaB, "2101", "+15550002222")
	e.seedPhone(t, b, wabaB, "2102", "+442079460000")
	names := map[uuid.UUID]string{a: "a", b: "b"}

	type routed struct{ Tenant, WABA, Phone string }
	tests := []struct {
		name string
		body []byte
		want routed // empty Tenant: orphan
	}{
		{"phone number id wins over entry id", envelope("2001", "messages", `{"metadata":{"phone_number_id":"1101"},"statuses":[]}`),
			routed{"a", "1001", "1101"}},
		{"unknown phone id falls back to the WABA", envelope("2001", "messages", `{"metadata":{"phone_number_id":"9999"},"statuses":[]}`),
			routed{"b", "2001", "9999"}},
		{"waba_info names the WABA in partner events", envelope("777", "account_update", `{"event":"PARTNER_ADDED","waba_info":{"waba_id":"1001"}}`),
			routed{"a", "1001", ""}},
		{"unknown waba_info is an orphan even if entry id is known", envelope("2001", "account_update", `{"event":"PARTNER_ADDED","waba_info":{"waba_id":"5555"}}`),
			routed{}},
		{"digits resolve within the entry's WABA", envelope("2001", "phone_number_quality_update", `{"display_phone_number":"15550002222","event":"ONBOARDING"}`),
			routed{"b", "2001", "2101"}},
		{"digits are normalised", envelope("1001", "security", `{"display_phone_number":"1 (555) 000-1111","event":"PIN_CHANGED"}`),
			routed{"a", "1001", "1101"}},
		{"unique digits resolve globally", envelope("8888", "phone_number_name_update", `{"display_phone_number":"442079460000","decision":"APPROVED"}`),
			routed{"b", "2001", "2102"}},
		{"ambiguous digits with unknown WABA are an orphan", envelope("8888", "phone_number_quality_update", `{"display_phone_number":"15550002222"}`),
			routed{}},
		{"unknown WABA is an orphan", envelope("8888", "message_template_status_update", `{"event":"APPROVED","message_template_id":1}`),
			routed{}},
		{"unknown field routes by entry id", envelope("1001", "calls", `{"calls":[]}`),
			routed{"a", "1001", ""}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			archived, err := e.svc.Archive(e.ctx, []webhooks.Body{{Raw: tc.body}})
			if err != nil {
				t.Fatal(err)
			}
			batches, err := e.svc.Route(e.ctx, archived)
			if err != nil {
				t.Fatal(err)
			}
			var got routed
			for _, b := range batches {
				for _, c := range b.Changes {
					got = routed{names[b.TenantID], c.WABAID, c.PhoneNumberID}
				}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Fatalf("(-want +got):\n%s", diff)
			}
			orphans := e.count(t, `SELECT count(*) FROM webhook_orphans WHERE archive_id = $1`, archived[0].ID)
			if wantOrphans := map[bool]int{true: 1, false: 0}[tc.want.Tenant == ""]; orphans != wantOrphans {
				t.Fatalf("%d orphans, want %d", orphans, wantOrphans)
			}
		})
	}
}

// TestRouteGroupsPerTenant routes one body whose entries belong to two
// tenants and an unknown WABA.
func TestRouteGroupsPerTenant(t *testing.T) {
	e := newEnv(t)
	a, b := e.seedTenant(t, "ta"), e.seedTenant(t, "tb")
	e.seedWABA(t, a, "1001")
	e.seedWABA(t, b, "2001")
	body := []byte(`{"object":"whatsapp_business_account","entry":[
		{"id":"1001","changes":[{"field":"account_review_update","value":{"decision":"APPROVED"}},
		                        {"field":"account_update","value":{"event":"ACCOUNT_DELETED"}}]},
		{"id":"3001","changes":[{"field":"account_update","value":{"event":"ACCOUNT_DELETED"}}]},
		{"id":"2001","changes":[{"field":"account_update","value":{"event":"ACCOUNT_OFFBOARDED"}}]}]}`)
	archived, err := e.svc.Archive(e.ctx, []webhooks.Body{{Raw: body}})
	if err != nil {
		t.Fatal(err)
	}
	batches, err := e.svc.Route(e.ctx, archived)
	if err != nil {
		t.Fatal(err)
	}
	type item struct {
		Tenant uuid.UUID
		Index  int
		Field  string
	}
	var got []item
	for _, bt := range batches {
		for _, c := range bt.Changes {
			got = append(got, item{bt.TenantID, c.Index, c.Field})
		}
	}
	want := []item{{a, 0, "account_review_update"}, {a, 1, "account_update"}, {b, 3, "account_update"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("(-want +got):\n%s", diff)
	}
	if n := e.count(t, `SELECT count(*) FROM webhook_orphans WHERE change_index = 2 AND waba_id = '3001'`); n != 1 {
		t.Fatalf("orphan rows: %d", n)
	}
	if n := e.count(t, `SELECT count(*) FROM webhook_routes WHERE archive_id = $1`, archived[0].ID); n != 2 {
		t.Fatalf("route rows: %d, want one per tenant", n)
	}
}

// TestUnknownIsStoredAndCounted sends a field and enum values wabsp does not
// know: they land in tenant_events or the status tables and are counted.
func TestUnknownIsStoredAndCounted(t *testing.T) {
	e := newEnv(t)
	e.seedMain(t)
	e.run(t,
		envelope(wabaMain, "calls", `{"event":"CALL_STARTED","calls":[{"id":"c1"}]}`),
		statusBody(`{"id":"wamid.u","status":"warning","timestamp":"1750030073","pricing":{"category":"brand_new","type":"regular"}}`),
		envelope(wabaMain, "message_template_status_update", `{"event":"SUSPENDED_FOREVER","message_template_id":1}`),
	)
	tests := []struct {
		field, kind string
		want        float64
	}{
		{"calls", "field", 1},
		{"messages", "status", 1},
		{"messages", "pricing_category", 1},
		{"messages", "pricing_type", 0},
		{"message_template_status_update", "event", 1},
	}
	for _, tc := range tests {
		t.Run(tc.field+"/"+tc.kind, func(t *testing.T) {
			if got := e.counter(t, "wabsp_webhook_unknown_total", map[string]string{"field": tc.field, "kind": tc.kind}); got != tc.want {
				t.Fatalf("wabsp_webhook_unknown_total = %v, want %v", got, tc.want)
			}
		})
	}
	got := e.count(t, `SELECT count(*) FROM tenant_events WHERE (domain, event) IN (('unknown', 'CALL_STARTED'), ('templates', 'SUSPENDED_FOREVER'))`) +
		e.count(t, `SELECT count(*) FROM message_statuses WHERE status = 'warning' AND pricing_category = 'brand_new'`)
	if got != 3 {
		t.Fatalf("stored %d of the 3 unknown changes", got)
	}
}

// An orphan whose delivery fails must stay waiting, so nothing is lost when
// the queue is down during adoption; once delivery works it is adopted once.
func TestAdoptionIsLosslessWhenDeliveryFails(t *testing.T) {
	e := newEnv(t)
	e.run(t, envelope("6061", "message_template_status_update", `{"event":"PAUSED","message_template_id":7}`))
	e.seedWABA(t, e.seedTenant(t, "late-"+uuid.NewString()[:8]), "6061")

	failing := func(context.Context, []webhooks.TenantBatch) error { return errors.New("queue down") }
	if _, err := e.svc.AdoptOrphans(e.ctx, failing); err == nil {
		t.Fatal("adoption reported success although delivery failed")
	}
	if n := e.count(t, `SELECT count(*) FROM webhook_orphans WHERE waba_id = '6061' AND adopted_at IS NULL`); n != 1 {
		t.Fatalf("%d orphans still waiting after a failed delivery, want 1", n)
	}

	var delivered []webhooks.TenantBatch
	ok := func(_ context.Context, b []webhooks.TenantBatch) error {
		delivered = append(delivered, b...)
		return nil
	}
	if _, err := e.svc.AdoptOrphans(e.ctx, ok); err != nil {
		t.Fatal(err)
	}
	if len(delivered) != 1 || len(delivered[0].Changes) != 1 {
		t.Fatalf("delivered %+v, want one batch with one change", delivered)
	}
	if again, err := e.svc.AdoptOrphans(e.ctx, ok); err != nil || len(again) != 0 {
		t.Fatalf("second adoption returned %d batches (err %v), want none", len(again), err)
	}
}
