package workers

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// The fence keys share the hash tag of the queue whose tasks they vouch
// for, so in a cluster each sits on the same master as those tasks.
const (
	fenceKey      = "wabsp:intake:fence:{" + QueueCritical + "}"
	applyFenceKey = "wabsp:apply:fence:{" + QueueDefault + "}"
)

// applyFenceWait bounds how long a worker waits for replicas to confirm
// its apply tasks. When they do not, the intake task fails and is retried
// rather than holding its worker while the replicas resynchronise.
const applyFenceWait = 2 * time.Second

// ReplicaFence returns a check for IntakeOptions.Durable that returns once
// replicas replicas hold every write the master took before it. Redis
// replicates asynchronously, so without it a master that dies right after
// answering could take acknowledged webhook bodies with it when a replica
// is promoted.
func ReplicaFence(rdb redis.UniversalClient, replicas int) func(context.Context) error {
	return queueFence(rdb, replicas, fenceKey)
}

// ApplyFence returns the same check for Deps.Fence, over the queue of the
// apply tasks. The worker marks bodies routed in PostgreSQL once their
// apply tasks are queued, and from then on drops redeliveries and retries
// of them: an apply task that only the old master held when it died would
// take those changes with it.
func ApplyFence(rdb redis.UniversalClient, replicas int) func(context.Context) error {
	fence := queueFence(rdb, replicas, applyFenceKey)
	return func(ctx context.Context) error {
		ctx, cancel := context.WithTimeout(ctx, applyFenceWait)
		defer cancel()
		return fence(ctx)
	}
}

// queueFence waits on the master holding key. WAIT counts only the writes
// of its own connection, so the fence writes key and waits on that
// connection: replication keeps order, so the earlier writes of every
// connection are on the replicas too.
func queueFence(rdb redis.UniversalClient, replicas int, key string) func(context.Context) error {
	return func(ctx context.Context) error {
		var pipe redis.Pipeliner
		if cc, ok := rdb.(*redis.ClusterClient); ok {
			master, err := cc.MasterForKey(ctx, key)
			if err != nil {
				return err
			}
			pipe = master.Pipeline()
		} else {
			pipe = rdb.Pipeline()
		}
		wait := 100 * time.Millisecond
		if dl, ok := ctx.Deadline(); ok {
			wait = max(time.Until(dl)-50*time.Millisecond, 10*time.Millisecond)
		}
		pipe.Incr(ctx, key)
		acked := pipe.Do(ctx, "WAIT", replicas, wait.Milliseconds())
		if _, err := pipe.Exec(ctx); err != nil {
			return err
		}
		if n, _ := acked.Int64(); n < int64(replicas) {
			return fmt.Errorf("%d of %d replicas confirmed the write", n, replicas)
		}
		return nil
	}
}
