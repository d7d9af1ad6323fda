package pg_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/wabsp/wabsp/internal/pg"
	"github.com/wabsp/wabsp/internal/pgtest"
)

var retentionTables = []pg.RetainedTable{
	{Name: "message_statuses", Column: "occurred_at", Partitioned: true},
	{Name: "quality_history", Column: "event_time", Partitioned: true},
	{Name: "insight_messages", Column: "day"},
}

func insertStatus(t *testing.T, db *pg.DB, tenant uuid.UUID, wamid string, at time.Time) {
	t.Helper()
	_, err := db.Exec(context.Background(), `INSERT INTO message_statuses (tenant_id, wamid, status, event_time,
		received_at, archive_id, change_index, occurred_at) VALUES ($1, $2, 'sent', $3, $3, 1, 0, $3)`, tenant, wamid, at)
	if err != nil {
		t.Fatal(err)
	}
}

func count(t *testing.T, db *pg.DB, q string, args ...any) int {
	t.Helper()
	var n int
	if err := db.QueryRow(context.Background(), q, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func newTenant(t *testing.T, db *pg.DB, slug string, days int) uuid.UUID {
	t.Helper()
	id := uuid.New()
	if _, err := db.Exec(context.Background(), `INSERT INTO tenants (id, name, slug, retention_days) VALUES ($1, 'T', $2, $3)`,
		id, slug, days); err != nil {
		t.Fatal(err)
	}
	return id
}

func TestMaintainRetention(t *testing.T) {
	db := pgtest.New(t)
	ctx := context.Background()
	now := time.Now().UTC()
	short, long := newTenant(t, db, "short", 30), newTenant(t, db, "long", 400)

	// A month far past retention, made by hand as an older deployment would have.
	old := now.AddDate(0, -20, 0)
	if _, err := db.Exec(ctx, `SELECT create_month_partition('message_statuses', $1::date)`, old); err != nil {
		t.Fatal(err)
	}
	insertStatus(t, db, long, "w-ancient", old)
	sixtyDays := now.AddDate(0, 0, -60)
	insertStatus(t, db, short, "w-short-old", sixtyDays)
	insertStatus(t, db, short, "w-short-new", now)
	insertStatus(t, db, long, "w-long-old", sixtyDays)
	for _, tenant := range []uuid.UUID{short, long} {
		if _, err := db.Exec(ctx, `INSERT INTO consent_ledger (tenant_id, contact_id, purpose, action, source,
			notice_text, actor, occurred_at) VALUES ($1, $2, 'marketing', 'opt_in', 'api', 'n', 'api', $3)`,
			tenant, uuid.New(), old); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(ctx, `INSERT INTO insight_messages (tenant_id, wamid, day, month)
			VALUES ($1, 'i-old', $2, date_trunc('month', $2::date)), ($1, 'i-mid', $3, date_trunc('month', $3::date))`,
			tenant, old, sixtyDays); err != nil {
			t.Fatal(err)
		}
	}

	rep, err := db.MaintainRetention(ctx, now, pg.RetentionPolicy{
		Tables: retentionTables, Ahead: 6, Keep: 400 * 24 * time.Hour, Batch: 1,
	})
	if err != nil {
		t.Fatal(err)
	}
	ahead := now.AddDate(0, 6, 0).Format("200601")
	tests := []struct {
		name string
		got  int
		want int
	}{
		{"months created ahead", count(t, db, `SELECT count(*) FROM pg_class WHERE relname = $1`, "message_statuses_p"+ahead), 1},
		{"quality history months created ahead", count(t, db, `SELECT count(*) FROM pg_class WHERE relname = $1`, "quality_history_p"+ahead), 1},
		{"month past retention dropped", count(t, db, `SELECT count(*) FROM pg_class WHERE relname = $1`, "message_statuses_p"+old.Format("200601")), 0},
		{"short tenant's old status deleted", count(t, db, `SELECT count(*) FROM message_statuses WHERE wamid = 'w-short-old'`), 0},
		{"short tenant's recent status kept", count(t, db, `SELECT count(*) FROM message_statuses WHERE wamid = 'w-short-new'`), 1},
		{"long tenant's status within retention kept", count(t, db, `SELECT count(*) FROM message_statuses WHERE wamid = 'w-long-old'`), 1},
		{"consent ledger untouched", count(t, db, `SELECT count(*) FROM consent_ledger`), 2},
		{"insights past the policy purged for every tenant", count(t, db, `SELECT count(*) FROM insight_messages WHERE wamid = 'i-old'`), 0},
		{"short tenant's insights purged", count(t, db, `SELECT count(*) FROM insight_messages WHERE wamid = 'i-mid' AND tenant_id = $1`, short), 0},
		{"long tenant's insights kept", count(t, db, `SELECT count(*) FROM insight_messages WHERE wamid = 'i-mid' AND tenant_id = $1`, long), 1},
		{"report counts drops", rep.Dropped, 1},
		{"report counts deletes (1 status, 3 insight rows)", int(rep.Deleted), 4},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.got != tc.want {
				t.Errorf("got %d, want %d", tc.got, tc.want)
			}
		})
	}

	again, err := db.MaintainRetention(ctx, now, pg.RetentionPolicy{Tables: retentionTables, Ahead: 6, Keep: 400 * 24 * time.Hour, Batch: 1})
	if err != nil {
		t.Fatal(err)
	}
	if again != (pg.RetentionReport{}) {
		t.Errorf("second run changed something: %+v", again)
	}
}

func TestRetentionRefusesConsentLedger(t *testing.T) {
	db := pgtest.New(t)
	_, err := db.MaintainRetention(context.Background(), time.Now(), pg.RetentionPolicy{
		Tables: []pg.RetainedTable{{Name: "consent_ledger", Column: "occurred_at"}}, Keep: time.Hour,
	})
	if err == nil {
		t.Fatal("retention accepted the consent ledger")
	}
}

func TestLateMonthMovesRowsOutOfDefault(t *testing.T) {
	db := pgtest.New(t)
	ctx := context.Background()
	tenant := newTenant(t, db, "late", 400)
	far := time.Now().UTC().AddDate(2, 0, 0)
	insertStatus(t, db, tenant, "w-far", far)
	if got := count(t, db, `SELECT count(*) FROM message_statuses_default`); got != 1 {
		t.Fatalf("default partition holds %d rows, want 1", got)
	}
	if _, err := db.Exec(ctx, `SELECT create_month_partition('message_statuses', $1::date)`, far); err != nil {
		t.Fatal(err)
	}
	if got := count(t, db, `SELECT count(*) FROM message_statuses_default`); got != 0 {
		t.Errorf("default partition still holds %d rows", got)
	}
	if got := count(t, db, `SELECT count(*) FROM message_statuses WHERE wamid = 'w-far'`); got != 1 {
		t.Errorf("row lost in the move: %d", got)
	}
}
