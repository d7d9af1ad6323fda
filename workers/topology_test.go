package workers

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/wabsp/wabsp/internal/redistest"
	"github.com/wabsp/wabsp/webhooks"
)

// The tests here run every Redis use of the workers against a single node
// and a Redis Cluster: a script or pipeline whose keys fall into different
// slots fails only on the cluster.

func TestIntakeQueueEnqueuesAndProcessesOnEveryTopology(t *testing.T) {
	redistest.Each(t, func(t *testing.T, rdb redis.UniversalClient) {
		q := NewIntakeQueue(asynq.NewClientFromRedisClient(rdb), nil, IntakeOptions{MaxWait: time.Second})
		const n = 120
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := q.Enqueue(context.Background(), webhooks.Body{Raw: fmt.Appendf(nil, `{"n":%d}`, i), AppID: "app"}); err != nil {
					t.Errorf("enqueue %d: %v", i, err)
				}
			}()
		}
		wg.Wait()
		q.Close()

		var mu sync.Mutex
		seen := map[string]int{}
		done := make(chan struct{})
		mux := asynq.NewServeMux()
		mux.HandleFunc(TypeMetaIntake, func(_ context.Context, task *asynq.Task) error {
			bodies, err := decodeBodies(task.Payload())
			if err != nil {
				return err
			}
			mu.Lock()
			defer mu.Unlock()
			for _, b := range bodies {
				seen[string(b.Raw)]++
			}
			if len(seen) == n {
				close(done)
			}
			return nil
		})
		srv := NewServer(rdb, slog.New(slog.NewTextHandler(io.Discard, nil)), ServerOptions{Concurrency: 4, ShutdownTimeout: time.Second})
		if err := srv.Start(mux); err != nil {
			t.Fatal(err)
		}
		defer srv.Shutdown()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			t.Fatalf("processed %d of %d bodies", len(seen), n)
		}
		mu.Lock()
		defer mu.Unlock()
		for body, c := range seen {
			if c != 1 {
				t.Errorf("body %s processed %d times", body, c)
			}
		}
	})
}

func TestTenantSlotsOnEveryTopology(t *testing.T) {
	redistest.Each(t, func(t *testing.T, rdb redis.UniversalClient) {
		ctx := context.Background()
		s := tenantSlots{rdb: rdb, max: 1}
		tenant := uuid.New()
		soon := time.Now().Add(time.Minute)
		if ok, err := s.acquire(ctx, tenant, "a", soon); !ok || err != nil {
			t.Fatalf("first acquire: %v %v", ok, err)
		}
		if ok, err := s.acquire(ctx, tenant, "b", soon); ok || err != nil {
			t.Fatalf("second acquire: %v %v, want refused", ok, err)
		}
		if err := s.release(ctx, tenant, "a"); err != nil {
			t.Fatal(err)
		}
		if ok, err := s.acquire(ctx, tenant, "b", soon); !ok || err != nil {
			t.Fatalf("acquire after release: %v %v", ok, err)
		}
	})
}

func TestRunStateOnEveryTopology(t *testing.T) {
	redistest.Each(t, func(t *testing.T, rdb redis.UniversalClient) {
		ctx := context.Background()
		r := runState{rdb: rdb, ttl: time.Minute}
		ids := []uuid.UUID{uuid.New(), uuid.New(), uuid.New(), uuid.New()}
		start, err := r.notifyMany(ctx, ids)
		if err != nil || len(start) != len(ids) {
			t.Fatalf("notifyMany: %d to start, %v", len(start), err)
		}
		steps := []struct {
			name string
			do   func() (bool, error)
			want bool
		}{
			{"the queued run is taken", func() (bool, error) { return r.begin(ctx, ids[0], "task-1") }, true},
			{"a second task is refused", func() (bool, error) { return r.begin(ctx, ids[0], "task-2") }, false},
			{"the refusal left the run dirty", func() (bool, error) { return r.end(ctx, ids[0], "task-1") }, true},
			{"a clean run is released", func() (bool, error) { return r.end(ctx, ids[0], "task-1") }, false},
			{"a released run starts again", func() (bool, error) { return r.notify(ctx, ids[0]) }, true},
		}
		for _, st := range steps {
			got, err := st.do()
			if err != nil || got != st.want {
				t.Fatalf("%s: got %v, %v; want %v", st.name, got, err, st.want)
			}
		}
	})
}

func TestReplicaFence(t *testing.T) {
	set := redistest.NewSentinel(t, 1)
	_, single := redistest.New(t)
	tests := []struct {
		name     string
		rdb      redis.UniversalClient
		replicas int
		wantErr  bool
	}{
		{"sentinel master with its replica", set.Client(t, 0), 1, false},
		{"more replicas than there are", set.Client(t, 0), 2, true},
		{"a node without replicas", single, 1, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 400*time.Millisecond)
			defer cancel()
			err := ReplicaFence(tc.rdb, tc.replicas)(ctx)
			if (err != nil) != tc.wantErr {
				t.Fatalf("got %v, want error %v", err, tc.wantErr)
			}
		})
	}
}

func TestIntakeQueueAnswersUnavailableWhenNotDurable(t *testing.T) {
	_, rdb := redistest.New(t)
	tests := []struct {
		name    string
		durable func(context.Context) error
		wantErr bool
	}{
		{"replicas confirm", func(context.Context) error { return nil }, false},
		{"replicas do not confirm", ReplicaFence(rdb, 1), true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			q := NewIntakeQueue(asynq.NewClientFromRedisClient(rdb), nil, IntakeOptions{MaxWait: 400 * time.Millisecond, Durable: tc.durable})
			defer q.Close()
			err := q.Enqueue(context.Background(), webhooks.Body{Raw: []byte(`{"n":1}`), AppID: "app"})
			if (err != nil) != tc.wantErr {
				t.Fatalf("got %v, want error %v", err, tc.wantErr)
			}
		})
	}
}
