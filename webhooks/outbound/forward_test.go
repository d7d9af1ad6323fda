package outbound

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/wabsp/wabsp/webhooks"
)

func TestForwarderEmitsOnlyForTenantsThatWantIt(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	wants, ignores := e.tenant(t, "Wants"), e.tenant(t, "Ignores")
	e.subscribe(t, TenantOwner(wants), "https://a.example.com/", "meta.*")
	e.subscribe(t, TenantOwner(ignores), "https://b.example.com/", "quality.*")
	fwd := NewForwarder(e.db, time.Hour)
	received := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	changes := []webhooks.Change{
		{ArchiveID: 7, Index: 0, Field: "messages", EntryID: "111", EntryTime: 1772366400, WABAID: "111",
			PhoneNumberID: "222", ReceivedAt: received, Value: json.RawMessage(`{"statuses":[{"id":"wamid.1","note":"a\u0000b"}]}`)},
		{ArchiveID: 7, Index: 1, Field: "account_update", EntryID: "111", WABAID: "111", ReceivedAt: received,
			Value: json.RawMessage(`{"event":"ACCOUNT_RESTRICTION"}`)},
	}
	apply := func(tenant uuid.UUID) {
		t.Helper()
		err := e.db.InTenantTx(ctx, tenant, func(tx pgx.Tx) error { return fwd.Apply(ctx, tx, tenant, changes) })
		if err != nil {
			t.Fatalf("Apply: %v", err)
		}
	}
	apply(wants)
	apply(wants) // a retried apply emits nothing new
	apply(ignores)

	rows, err := e.db.Query(ctx, `SELECT tenant_id::text, subject, occurred_at, data FROM domain_events ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	type ev struct {
		Tenant, Subject string
		At              time.Time
		Data            map[string]any
	}
	got, err := pgx.CollectRows(rows, pgx.RowToStructByPos[ev])
	if err != nil {
		t.Fatal(err)
	}
	want := []ev{
		{wants.String(), "222", time.Unix(1772366400, 0), map[string]any{
			"field": "messages", "entry_id": "111", "waba_id": "111", "phone_number_id": "222",
			"entry_time": "2026-03-01T12:00:00Z", "received_at": "2026-03-01T12:00:00Z", "archive_id": float64(7),
			"change_index": float64(0), "value": map[string]any{"statuses": []any{map[string]any{"id": "wamid.1", "note": "a\ufffdb"}}},
		}},
		{wants.String(), "111", received, map[string]any{
			"field": "account_update", "entry_id": "111", "waba_id": "111", "received_at": "2026-03-01T12:00:00Z",
			"archive_id": float64(7), "change_index": float64(1), "value": map[string]any{"event": "ACCOUNT_RESTRICTION"},
		}},
	}
	if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) })); diff != "" {
		t.Errorf("meta.forwarded events (-want +got):\n%s", diff)
	}
}
