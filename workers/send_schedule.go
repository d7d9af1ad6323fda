package workers

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/wabsp/wabsp/sending"
)

// sendSchedule gives each send a due time on its number's own clock when it
// is queued, so that sends of one number wait in asynq's scheduled set,
// spread at the pace the pacer allows the number, instead of piling up in
// the pending list.
//
// This is how one tenant's backlog cannot hold up another's send. asynq
// takes pending tasks of a queue in order, so 50,000 sends queued at once by
// tenant A would all be due now and ahead of tenant B's single send, which
// would wait until workers had taken (and, paced, put back) every one of
// them. With a due time per number, only about a second of A's sends is
// pending at any moment; B's send is due at once on B's number's clock and
// is taken with the next free worker. B is delayed by its own pacing only.
//
// A queue per tenant is not used: asynq polls every queue of a server, and
// hundreds of queues would cost Redis round trips on every idle worker and
// make queue weights meaningless. Per-tenant in-flight caps (as for apply
// tasks) would still let A's pending tasks stand in front of B's. The clock
// costs one Redis call per send and keeps one key per busy number.
//
// The due time is a plan, not the limit: the Redis pacer still decides at
// delivery, so a clock lost in Redis, or sends refused before they were
// due, never lets a number past Meta's limit.
type sendSchedule struct {
	rdb    redis.UniversalClient
	prefix string
}

// reserveSlot answers the due time (Unix microseconds) of the next send on
// a number's clock and moves the clock one interval on: KEYS[1] the clock,
// ARGV now and the interval, both in microseconds.
var reserveSlot = redis.NewScript(`
local now, step = tonumber(ARGV[1]), tonumber(ARGV[2])
local at = math.max(now, tonumber(redis.call('GET', KEYS[1]) or '0'))
redis.call('SET', KEYS[1], at + step, 'PX', math.floor((at + step - now) / 1000) + 60000)
return at
`)

// due reserves the next slot of s's number, whose limit is perSecond (0:
// Meta's default), and answers when the send is due.
func (c sendSchedule) due(ctx context.Context, s sending.Send, perSecond int, now time.Time) (time.Time, error) {
	// Due at the rate the pacer sustains, so that sends due on time are
	// not put back by it.
	step := time.Second.Microseconds() / int64(sending.PacedRate(perSecond))
	at, err := reserveSlot.Run(ctx, c.rdb, []string{c.prefix + "sendclock:" + s.PhoneNumberID}, now.UnixMicro(), step).Int64()
	if err != nil {
		return time.Time{}, fmt.Errorf("workers: schedule send %s: %w", s.ID, err)
	}
	return time.UnixMicro(at), nil
}
