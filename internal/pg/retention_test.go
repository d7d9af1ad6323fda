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
	{Name: "insight_messages", Column: "day", Partitioned: true, Keys: "insight_message_keys", Tenants: pg.PurgeEveryTenant},
	{Name: "billing_ledger", Column: "day", Partitioned: true, Keep: 1000 * 24 * time.Hour,
		Keys: "billing_ledger_keys", Tenants: pg.PurgeNever},
}

// insertKeyed writes a row of a table with a key table and its key, pinned
// to the month of at, as the write paths do.
func insertKeyed(t *testing.T, db *pg.DB, table string, tenant uuid.UUID, wamid string, at time.Time) {
	t.Helper()
	ctx := context.Background()
	month := pg.MonthStart(at)
	q, keys := `INSERT INTO insight_messages (tenant_id, wamid, day, month) VALUES ($1, $2, $3, $4)`, "insight_message_keys"
	if table == "billing_ledger" {
		keys = "billing_ledger_keys"
		q = `INSERT INTO billing_ledger (tenant_id, wamid, market, first_seen_at, billed_at, day, month)
			VALUES ($1, $2, 'Other', $3::timestamptz, $3::timestamptz, $3::date, $4)`
	}
	if _, err := db.Exec(ctx, q, tenant, wamid, at, month); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(ctx, `INSERT INTO `+keys+` (tenant_id, wamid, month) VALUES ($1, $2, $3)`,
		tenant, wamid, month); err != nil {
		t.Fatal(err)
	}
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

	// Months far past retention, made by hand as an older deployment would
	// have: 20 months back is past the events' 400 days but within
	// billing's 1000, 40 months back is past both.
	old, older := now.AddDate(0, -20, 0), now.AddDate(0, -40, 0)
	for _, m := range []struct {
		table string
		at    time.Time
	}{{"message_statuses", old}, {"insight_messages", old}, {"billing_ledger", old}, {"billing_ledger", older}} {
		if _, err := db.Exec(ctx, `SELECT create_month_partition($1::regclass, $2::date)`, m.table, m.at); err != nil {
			t.Fatal(err)
		}
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
		insertKeyed(t, db, "insight_messages", tenant, "i-old", old)
		insertKeyed(t, db, "insight_messages", tenant, "i-mid", sixtyDays)
	}
	insertKeyed(t, db, "billing_ledger", short, "b-short-mid", sixtyDays)
	insertKeyed(t, db, "billing_ledger", long, "b-old", old)
	insertKeyed(t, db, "billing_ledger", long, "b-older", older)

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
		{"insights month past the policy dropped", count(t, db, `SELECT count(*) FROM pg_class WHERE relname = $1`, "insight_messages_p"+old.Format("200601")), 0},
		{"dropped insights' keys purged", count(t, db, `SELECT count(*) FROM insight_message_keys WHERE wamid = 'i-old'`), 0},
		{"short tenant's insights purged", count(t, db, `SELECT count(*) FROM insight_messages WHERE wamid = 'i-mid' AND tenant_id = $1`, short), 0},
		{"long tenant's insights kept", count(t, db, `SELECT count(*) FROM insight_messages WHERE wamid = 'i-mid' AND tenant_id = $1`, long), 1},
		{"ledger within billing's retention kept", count(t, db, `SELECT count(*) FROM billing_ledger l JOIN billing_ledger_keys k USING (tenant_id, wamid, month) WHERE wamid = 'b-old'`), 1},
		{"ledger month past billing's retention dropped", count(t, db, `SELECT count(*) FROM pg_class WHERE relname = $1`, "billing_ledger_p"+older.Format("200601")), 0},
		{"dropped ledger month's keys purged", count(t, db, `SELECT count(*) FROM billing_ledger_keys WHERE wamid = 'b-older'`), 0},
		{"short tenant's ledger kept", count(t, db, `SELECT count(*) FROM billing_ledger WHERE wamid = 'b-short-mid'`), 1},
		{"report counts drops (statuses, insights, ledger)", rep.Dropped, 3},
		{"report counts deletes (1 status, 1 insight row)", int(rep.Deleted), 2},
		{"report counts keys (2 insight, 1 ledger)", int(rep.Keys), 3},
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
	far := time.Now().UTC().AddDate(2, 0, 0)
	tests := []struct {
		table  string
		insert func(t *testing.T, db *pg.DB, tenant uuid.UUID)
	}{
		{"message_statuses", func(t *testing.T, db *pg.DB, tenant uuid.UUID) { insertStatus(t, db, tenant, "w-far", far) }},
		{"billing_ledger", func(t *testing.T, db *pg.DB, tenant uuid.UUID) {
			insertKeyed(t, db, "billing_ledger", tenant, "w-far", far)
		}},
		{"insight_messages", func(t *testing.T, db *pg.DB, tenant uuid.UUID) {
			insertKeyed(t, db, "insight_messages", tenant, "w-far", far)
		}},
	}
	for _, tc := range tests {
		t.Run(tc.table, func(t *testing.T) {
			db := pgtest.New(t)
			tc.insert(t, db, newTenant(t, db, "late", 400))
			if got := count(t, db, `SELECT count(*) FROM `+tc.table+`_default`); got != 1 {
				t.Fatalf("default partition holds %d rows, want 1", got)
			}
			if _, err := db.Exec(context.Background(), `SELECT create_month_partition($1::regclass, $2::date)`, tc.table, far); err != nil {
				t.Fatal(err)
			}
			if got := count(t, db, `SELECT count(*) FROM `+tc.table+`_default`); got != 0 {
				t.Errorf("default partition still holds %d rows", got)
			}
			if got := count(t, db, `SELECT count(*) FROM `+tc.table+`_p`+far.Format("200601")+` WHERE wamid = 'w-far'`); got != 1 {
				t.Errorf("row not in its month: %d", got)
			}
		})
	}
}
