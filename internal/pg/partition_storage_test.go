package pg_test

import (
	"context"
	"testing"
	"time"

	"github.com/wabsp/wabsp/internal/pg"
	"github.com/wabsp/wabsp/internal/pgtest"
)

// TestRewrittenTablesLeaveRoomInEveryMonth checks the fill factor of every
// month of the tables whose rows are rewritten at each later status of a
// message, those the migrations made and those the scheduler makes later:
// the free half of each page is what keeps the rewrites heap-only
// (TestStatusRewritesAreHeapOnly in cmd/wabsp measures that). Append-only
// tables keep their pages full.
func TestRewrittenTablesLeaveRoomInEveryMonth(t *testing.T) {
	db := pgtest.New(t)
	ctx := context.Background()
	if _, err := db.MaintainRetention(ctx, time.Now().UTC().AddDate(5, 0, 0),
		pg.RetentionPolicy{Tables: monthlyTables, Ahead: 1}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		table string
		want  string
	}{
		{"billing_ledger", "fillfactor=50"},
		{"insight_messages", "fillfactor=50"},
		{"message_statuses", ""},
		{"webhook_archive", ""},
	}
	for _, tc := range tests {
		t.Run(tc.table, func(t *testing.T) {
			rows, err := db.Query(ctx, `SELECT c.relname, coalesce(array_to_string(c.reloptions, ','), '')
				FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
				WHERE i.inhparent = $1::regclass ORDER BY 1`, tc.table)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			months := 0
			for rows.Next() {
				var name, opts string
				if err := rows.Scan(&name, &opts); err != nil {
					t.Fatal(err)
				}
				months++
				if opts != tc.want {
					t.Errorf("%s has storage parameters %q, want %q", name, opts, tc.want)
				}
			}
			if err := rows.Err(); err != nil {
				t.Fatal(err)
			}
			if months < 3 {
				t.Fatalf("%s has %d partitions, want the migrations' and the scheduled ones", tc.table, months)
			}
		})
	}
}
