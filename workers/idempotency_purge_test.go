package workers

import (
	"context"
	"sort"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
	"github.com/hibiken/asynq"

	"github.com/wabsp/wabsp/internal/pg"
	"github.com/wabsp/wabsp/internal/pgtest"
)

// The one purge task forgets, in every domain's table, the keys older than
// that table's retention, a partner's as well as a tenant's, and keeps the
// younger ones; the task types it replaced do the same.
func TestIdempotencyPurge(t *testing.T) {
	now := time.Now().UTC()
	tests := []struct {
		name string
		task *asynq.Task
	}{
		{"purge task", NewIdempotencyPurgeTask()},
		{"opt-ins task of older schedulers", asynq.NewTask(legacyPurgeTypes[0], nil)},
		{"quality task of older schedulers", asynq.NewTask(legacyPurgeTypes[1], nil)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			db := pgtest.New(t)
			ctx := context.Background()
			tenant, partner := uuid.New(), uuid.New()
			exec(t, db, `INSERT INTO tenants (id, name, slug) VALUES ($1, 'Purge', 'purge-test')`, tenant)
			exec(t, db, `INSERT INTO partners (id, name) VALUES ($1, 'Purge partner')`, partner)
			want := map[string][]string{}
			for _, table := range KeyTables() {
				old, fresh := now.Add(-table.Retention-time.Hour), now.Add(-table.Retention+time.Hour)
				for key, at := range map[string]time.Time{"old": old, "fresh": fresh} {
					exec(t, db, `INSERT INTO `+table.Name+` (tenant_id, operation, key, request_sha256, created_at)
						VALUES ($1, 'op', $2, '\x00', $3)`, tenant, key, at)
				}
				want[table.Name] = []string{"fresh"}
			}
			exec(t, db, `INSERT INTO webhook_idempotency (partner_id, operation, key, request_sha256, created_at)
				VALUES ($1, 'op', 'partner-old', '\x00', $2), ($1, 'op', 'partner-fresh', '\x00', $3)`,
				partner, now.Add(-8*24*time.Hour), now.Add(-time.Hour))
			want["webhook_idempotency"] = []string{"fresh", "partner-fresh"}

			mux := asynq.NewServeMux()
			(&IdempotencyKeys{DB: db, Tables: KeyTables(), Now: func() time.Time { return now }}).Register(mux)
			if err := mux.ProcessTask(ctx, tc.task); err != nil {
				t.Fatal(err)
			}
			got := map[string][]string{}
			for _, table := range KeyTables() {
				got[table.Name] = keysOf(t, db, table.Name)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("keys left (-want +got):\n%s", diff)
			}
		})
	}
}

// Every table of Idempotency-Key records in the schema is purged: a domain
// adding one must add it to KeyTables.
func TestKeyTablesCoverTheSchema(t *testing.T) {
	db := pgtest.New(t)
	rows, err := db.Query(context.Background(), `
		SELECT table_name FROM information_schema.columns
		WHERE table_schema = current_schema() AND column_name = 'request_sha256'
		  AND table_name IN (SELECT table_name FROM information_schema.columns
			WHERE table_schema = current_schema() AND column_name = 'key')
		ORDER BY table_name`)
	if err != nil {
		t.Fatal(err)
	}
	var schema []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		schema = append(schema, name)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	var listed []string
	for _, table := range KeyTables() {
		listed = append(listed, table.Name)
	}
	sort.Strings(listed)
	if diff := cmp.Diff(schema, listed); diff != "" {
		t.Errorf("key tables (-schema +KeyTables):\n%s", diff)
	}
}

func exec(t *testing.T, db *pg.DB, sql string, args ...any) {
	t.Helper()
	if _, err := db.Exec(context.Background(), sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

func keysOf(t *testing.T, db *pg.DB, table string) []string {
	t.Helper()
	rows, err := db.Query(context.Background(), `SELECT key FROM `+table+` ORDER BY key`)
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return keys
}
