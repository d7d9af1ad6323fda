package pg_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/wabsp/wabsp/internal/pg"
	"github.com/wabsp/wabsp/internal/pgtest"
)

// monthlyTables are the tables partitioned by month, months only: what the
// scheduler asks of MaintainRetention for each of them, without the drops.
var monthlyTables = []pg.RetainedTable{
	{Name: "message_statuses", Column: "occurred_at", Partitioned: true, CreateOnly: true},
	{Name: "quality_history", Column: "event_time", Partitioned: true, CreateOnly: true},
	{Name: "billing_ledger", Column: "day", Partitioned: true, CreateOnly: true},
	{Name: "insight_messages", Column: "day", Partitioned: true, CreateOnly: true},
	{Name: "webhook_archive", Column: "received_at", Partitioned: true, CreateOnly: true},
}

// partitions lists every partition in the schema, sub-partitions included.
func partitions(t *testing.T, db *pg.DB) []string {
	t.Helper()
	rows, err := db.Query(context.Background(), `SELECT c.oid::regclass::text FROM pg_class c
		JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'public'
		WHERE c.relispartition AND c.relkind IN ('r', 'p', 'f') ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return names
}

// tenantPrivileges lists the table privileges the tenant role holds on rel.
func tenantPrivileges(t *testing.T, db *pg.DB, rel string) []string {
	t.Helper()
	var held []string
	err := db.QueryRow(context.Background(), `SELECT coalesce(array_agg(p ORDER BY p), '{}')
		FROM unnest(ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE']) p
		WHERE has_table_privilege($1, $2::regclass, p)`, pg.TenantRole, rel).Scan(&held)
	if err != nil {
		t.Fatal(err)
	}
	return held
}

func assertWithheld(t *testing.T, db *pg.DB, rels []string) {
	t.Helper()
	for _, rel := range rels {
		t.Run(rel, func(t *testing.T) {
			if held := tenantPrivileges(t, db, rel); len(held) > 0 {
				t.Errorf("%s holds %s on %s", pg.TenantRole, strings.Join(held, ", "), rel)
			}
		})
	}
}

// TestPartitionsWithheldFromTenantRole keeps row-level security from being
// bypassed: the policies sit on the partitioned parents, so a partition the
// tenant role could name would show it every tenant's rows.
func TestPartitionsWithheldFromTenantRole(t *testing.T) {
	db := pgtest.New(t)
	ctx := context.Background()
	t.Run("every partitioned table has partitions", func(t *testing.T) {
		for _, tbl := range monthlyTables {
			months, err := db.MonthPartitions(ctx, tbl.Name)
			if err != nil {
				t.Fatal(err)
			}
			if len(months) == 0 {
				t.Errorf("%s has no monthly partitions to check", tbl.Name)
			}
		}
	})
	t.Run("partitions made by the migrations", func(t *testing.T) {
		assertWithheld(t, db, partitions(t, db))
	})

	// Months no migration made: years after now, as the scheduler would
	// create them then.
	later := time.Now().UTC().AddDate(5, 0, 0)
	rep, err := db.MaintainRetention(ctx, later, pg.RetentionPolicy{Tables: monthlyTables, Ahead: 1})
	if err != nil {
		t.Fatal(err)
	}
	var scheduled []string
	for _, tbl := range monthlyTables {
		for i := range 2 {
			scheduled = append(scheduled, tbl.Name+"_p"+later.AddDate(0, i, 0).Format("200601"))
		}
	}
	t.Run("months created by the scheduled run", func(t *testing.T) {
		if rep.Created != len(scheduled) {
			t.Fatalf("run created %d months, want %d", rep.Created, len(scheduled))
		}
		assertWithheld(t, db, scheduled)
	})

	byHand := "message_statuses_p" + later.AddDate(1, 0, 0).Format("200601")
	if _, err := db.Exec(ctx, `SELECT create_month_partition('message_statuses', $1::date)`, later.AddDate(1, 0, 0)); err != nil {
		t.Fatal(err)
	}
	t.Run("month created by hand", func(t *testing.T) {
		assertWithheld(t, db, []string{byHand})
	})
}

// TestTenantReadsPartitionedTablesThroughParent checks that withholding the
// partitions costs the tenant role nothing: reads through the parent still
// see its own rows, and only the partitions themselves are refused.
func TestTenantReadsPartitionedTablesThroughParent(t *testing.T) {
	db := pgtest.New(t)
	ctx := context.Background()
	now := time.Now().UTC()
	own, other := newTenant(t, db, "own", 400), newTenant(t, db, "other", 400)
	for _, tenant := range []struct {
		id    uuid.UUID
		wamid string
	}{{own, "w-own"}, {other, "w-other"}} {
		insertStatus(t, db, tenant.id, tenant.wamid, now)
		insertKeyed(t, db, "insight_messages", tenant.id, tenant.wamid, now)
		insertKeyed(t, db, "billing_ledger", tenant.id, tenant.wamid, now)
	}
	month := now.Format("200601")
	tests := []struct {
		name  string
		query string
		// want is the rows the query sees; refused when it must fail for
		// want of privileges.
		want    int
		refused bool
	}{
		{"statuses through the parent", `SELECT count(*) FROM message_statuses`, 1, false},
		{"insights through the parent", `SELECT count(*) FROM insight_messages`, 1, false},
		{"ledger through the parent", `SELECT count(*) FROM billing_ledger`, 1, false},
		{"own row through the parent", `SELECT count(*) FROM message_statuses WHERE wamid = 'w-own'`, 1, false},
		{"statuses month refused", `SELECT count(*) FROM message_statuses_p` + month, 0, true},
		{"ledger month refused", `SELECT count(*) FROM billing_ledger_p` + month, 0, true},
		{"default partition refused", `SELECT count(*) FROM insight_messages_default`, 0, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var n int
			err := db.InTenantTx(ctx, own, func(tx pgx.Tx) error { return tx.QueryRow(ctx, tc.query).Scan(&n) })
			if tc.refused {
				var pe *pgconn.PgError
				if !errors.As(err, &pe) || pe.Code != "42501" {
					t.Fatalf("got %d rows, error %v; want permission denied", n, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if n != tc.want {
				t.Errorf("got %d rows, want %d", n, tc.want)
			}
		})
	}
}
