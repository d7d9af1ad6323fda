package workers

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"
)

// runState makes sure one subscription has at most one delivery run at a
// time, and that an event arriving while a run is finishing is not left
// waiting for the next sweep. Per subscription, a run key holds "queued"
// (a task is on its way) or the id of the task running, and a dirty key says
// "new work arrived since the run last looked". Both expire, so a worker
// that dies mid-run blocks its subscription for at most the key's TTL,
// after which the sweep starts a new run; a task asynq recovers from a
// dead worker keeps its id and takes the run straight back.
type runState struct {
	rdb redis.UniversalClient
	ttl time.Duration
}

const queuedState = "queued"

func runKeys(id uuid.UUID) []string {
	s := id.String()
	return []string{"wabsp:outbound:run:{" + s + "}", "wabsp:outbound:dirty:{" + s + "}"}
}

// notify: start a run (1) when none is queued or running; otherwise mark a
// running one dirty (0).
var notifyScript = redis.NewScript(`
local v = redis.call("GET", KEYS[1])
if not v then
  redis.call("SET", KEYS[1], "queued", "PX", ARGV[1])
  return 1
end
if v ~= "queued" then
  redis.call("SET", KEYS[2], "1", "PX", ARGV[1])
end
return 0
`)

// begin: take the run when it is free, queued, or already ours (a recovered
// task); else mark it dirty so its holder looks again.
var beginScript = redis.NewScript(`
local v = redis.call("GET", KEYS[1])
if (not v) or v == "queued" or v == ARGV[1] then
  redis.call("SET", KEYS[1], ARGV[1], "PX", ARGV[2])
  redis.call("DEL", KEYS[2])
  return 1
end
redis.call("SET", KEYS[2], "1", "PX", ARGV[2])
return 0
`)

// end: when the run is dirty, keep it and go again (1); else release it (0).
var endScript = redis.NewScript(`
if redis.call("GET", KEYS[1]) ~= ARGV[1] then
  return 0
end
if redis.call("DEL", KEYS[2]) == 1 then
  redis.call("PEXPIRE", KEYS[1], ARGV[2])
  return 1
end
redis.call("DEL", KEYS[1])
return 0
`)

// requeue: hand a held run to a task about to be queued.
var requeueScript = redis.NewScript(`
if redis.call("GET", KEYS[1]) ~= ARGV[1] then
  return 0
end
redis.call("SET", KEYS[1], "queued", "PX", ARGV[2])
return 1
`)

// clear: release the run if it is still in the given state.
var clearScript = redis.NewScript(`
if redis.call("GET", KEYS[1]) == ARGV[1] then
  redis.call("DEL", KEYS[1])
end
return 0
`)

func (r runState) notify(ctx context.Context, id uuid.UUID) (bool, error) {
	n, err := notifyScript.Run(ctx, r.rdb, runKeys(id), r.ttl.Milliseconds()).Int()
	return n == 1, err
}

// notifyMany is notify for many subscriptions in one round trip; it
// returns those whose run must be started.
func (r runState) notifyMany(ctx context.Context, ids []uuid.UUID) ([]uuid.UUID, error) {
	pipe := r.rdb.Pipeline()
	cmds := make([]*redis.Cmd, len(ids))
	for i, id := range ids {
		cmds[i] = notifyScript.Eval(ctx, pipe, runKeys(id), r.ttl.Milliseconds())
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, err
	}
	var start []uuid.UUID
	for i, c := range cmds {
		if n, _ := c.Int(); n == 1 {
			start = append(start, ids[i])
		}
	}
	return start, nil
}

func (r runState) begin(ctx context.Context, id uuid.UUID, holder string) (bool, error) {
	n, err := beginScript.Run(ctx, r.rdb, runKeys(id), holder, r.ttl.Milliseconds()).Int()
	return n == 1, err
}

func (r runState) end(ctx context.Context, id uuid.UUID, holder string) (bool, error) {
	n, err := endScript.Run(ctx, r.rdb, runKeys(id), holder, r.ttl.Milliseconds()).Int()
	return n == 1, err
}

func (r runState) requeue(ctx context.Context, id uuid.UUID, holder string) (bool, error) {
	n, err := requeueScript.Run(ctx, r.rdb, runKeys(id), holder, r.ttl.Milliseconds()).Int()
	return n == 1, err
}

func (r runState) clear(ctx context.Context, id uuid.UUID, state string) error {
	return clearScript.Run(ctx, r.rdb, runKeys(id), state).Err()
}
