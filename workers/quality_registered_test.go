package workers

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/hibiken/asynq"

	"github.com/wabsp/wabsp/internal/redistest"
)

// Asking for a numbers poll queues one poll of the WABA to run now, apart
// from the scheduler's; asking again while it waits adds nothing.
func TestPollNumbersQueuesOnePollNow(t *testing.T) {
	_, rdb := redistest.New(t)
	client := asynq.NewClientFromRedisClient(rdb)
	tenant, waba, other := uuid.New(), uuid.New(), uuid.New()
	ctx := context.Background()
	// The scheduler's poll of the same WABA, waiting for its jitter.
	scheduled, err := NewQualityReconcileTask(QualityReconcilePayload{TenantID: tenant, WABARef: waba, What: ReconcileNumbers})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.EnqueueContext(ctx, scheduled, asynq.ProcessIn(5*time.Minute)); err != nil {
		t.Fatal(err)
	}
	polls := QualityPolls{Client: client}
	for _, ref := range []uuid.UUID{waba, waba, other} {
		if err := polls.PollNumbers(ctx, tenant, ref); err != nil {
			t.Fatal(err)
		}
	}
	pending, err := asynq.NewInspectorFromRedisClient(rdb).ListPendingTasks(QueueLow)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]QualityReconcilePayload{}
	for _, task := range pending {
		var p QualityReconcilePayload
		if err := json.Unmarshal(task.Payload, &p); err != nil {
			t.Fatal(err)
		}
		got[task.ID] = p
	}
	want := map[string]QualityReconcilePayload{
		pollNowTaskID(waba):  {TenantID: tenant, WABARef: waba, What: ReconcileNumbers},
		pollNowTaskID(other): {TenantID: tenant, WABARef: other, What: ReconcileNumbers},
	}
	if len(got) != len(want) {
		t.Fatalf("pending polls = %+v, want %+v", got, want)
	}
	for id, p := range want {
		if got[id] != p {
			t.Errorf("poll %s = %+v, want %+v", id, got[id], p)
		}
	}
}
