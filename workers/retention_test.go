package workers

import (
	"context"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/wabsp/wabsp/internal/pgtest"
)

func TestRetentionTask(t *testing.T) {
	db := pgtest.New(t)
	ctx := context.Background()
	now := time.Date(2031, 3, 10, 0, 0, 0, 0, time.UTC)
	r := &RetentionTasks{DB: db, Ahead: 2, Keep: 400 * 24 * time.Hour, Now: func() time.Time { return now }}
	mux := asynq.NewServeMux()
	r.Register(mux)
	if err := mux.ProcessTask(ctx, NewRetentionTask()); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		query string
		arg   string
		want  int
	}{
		{"statuses month two ahead", `SELECT count(*) FROM pg_class WHERE relname = $1`, "message_statuses_p203105", 1},
		{"quality history month two ahead", `SELECT count(*) FROM pg_class WHERE relname = $1`, "quality_history_p203105", 1},
		{"ledger month two ahead", `SELECT count(*) FROM pg_class WHERE relname = $1`, "billing_ledger_p203105", 1},
		{"insights month two ahead", `SELECT count(*) FROM pg_class WHERE relname = $1`, "insight_messages_p203105", 1},
		{"archive month two ahead", `SELECT count(*) FROM pg_class WHERE relname = $1`, "webhook_archive_p203105", 1},
		{"not three ahead", `SELECT count(*) FROM pg_class WHERE relname = $1`, "message_statuses_p203106", 0},
		{"run recorded", `SELECT count(*) FROM maintenance_runs WHERE task = $1 AND (detail->>'created')::int = 15`, TypeRetention, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var n int
			if err := db.QueryRow(ctx, tc.query, tc.arg).Scan(&n); err != nil {
				t.Fatal(err)
			}
			if n != tc.want {
				t.Errorf("got %d, want %d", n, tc.want)
			}
		})
	}
}

// TestRetainedTablesExist keeps the list in step with the schema: a renamed
// table or column would otherwise only fail the scheduled run.
func TestRetainedTablesExist(t *testing.T) {
	db := pgtest.New(t)
	for _, tbl := range RetainedTables(0) {
		t.Run(tbl.Name, func(t *testing.T) {
			var kind string
			err := db.QueryRow(context.Background(), `SELECT c.relkind::text FROM pg_class c
				JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = $2
				WHERE c.relname = $1`, tbl.Name, tbl.Column).Scan(&kind)
			if err != nil {
				t.Fatalf("%s.%s: %v", tbl.Name, tbl.Column, err)
			}
			if got := kind == "p"; got != tbl.Partitioned {
				t.Errorf("partitioned = %v, listed as %v", got, tbl.Partitioned)
			}
		})
	}
}
