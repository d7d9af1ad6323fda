package workers

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// fenceKey shares the hash tag of asynq's critical queue, where intake
// tasks go, so in a cluster it sits on the same master as they do.
const fenceKey = "wabsp:intake:fence:{" + QueueCritical + "}"

// ReplicaFence returns a check for IntakeOptions.Durable that returns once
// replicas replicas hold every write the master took before it. Redis
// replicates asynchronously, so without it a master that dies right after
// answering could take acknowledged webhook bodies with it when a replica
// is promoted. WAIT counts only the writes of its own connection, so the
// fence writes a key and waits on that connection: replication keeps
// order, so the earlier intake writes are on the replicas too.
func ReplicaFence(rdb redis.UniversalClient, replicas int) func(context.Context) error {
	return func(ctx context.Context) error {
		var pipe redis.Pipeliner
		if cc, ok := rdb.(*redis.ClusterClient); ok {
			master, err := cc.MasterForKey(ctx, fenceKey)
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
		pipe.Incr(ctx, fenceKey)
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
