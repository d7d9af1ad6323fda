package webhooks_test

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/wabsp/wabsp/webhooks"
)

// TestRegisteredHandlers checks dispatch by field: a registered handler
// replaces the default for its field only, runs inside the tenant
// transaction, and can keep the default alongside.
func TestRegisteredHandlers(t *testing.T) {
	prefs := envelope(wabaMain, "user_preferences", `{"metadata":{"phone_number_id":"`+phoneMain+`"},
		"user_preferences":[{"wa_id":"1","value":"stop","category":"marketing_messages","timestamp":1731705721}]}`)
	review := envelope(wabaMain, "account_review_update", `{"decision":"APPROVED"}`)
	tests := []struct {
		name        string
		withDefault bool
		want        map[string]int
	}{
		{"replaces the default", false, map[string]int{"seen": 1, "optins": 0, "account": 1}},
		{"alongside the default", true, map[string]int{"seen": 1, "optins": 1, "account": 1}},
	}
	shared := newEnv(t)
	tenant := shared.seedMain(t)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			shared.reset(t)
			e := shared.fresh(t)
			seen := 0
			h := webhooks.HandlerFunc(func(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, changes []webhooks.Change) error {
				var current string
				if err := tx.QueryRow(ctx, `SELECT current_setting('wabsp.tenant_id')`).Scan(&current); err != nil {
					return err
				}
				if tenantID != tenant || current != tenant.String() {
					return errors.New("handler outside the tenant transaction")
				}
				for _, c := range changes {
					if c.Field != webhooks.FieldUserPreferences {
						return errors.New("handler got field " + c.Field)
					}
				}
				seen += len(changes)
				return nil
			})
			if tc.withDefault {
				e.svc.Register(webhooks.FieldUserPreferences, h, e.svc.Defaults())
			} else {
				e.svc.Register(webhooks.FieldUserPreferences, h)
			}
			e.run(t, prefs, review)
			got := map[string]int{
				"seen":    seen,
				"optins":  e.count(t, `SELECT count(*) FROM tenant_events WHERE domain = 'optins'`),
				"account": e.count(t, `SELECT count(*) FROM tenant_events WHERE domain = 'account'`),
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Fatalf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestApplyIsAtomic makes a registered handler fail: nothing of the batch
// may be written, and the error reaches the caller for a retry.
func TestApplyIsAtomic(t *testing.T) {
	e := newEnv(t)
	e.seedMain(t)
	e.svc.Register("account_review_update", webhooks.HandlerFunc(func(context.Context, pgx.Tx, uuid.UUID, []webhooks.Change) error {
		return errors.New("domain store down")
	}))
	archived, err := e.svc.Archive(e.ctx, []webhooks.Body{
		{Raw: statusBody(status("wamid.atomic", "sent", 1750030073))},
		{Raw: envelope(wabaMain, "account_review_update", `{"decision":"APPROVED"}`)},
	})
	if err != nil {
		t.Fatal(err)
	}
	batches, err := e.svc.Route(e.ctx, archived)
	if err != nil {
		t.Fatal(err)
	}
	if len(batches) != 1 {
		t.Fatalf("%d batches, want 1", len(batches))
	}
	if err := e.svc.Apply(e.ctx, batches[0].TenantID, batches[0].Changes); err == nil {
		t.Fatal("apply succeeded with a failing handler")
	}
	if n := e.count(t, `SELECT count(*) FROM message_statuses`); n != 0 {
		t.Fatalf("%d statuses written by a failed apply", n)
	}
}

// TestHostileText sends what JSON allows but Postgres text and jsonb refuse
// (the \u0000 escape, invalid UTF-8) and odd values that must not fail the
// batch: they are stored, never retried forever.
func TestHostileText(t *testing.T) {
	e := newEnv(t)
	e.seedMain(t)
	inbound := []byte("{\"object\":\"whatsapp_business_account\",\"entry\":[{\"id\":\"" + wabaMain + "\",\"changes\":[{\"field\":\"messages\"," +
		"\"value\":{\"metadata\":{\"phone_number_id\":\"" + phoneMain + "\"},\"contacts\":[{\"wa_id\":\"1\",\"profile\":{\"name\":\"N\\u0000\xff\"}}]," +
		"\"messages\":[{\"from\":\"1\",\"id\":\"wamid.\\u0000x\",\"timestamp\":\"99999999999999\",\"type\":\"text\",\"text\":{\"body\":\"a\\u0000b \xc3\x28 \\\\u0000\"}}]}}]}]}")
	odd := statusBody(`{"id":"wamid.odd","status":"sent","timestamp":"-5","errors":[{"code":99999999999}],"pricing":{"billable":"yes"}}`,
		status("wamid.fine", "sent", 1750030073))
	weird := envelope(wabaMain, "account_update", `{"event":{"nested":true}}`)
	e.run(t, inbound, odd, weird)
	got := map[string]int{
		"inbound":     e.count(t, `SELECT count(*) FROM inbound_messages WHERE event_time IS NULL AND payload->'text'->>'body' LIKE 'a%b%'`),
		"undecodable": e.count(t, `SELECT count(*) FROM tenant_events WHERE event IN ('UNDECODABLE')`),
		"statuses": e.count(t, `SELECT count(*) FROM message_statuses WHERE wamid IN ('wamid.fine', 'wamid.odd')
			AND pricing_billable IS NULL AND event_time IS NULL = (wamid = 'wamid.odd')`),
	}
	want := map[string]int{"inbound": 1, "undecodable": 1, "statuses": 2}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("(-want +got):\n%s", diff)
	}
}
