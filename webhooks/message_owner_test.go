package webhooks_test

import (
	"context"
	"encoding/json"
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
	// Each month's partition has its own copy of the index, named after it;
	// the empty months may be read whole, at no cost.
	var months []string
	if err := db.QueryRow(ctx, `SELECT array_agg(DISTINCT tableoid::regclass::text) FROM message_statuses`).Scan(&months); err != nil {
		t.Fatal(err)
	}
	scans := map[string]string{}
	var doc []struct{ Plan planNode }
	if err := json.Unmarshal(plan, &doc); err != nil || len(doc) != 1 {
		t.Fatalf("plan %s: %v", plan, err)
	}
	doc[0].Plan.scans(scans)
	for _, month := range months {
		if got, want := scans[month], "Bitmap Heap Scan"; got != want {
			t.Errorf("%s is read by %q, want %q through its wamid index; plan:\n%s", month, got, want, plan)
		}
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

// planNode is what the test reads of an EXPLAIN (FORMAT JSON) node.
type planNode struct {
	NodeType string     `json:"Node Type"`
	Relation string     `json:"Relation Name"`
	Plans    []planNode `json:"Plans"`
}

// scans records how each relation the plan reads is read.
func (n planNode) scans(out map[string]string) {
	if n.Relation != "" {
		out[n.Relation] = n.NodeType
	}
	for _, c := range n.Plans {
		c.scans(out)
	}
}
