package workers

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
	"github.com/hibiken/asynq"
	"github.com/jackc/pgx/v5"

	"github.com/wabsp/wabsp/internal/pgtest"
	"github.com/wabsp/wabsp/internal/redistest"
	"github.com/wabsp/wabsp/sending"
	"github.com/wabsp/wabsp/tenants/tenantstest"
)

// TestSendSweeper re-queues a send committed as queued whose enqueue failed,
// once however often it sweeps, and leaves alone the sends that still have a
// task, are within the grace period, or are no longer queued.
func TestSendSweeper(t *testing.T) {
	db := pgtest.New(t)
	_, rdb := redistest.New(t)
	svc := tenantstest.NewService(t, db)
	ctx := context.Background()
	client := asynq.NewClientFromRedisClient(rdb)
	enqueue := SendEnqueuer{Client: client, Redis: rdb}.Enqueue
	type seed struct {
		name  string
		state sending.State
		age   time.Duration
		// queued: its task reached Redis.
		queued bool
	}
	seeds := []seed{
		{name: "lost", state: sending.StateQueued, age: 10 * time.Minute},
		{name: "lost other tenant", state: sending.StateQueued, age: 5 * time.Minute},
		{name: "has its task", state: sending.StateQueued, age: 10 * time.Minute, queued: true},
		{name: "within grace", state: sending.StateQueued, age: 30 * time.Second},
		{name: "sent", state: sending.StateSent, age: 10 * time.Minute},
	}
	ids := map[string]uuid.UUID{}
	for _, s := range seeds {
		tenant := tenantstest.MustCreateTenant(t, svc, s.name)
		send := sending.Send{ID: uuid.New(), TenantID: tenant.ID, PhoneNumberID: "9001", Recipient: "16505550000", State: s.state,
			Message: sending.Message{Type: sending.TypeText, Text: &sending.Text{Body: "hi"}}}
		err := db.InTenantTx(ctx, tenant.ID, func(tx pgx.Tx) error {
			if _, err := sending.Insert(ctx, tx, send); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `UPDATE sends SET updated_at = now() - $2::interval WHERE id = $1`, send.ID, s.age.String())
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if s.queued {
			if err := enqueue(ctx, send); err != nil {
				t.Fatal(err)
			}
		}
		ids[s.name] = send.ID
	}
	w := &SendSweeper{Store: sending.NewStore(db), Inspector: asynq.NewInspectorFromRedisClient(rdb), Enqueue: enqueue}
	tests := []struct {
		name       string
		wantQueued int
	}{
		{name: "first sweep re-queues the lost sends", wantQueued: 2},
		{name: "second sweep finds their tasks", wantQueued: 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n, err := w.Sweep(ctx, time.Now())
			if err != nil || n != tc.wantQueued {
				t.Fatalf("Sweep = %d, %v; want %d", n, err, tc.wantQueued)
			}
		})
	}
	in := asynq.NewInspectorFromRedisClient(rdb)
	pending, err := in.ListPendingTasks(QueueDefault)
	if err != nil {
		t.Fatal(err)
	}
	scheduled, err := in.ListScheduledTasks(QueueDefault)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, task := range append(pending, scheduled...) {
		got = append(got, task.ID)
	}
	want := []string{sendTaskID(ids["lost"].String()), sendTaskID(ids["lost other tenant"].String()), sendTaskID(ids["has its task"].String())}
	slices.Sort(got)
	slices.Sort(want)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("pending send tasks (-want +got):\n%s", diff)
	}
}
