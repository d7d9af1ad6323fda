package events_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/wabsp/wabsp/internal/events"
	"github.com/wabsp/wabsp/internal/pgtest"
)

func TestEmitIsTransactionalAndIdempotent(t *testing.T) {
	db := pgtest.New(t)
	ctx := context.Background()
	tenant := uuid.New()
	at := time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC)
	ev := events.Event{TenantID: tenant, Type: events.QualityAlertOpened, Subject: "106540352242922",
		OccurredAt: at, DedupeKey: "alert:1:opened", Data: map[string]string{"severity": "high"}}

	tests := []struct {
		name     string
		event    events.Event
		rollback bool
		wantNew  bool
		wantRows int
	}{
		{"rolled back with its change", ev, true, true, 0},
		{"committed", ev, false, true, 1},
		{"same dedupe key again", ev, false, false, 1},
		{"no dedupe key always inserts", events.Event{TenantID: tenant, Type: events.OptinChanged, OccurredAt: at, Data: 1}, false, true, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var inserted bool
			err := db.InTenantTx(ctx, tenant, func(tx pgx.Tx) error {
				var err error
				if inserted, err = events.Emit(ctx, tx, tc.event); err != nil {
					return err
				}
				if tc.rollback {
					return errRollback
				}
				return nil
			})
			if err != nil && err != errRollback {
				t.Fatal(err)
			}
			if inserted != tc.wantNew {
				t.Fatalf("inserted %v, want %v", inserted, tc.wantNew)
			}
			got, err := events.ListAfter(ctx, db, 0, 100)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != tc.wantRows {
				t.Fatalf("%d events stored, want %d", len(got), tc.wantRows)
			}
		})
	}
}

func TestEmitRejectsIncompleteEvents(t *testing.T) {
	db := pgtest.New(t)
	_, err := events.Emit(context.Background(), db, events.Event{Type: events.OptinChanged, OccurredAt: time.Now()})
	if err == nil {
		t.Fatal("event without tenant stored")
	}
}

type rollbackErr struct{}

func (rollbackErr) Error() string { return "rollback" }

var errRollback error = rollbackErr{}
