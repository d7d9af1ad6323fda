package webhooks_test

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

type stateWant struct {
	Status                        string
	Sent, Delivered, Read, Failed bool
	StatusRows                    int
	ErrorCode                     int
}

// TestStatusOrdering delivers statuses of one message in various orders,
// each step as its own body and Apply, and checks the message state: it
// never moves backwards, failed is terminal, and every status's time is kept
// whatever the order.
func TestStatusOrdering(t *testing.T) {
	const w = "wamid.order"
	const at = 1_750_030_000
	sent, delivered, read := status(w, "sent", at+1), status(w, "delivered", at+2), status(w, "read", at+3)
	failed := `{"id":"` + w + `","status":"failed","timestamp":"1750030004","errors":[{"code":131049,"title":"x"}]}`
	tests := []struct {
		name  string
		steps [][]string
		want  stateWant
	}{
		{"in order", [][]string{{sent}, {delivered}, {read}},
			stateWant{Status: "read", Sent: true, Delivered: true, Read: true, StatusRows: 3}},
		{"read before delivered", [][]string{{sent}, {read}, {delivered}},
			stateWant{Status: "read", Sent: true, Delivered: true, Read: true, StatusRows: 3}},
		{"read only", [][]string{{read}},
			stateWant{Status: "read", Read: true, StatusRows: 1}},
		{"duplicates", [][]string{{delivered}, {delivered}, {sent, sent}},
			stateWant{Status: "delivered", Sent: true, Delivered: true, StatusRows: 2}},
		{"out of order in one body", [][]string{{read, sent, delivered}},
			stateWant{Status: "read", Sent: true, Delivered: true, Read: true, StatusRows: 3}},
		{"failed after sent", [][]string{{sent}, {failed}},
			stateWant{Status: "failed", Sent: true, Failed: true, StatusRows: 2, ErrorCode: 131049}},
		{"failed is terminal", [][]string{{failed}, {delivered}, {read}},
			stateWant{Status: "failed", Delivered: true, Read: true, Failed: true, StatusRows: 3, ErrorCode: 131049}},
		{"failed after read", [][]string{{read}, {failed}},
			stateWant{Status: "failed", Read: true, Failed: true, StatusRows: 2, ErrorCode: 131049}},
		{"unknown status stored but does not move state", [][]string{{sent}, {status(w, "deleted", at+9)}},
			stateWant{Status: "sent", Sent: true, StatusRows: 2}},
	}
	e := newEnv(t)
	e.seedMain(t)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e.reset(t)
			for _, step := range tc.steps {
				e.run(t, statusBody(step...))
			}
			var got stateWant
			err := e.db.QueryRow(e.ctx, `SELECT status, sent_at IS NOT NULL, delivered_at IS NOT NULL, read_at IS NOT NULL,
				failed_at IS NOT NULL, coalesce(error_code, 0), (SELECT count(*) FROM message_statuses WHERE wamid = $1)
				FROM message_state WHERE wamid = $1`, w).
				Scan(&got.Status, &got.Sent, &got.Delivered, &got.Read, &got.Failed, &got.ErrorCode, &got.StatusRows)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Fatalf("state (-want +got):\n%s", diff)
			}
		})
	}
}

// TestStatusColumns checks what a priced status keeps beside its status.
func TestStatusColumns(t *testing.T) {
	e := newEnv(t)
	tenant := e.seedMain(t)
	e.run(t, fixtures(t)["messages-3"])
	type row struct {
		Tenant, Phone, Recipient, Model, Type, Category, ConvID, Origin, EventTime string
		Billable                                                                   bool
		PricingKeys                                                                int
	}
	var got row
	err := e.db.QueryRow(e.ctx, `SELECT tenant_id::text, phone_number_id, recipient_id, pricing_model, pricing_type,
		pricing_category, conversation_id, conversation_origin, to_char(event_time AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS'),
		pricing_billable, (SELECT count(*) FROM jsonb_object_keys(pricing))
		FROM message_statuses`).Scan(&got.Tenant, &got.Phone, &got.Recipient, &got.Model, &got.Type, &got.Category,
		&got.ConvID, &got.Origin, &got.EventTime, &got.Billable, &got.PricingKeys)
	if err != nil {
		t.Fatal(err)
	}
	want := row{Tenant: tenant.String(), Phone: phoneMain, Recipient: "16505551234", Model: "PMP", Type: "regular",
		Category: "marketing", ConvID: "72b14d6bd5407799e66f64d1b338e567", Origin: "marketing",
		EventTime: "2025-06-15 23:27:53", Billable: true, PricingKeys: 0}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("(-want +got):\n%s", diff)
	}
}

// TestRawPricingIsKeptOnlyWhenTheColumnsMissSomething: the columns hold a
// pricing object of known keys whole, so its raw copy is not stored; any
// other object is.
func TestRawPricingIsKeptOnlyWhenTheColumnsMissSomething(t *testing.T) {
	e := newEnv(t)
	e.seedMain(t)
	tests := []struct {
		name, pricing, wantRaw string
	}{
		{"known keys", `{"billable":true,"pricing_model":"PMP","type":"regular","category":"marketing"}`, ""},
		{"some known keys", `{"category":"utility"}`, ""},
		{"a key Meta added", `{"billable":true,"category":"utility","rate":{"amount":1}}`,
			`{"rate": {"amount": 1}, "billable": true, "category": "utility"}`},
		{"spaces and escapes", "{ \"category\" : \"a\\\"b\" ,\n\"billable\":false }", ""},
		{"a scalar key Meta added", `{"category":"utility","rate":1}`, `{"rate": 1, "category": "utility"}`},
		{"a known key in other case", `{"Category":"utility"}`, `{"Category": "utility"}`},
		{"an odd shape", `{"billable":"yes"}`, `{"billable": "yes"}`},
		{"a NUL in a known key", `{"category":"util\u0000ity"}`, "{\"category\": \"util\uFFFDity\"}"},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			wamid := fmt.Sprintf("wamid.raw.%d", i)
			e.run(t, statusBody(`{"id":"`+wamid+`","status":"sent","timestamp":"1750030073","pricing":`+tc.pricing+`}`))
			var raw string
			err := e.db.QueryRow(e.ctx, `SELECT coalesce(pricing::text, '') FROM message_statuses WHERE wamid = $1`, wamid).Scan(&raw)
			if err != nil || raw != tc.wantRaw {
				t.Fatalf("raw pricing %q (err %v), want %q", raw, err, tc.wantRaw)
			}
		})
	}
}

// TestMessageStateIsTenantScoped reads the state view as each tenant: the
// view runs under the reader's row-level security, like the tables.
func TestMessageStateIsTenantScoped(t *testing.T) {
	e := newEnv(t)
	owner := e.seedMain(t)
	other := e.seedTenant(t, "other")
	e.run(t, statusBody(status("wamid.scoped", "delivered", 1_750_030_000)))
	tests := []struct {
		name   string
		tenant uuid.UUID
		want   int
	}{
		{"owner sees its message", owner, 1},
		{"another tenant sees nothing", other, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got int
			err := e.db.InTenantTx(e.ctx, tc.tenant, func(tx pgx.Tx) error {
				return tx.QueryRow(e.ctx, `SELECT count(*) FROM message_state WHERE wamid = 'wamid.scoped'`).Scan(&got)
			})
			if err != nil || got != tc.want {
				t.Fatalf("saw %d rows (err %v), want %d", got, err, tc.want)
			}
		})
	}
}
