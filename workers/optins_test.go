package workers

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/hibiken/asynq"

	"github.com/wabsp/wabsp/internal/pgtest"
	"github.com/wabsp/wabsp/optins"
)

// TestOptinsPurge checks the purge task forgets keys older than the
// retention and keeps younger ones.
func TestOptinsPurge(t *testing.T) {
	db := pgtest.New(t)
	ctx := context.Background()
	tenant := uuid.New()
	if _, err := db.Exec(ctx, `INSERT INTO tenants (id, name, slug) VALUES ($1, 'Purge', 'purge-test')`, tenant); err != nil {
		t.Fatal(err)
	}
	svc := optins.NewService(db)
	for _, key := range []string{"old", "new"} {
		_, err := svc.RecordConsent(ctx, tenant, "tenant:test", optins.ConsentInput{
			Contact: optins.ContactRef{WaID: "15550001234"}, Purpose: optins.PurposeMarketing, Action: optins.ActionOptIn,
			Source: optins.SourceWebForm, Evidence: optins.Evidence{NoticeText: "offers"}, OccurredAt: time.Now().Add(-time.Hour),
		}, key)
		if err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.Exec(ctx, `UPDATE optin_idempotency SET created_at = now() - interval '8 days' WHERE key = 'old'`); err != nil {
		t.Fatal(err)
	}
	o := &OptinsTasks{Optins: svc}
	mux := asynq.NewServeMux()
	o.Register(mux)
	if err := mux.ProcessTask(ctx, NewOptinsPurgeTask()); err != nil {
		t.Fatal(err)
	}
	var keys []string
	rows, err := db.Query(ctx, `SELECT key FROM optin_idempotency ORDER BY key`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k)
	}
	if len(keys) != 1 || keys[0] != "new" {
		t.Errorf("keys left = %v, want [new]", keys)
	}
}
