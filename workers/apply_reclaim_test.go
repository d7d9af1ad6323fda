package workers

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/hibiken/asynq"

	"github.com/wabsp/wabsp/internal/redistest"
	"github.com/wabsp/wabsp/webhooks"
)

// TestReclaimListsTheGroupOfAnUnfinishedMerge stops an asynq merge after
// it took a group's tasks out of their group, as a master dying mid-merge
// does, and checks that the reclaim puts them back into a group that a merge
// takes up again: a tenant's apply tasks, and intake tasks.
func TestReclaimListsTheGroupOfAnUnfinishedMerge(t *testing.T) {
	tenant := uuid.New()
	kinds := []struct {
		name  string
		queue string
		tasks []*asynq.Task
	}{
		{"apply group", QueueDefault, []*asynq.Task{
			NewMetaApplyTask(ApplyPayload{TenantID: tenant, Changes: []webhooks.Change{{ArchiveID: 1, Field: "messages"}}}),
			NewMetaApplyTask(ApplyPayload{TenantID: tenant, Changes: []webhooks.Change{{ArchiveID: 2, Field: "messages"}}}),
		}},
		{"intake group", QueueCritical, []*asynq.Task{
			newIntakeTask(encodeBodies([]webhooks.Body{{Raw: []byte(`{"n":1}`), ReceivedAt: time.Now()}}), intakeGroup(3)),
			newIntakeTask(encodeBodies([]webhooks.Body{{Raw: []byte(`{"n":2}`), ReceivedAt: time.Now()}}), intakeGroup(3)),
		}},
	}
	for _, k := range kinds {
		t.Run(k.name, func(t *testing.T) { checkReclaim(t, k.queue, k.tasks) })
	}
}

func checkReclaim(t *testing.T, queue string, tasks []*asynq.Task) {
	_, rdb := redistest.New(t)
	ctx := context.Background()
	// The first merge never finishes (until the test ends); later ones do.
	merges, release := make(chan int, 8), make(chan struct{})
	var first sync.Once
	srv := asynq.NewServerFromRedisClient(rdb, asynq.Config{
		Queues: map[string]int{queue: 1}, GroupGracePeriod: time.Second, GroupMaxSize: 2,
		GroupAggregator: asynq.GroupAggregatorFunc(func(g string, tasks []*asynq.Task) *asynq.Task {
			merges <- len(tasks)
			first.Do(func() { <-release })
			return mergeTasks(g, tasks)
		}),
		Logger: asynqLogger{slog.New(slog.NewTextHandler(io.Discard, nil))},
	})
	mux := asynq.NewServeMux()
	mux.HandleFunc(tasks[0].Type(), func(context.Context, *asynq.Task) error { return nil })
	if err := srv.Start(mux); err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown()
	defer close(release)

	client := asynq.NewClientFromRedisClient(rdb)
	for _, task := range tasks {
		if err := enqueueOnce(ctx, client, task); err != nil {
			t.Fatal(err)
		}
	}
	if n := nextMerge(t, merges); n != len(tasks) {
		t.Fatalf("first merge took %d tasks, want %d", n, len(tasks))
	}

	tests := []struct {
		name      string
		at        time.Time
		reclaimed int
	}{
		{"a merge started just now is left alone", time.Now(), 0},
		{"a merge past reclaimAfter is taken back", time.Now().Add(reclaimAfter + time.Second), 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n, err := reclaimGroups(ctx, rdb, tc.at)
			if err != nil {
				t.Fatal(err)
			}
			if n != tc.reclaimed {
				t.Fatalf("reclaimed %d merges, want %d", n, tc.reclaimed)
			}
		})
	}
	if n := nextMerge(t, merges); n != len(tasks) {
		t.Fatalf("merge after the reclaim took %d tasks, want the %d taken back", n, len(tasks))
	}
}

func nextMerge(t *testing.T, merges <-chan int) int {
	t.Helper()
	select {
	case n := <-merges:
		return n
	case <-time.After(30 * time.Second):
		t.Fatal("no merge took the group")
		return 0
	}
}
