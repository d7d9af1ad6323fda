package workers

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/hibiken/asynq"

	"github.com/wabsp/wabsp/webhooks"
)

// TestRoutingWaitsForReplicasToHoldApplyTasks covers a Sentinel failover
// right after a worker queued apply tasks: the replica promoted may never
// have received them, so the bodies or orphans behind them must not be
// marked done before the replicas confirm, or a retry would find nothing
// left to route and the changes would be lost.
func TestRoutingWaitsForReplicasToHoldApplyTasks(t *testing.T) {
	intake := NewMetaIntakeTask([]webhooks.Body{{Raw: fixture(t, "messages-3.json"), ReceivedAt: time.Now()}})
	tests := []struct {
		name string
		// before runs once, without a fence, and leaves something waiting.
		before func(ctx context.Context, t *testing.T, h *handlers)
		route  func(ctx context.Context, h *handlers) error
		// waiting counts what route has not yet closed.
		waiting string
	}{
		{
			name:   "intake",
			before: func(context.Context, *testing.T, *handlers) {},
			route:  func(ctx context.Context, h *handlers) error { return h.handleIntake(ctx, intake) },
			waiting: `SELECT count(*) FROM webhook_archive a LEFT JOIN webhook_routed r ON r.archive_id = a.id
				WHERE a.error IS NULL AND r.archive_id IS NULL`,
		},
		{
			name: "orphan adoption",
			before: func(ctx context.Context, t *testing.T, h *handlers) {
				exec(t, h.DB, `UPDATE phone_numbers SET phone_number_id = '999', display_phone_number = '+10000000000'`)
				exec(t, h.DB, `UPDATE wabas SET waba_id = '998'`)
				if err := h.handleIntake(ctx, intake); err != nil {
					t.Fatal(err)
				}
				exec(t, h.DB, `UPDATE phone_numbers SET phone_number_id = '106540352242922', display_phone_number = '+15550783881'`)
				exec(t, h.DB, `UPDATE wabas SET waba_id = '102290129340398'`)
			},
			route:   func(ctx context.Context, h *handlers) error { return h.handleAdoptOrphans(ctx, NewAdoptOrphansTask()) },
			waiting: `SELECT count(*) FROM webhook_orphans WHERE adopted_at IS NULL`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h, tenant := newHandlers(t)
			ctx := context.Background()
			tc.before(ctx, t, h)

			// This Redis has no replica, so none can confirm.
			h.Fence = ApplyFence(h.Redis, 1)
			if err := tc.route(ctx, h); err == nil {
				t.Fatal("routing succeeded although no replica holds its apply tasks")
			}
			if n := count(t, h, tc.waiting); n != 1 {
				t.Fatalf("%d left waiting after the unconfirmed attempt, want 1", n)
			}

			// A failover to a replica that never received the apply tasks.
			if n := dropApply(t, h, tenant); n != 1 {
				t.Fatalf("%d apply tasks queued by the unconfirmed attempt, want 1", n)
			}
			h.Fence = nil
			if err := tc.route(ctx, h); err != nil {
				t.Fatal(err)
			}
			if n := count(t, h, tc.waiting); n != 0 {
				t.Fatalf("%d left waiting after the retry, want 0", n)
			}
			if n := drainApply(t, h, tenant); n != 1 {
				t.Fatalf("%d apply tasks queued by the retry, want 1", n)
			}
			if n := count(t, h, `SELECT count(*) FROM message_statuses`); n != 1 {
				t.Fatalf("%d statuses stored, want the body's one", n)
			}
		})
	}
}

// dropApply deletes the queued apply tasks and says how many there were.
func dropApply(t *testing.T, h *handlers, tenant uuid.UUID) int {
	t.Helper()
	insp := asynq.NewInspectorFromRedisClient(h.Redis)
	grouped, err := insp.DeleteAllAggregatingTasks(QueueDefault, applyGroup(tenant))
	if err != nil {
		t.Fatal(err)
	}
	pending, err := insp.DeleteAllPendingTasks(QueueDefault)
	if err != nil {
		t.Fatal(err)
	}
	return grouped + pending
}

func count(t *testing.T, h *handlers, sql string) int {
	t.Helper()
	var n int
	if err := h.DB.QueryRow(context.Background(), sql).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
