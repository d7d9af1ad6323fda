package workers

import (
	"context"
	"fmt"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
)

// TypeReclaimApplyGroups puts tasks that were taken out of their group to be
// merged, but never merged, back into the group: a tenant's apply tasks and,
// since intake tasks are merged too, the intake groups' tasks.
const TypeReclaimApplyGroups = "maintenance:reclaim_apply_groups"

// reclaimAfter is how long a merge may hold tasks before they are taken
// back. A merge takes milliseconds; one still holding its tasks after this
// lost its Redis master or its process. Reclaiming a merge that was only
// slow runs its changes twice, which applying absorbs.
const reclaimAfter = 30 * time.Second

// asynq keeps the tasks a merge holds in an aggregation set whose deadline
// is its creation plus two minutes, and after that deadline puts them back
// into the group, but without listing the group among the queue's groups
// again: the group's last tasks were the ones taken, so the merge had
// unlisted it. No merge looks at an unlisted group until the tenant's next
// apply task joins it, so after a failover a tenant's last changes could
// wait indefinitely. This script does asynq's reclaim earlier and lists the
// group again. The key layout is asynq's (v0.26): every key shares the
// queue's hash tag, so in a cluster they are on one master.
var reclaimGroupsScript = redis.NewScript(`
local sets = redis.call("ZRANGEBYSCORE", KEYS[1], "-inf", ARGV[1])
for _, key in ipairs(sets) do
	local groupKey = string.sub(key, 1, string.find(key, ":[^:]*$") - 1)
	local held = redis.call("ZRANGE", key, 0, -1, "WITHSCORES")
	for i = 1, #held - 1, 2 do
		redis.call("ZADD", groupKey, tonumber(held[i + 1]), held[i])
	end
	if #held > 0 then
		redis.call("SADD", KEYS[2], string.sub(groupKey, #ARGV[2] + 1))
	end
	redis.call("DEL", key)
	redis.call("ZREM", KEYS[1], key)
end
return #sets`)

// asynqAggregationDeadline is asynq's time from a merge's start to its
// deadline, which is what the aggregation sets are scored by.
const asynqAggregationDeadline = 2 * time.Minute

// NewReclaimApplyGroupsTask asks a worker to take back apply tasks held by
// merges that did not finish.
func NewReclaimApplyGroupsTask() *asynq.Task {
	return asynq.NewTask(TypeReclaimApplyGroups, nil, asynq.Queue(QueueDefault), asynq.MaxRetry(3), asynq.Timeout(30*time.Second))
}

// reclaimGroups returns how many unfinished merges it took back from,
// of those started before now minus reclaimAfter, in the apply groups and in
// the intake groups, whose merges a failover interrupts the same way.
func reclaimGroups(ctx context.Context, rdb redis.UniversalClient, now time.Time) (int, error) {
	cutoff := now.Add(asynqAggregationDeadline - reclaimAfter).Unix()
	total := 0
	// One queue at a time: in a cluster each queue's keys are on their own
	// master, and a script may touch only one.
	for _, q := range []string{QueueDefault, QueueCritical} {
		prefix := "asynq:{" + q + "}:"
		n, err := reclaimGroupsScript.Run(ctx, rdb,
			[]string{prefix + "aggregation_sets", prefix + "groups"}, cutoff, prefix+"g:").Int()
		if err != nil {
			return total, fmt.Errorf("reclaim groups of queue %s: %w", q, err)
		}
		total += n
	}
	return total, nil
}

func (h *handlers) handleReclaimApplyGroups(ctx context.Context, _ *asynq.Task) error {
	n, err := reclaimGroups(ctx, h.Redis, time.Now())
	if n > 0 {
		h.Log.Warn("unfinished merges of tasks put back into their groups", "count", n)
	}
	return err
}
