package workers

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/hibiken/asynq"

	"github.com/wabsp/wabsp/internal/redistest"
	"github.com/wabsp/wabsp/sending"
)

// TestSendQueueIsFairBetweenTenants queues a 50,000-send backlog for tenant
// A, then one send for tenant B, and checks what a worker would take next:
// B's send is pending, with no more of A's sends ahead of it than A's number
// may send in one second; the rest of A's backlog is spread at its
// number's throughput.
func TestSendQueueIsFairBetweenTenants(t *testing.T) {
	const backlog = 50_000
	_, rdb := redistest.New(t)
	client := asynq.NewClientFromRedisClient(rdb)
	q := SendEnqueuer{Client: client, Redis: rdb}
	ctx := context.Background()
	a, b := uuid.New(), uuid.New()
	start := time.Now()
	for range backlog {
		if err := q.Enqueue(ctx, sending.Send{ID: uuid.New(), TenantID: a, PhoneNumberID: "9001", Throughput: sending.DefaultThroughput}); err != nil {
			t.Fatal(err)
		}
	}
	bSend := uuid.New()
	if err := q.Enqueue(ctx, sending.Send{ID: bSend, TenantID: b, PhoneNumberID: "9002", Throughput: sending.DefaultThroughput}); err != nil {
		t.Fatal(err)
	}
	in := asynq.NewInspectorFromRedisClient(rdb)
	pending, err := in.ListPendingTasks(QueueDefault, asynq.PageSize(backlog))
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]string, len(pending))
	for i, task := range pending {
		ids[i] = task.ID
	}
	pos := slices.Index(ids, "send:"+bSend.String())
	// A's sends that were due by the time B's was queued, which is all
	// A's number could send while the backlog was being queued.
	aheadMax := int(time.Since(start).Seconds()*float64(sending.PacedRate(sending.DefaultThroughput))) + 1
	if pos < 0 || pos > aheadMax {
		t.Fatalf("B's send is at %d of %d pending tasks; want it pending behind at most %d of A's", pos, len(pending), aheadMax)
	}
	info, err := in.GetQueueInfo(QueueDefault)
	if err != nil {
		t.Fatal(err)
	}
	if info.Scheduled+info.Pending != backlog+1 {
		t.Errorf("%d scheduled + %d pending; want %d sends queued once each", info.Scheduled, info.Pending, backlog+1)
	}
	scheduled, err := in.ListScheduledTasks(QueueDefault, asynq.PageSize(1))
	if err != nil {
		t.Fatal(err)
	}
	// The clock moved one interval per send: the last of A's backlog is
	// due about backlog/72 seconds (the pacer's rate) after the first.
	last, err := in.ListScheduledTasks(QueueDefault, asynq.PageSize(1), asynq.Page(info.Scheduled))
	if err != nil || len(scheduled) != 1 || len(last) != 1 {
		t.Fatalf("scheduled tasks: %v (%d, %d)", err, len(scheduled), len(last))
	}
	spread := last[0].NextProcessAt.Sub(start)
	want := time.Duration(backlog) * time.Second / time.Duration(sending.PacedRate(sending.DefaultThroughput))
	// asynq keeps due times in whole seconds, so the last one may read up
	// to a second early on top of the interval the first send did not wait.
	if spread < want-2*time.Second || spread > want+time.Minute {
		t.Errorf("A's backlog is spread over %s; want about %s", spread, want)
	}
}
