package webhooks_test

import (
	"context"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/wabsp/wabsp/internal/pgtest"
	"github.com/wabsp/wabsp/webhooks"
)

// The admin lookup by wamid alone finds the first owner through the wamid
// index, not by scanning every tenant's statuses.
func TestMessageOwnerUsesTheWAMIDIndex(t *testing.T) {
	db := pgtest.New(t)
	ctx := context.Background()
	first, later := uuid.New(), uuid.New()
	// Many tenants' statuses, and one wamid reported to two tenants (a
	// misrouted replay): the earliest receipt names the owner.
	if _, err := db.Exec(ctx, `
		INSERT INTO message_statuses (tenant_id, wamid, status, received_at, occurred_at, archive_id, change_index)
		SELECT gen_random_uuid(), 'wamid.' || i, 'sent', now() - i * interval '1 second', now() - i * interval '1 second', i, 0
		FROM generate_series(1, 20000) i`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(ctx, `
		INSERT INTO message_statuses (tenant_id, wamid, status, received_at, occurred_at, archive_id, change_index)
		VALUES ($1, 'wamid.shared', 'sent', now() - interval '1 hour', now() - interval '1 hour', 1, 0), ($2, 'wamid.shared', 'sent', now(), now(), 2, 0)`,
		first, later); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(ctx, `ANALYZE message_statuses`); err != nil {
		t.Fatal(err)
	}
	var plan []byte
	if err := db.QueryRow(ctx, `EXPLAIN (FORMAT JSON) `+webhooks.MessageOwnerSQL, "wamid.shared").Scan(&plan); err != nil {
		t.Fatal(err)
	}
	// Each month's partition has its own copy of the index, named after it.
	if p := string(plan); !strings.Contains(p, `wamid_received_at_idx"`) || strings.Contains(p, `"Seq Scan"`) {
		t.Errorf("plan does not use the partitions' wamid index:\n%s", p)
	}
	svc, err := webhooks.NewService(db, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := svc.MessageOwner(ctx, "wamid.shared")
	if err != nil || got != first {
		t.Errorf("owner = %s, %v; want %s", got, err, first)
	}
}
