package workers

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"
)

// errTenantBusy means the tenant already has its share of workers busy. It is
// not a failure: the task comes back shortly without using up a retry.
var errTenantBusy = errors.New("tenant has all its worker slots busy")

// tenantSlots caps how many apply tasks of one tenant run at once across every
// worker process, so one tenant's flood cannot occupy all workers while other
// tenants wait. A slot is a member of a sorted set scored by the holder's
// deadline, so the slot of a worker killed mid-task frees itself when the
// task's deadline passes.
type tenantSlots struct {
	rdb redis.UniversalClient
	max int
}

var acquireSlot = redis.NewScript(`
redis.call("ZREMRANGEBYSCORE", KEYS[1], "-inf", ARGV[2])
if redis.call("ZCARD", KEYS[1]) < tonumber(ARGV[1]) then
  redis.call("ZADD", KEYS[1], ARGV[3], ARGV[4])
  redis.call("PEXPIRE", KEYS[1], ARGV[5])
  return 1
end
return 0
`)

func slotKey(tenantID uuid.UUID) string { return "wabsp:slots:" + tenantID.String() }

// acquire takes a slot for holder until deadline; false when all are taken.
func (s tenantSlots) acquire(ctx context.Context, tenantID uuid.UUID, holder string, deadline time.Time) (bool, error) {
	now := time.Now()
	ttl := deadline.Sub(now) + time.Minute
	n, err := acquireSlot.Run(ctx, s.rdb, []string{slotKey(tenantID)},
		s.max, now.UnixMilli(), deadline.UnixMilli(), holder, ttl.Milliseconds()).Int()
	return n == 1, err
}

func (s tenantSlots) release(ctx context.Context, tenantID uuid.UUID, holder string) error {
	return s.rdb.ZRem(ctx, slotKey(tenantID), holder).Err()
}
