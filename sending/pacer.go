package sending

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// Pacer spaces sends out to Meta's limits, across every worker process: a
// token bucket per number and one per business–user pair (PairBurst, refilled one per PairPause).
// Buckets live in Redis only while they refill; losing them lets at most one
// burst through, which Meta's own limits then answer.
type Pacer struct {
	rdb    redis.UniversalClient
	prefix string
}

// PairBurst is how many messages one user may get in a burst before Meta's
// pair rate limit applies.
const PairBurst = 45

// NewPacer returns a Pacer keeping its buckets under prefix.
func NewPacer(rdb redis.UniversalClient, prefix string) *Pacer {
	return &Pacer{rdb: rdb, prefix: prefix}
}

// take spends one token from each bucket, or none: KEYS are the buckets,
// ARGV rate per second and capacity of each in turn, then now in
// microseconds. It answers 0 when spent, else the microseconds until the
// emptiest bucket has a token.
var take = redis.NewScript(`
local now = tonumber(ARGV[#ARGV])
local state, wait = {}, 0
for i, key in ipairs(KEYS) do
  local rate, cap = tonumber(ARGV[2*i-1]), tonumber(ARGV[2*i])
  local v = redis.call('HMGET', key, 't', 'at')
  local tokens, at = tonumber(v[1]) or cap, tonumber(v[2]) or now
  tokens = math.min(cap, tokens + (now - at) * rate / 1e6)
  state[i] = tokens
  if tokens < 1 then wait = math.max(wait, math.ceil((1 - tokens) * 1e6 / rate)) end
end
if wait > 0 then return wait end
for i, key in ipairs(KEYS) do
  local rate, cap = tonumber(ARGV[2*i-1]), tonumber(ARGV[2*i])
  redis.call('HSET', key, 't', state[i] - 1, 'at', now)
  redis.call('PEXPIRE', key, math.ceil(cap / rate * 1000) + 1000)
end
return 0
`)

// Take admits one send from phoneNumberID to recipient at perSecond, or
// says how long to wait before asking again; nothing is spent when it
// waits.
func (p *Pacer) Take(ctx context.Context, phoneNumberID, recipient string, perSecond int) (time.Duration, error) {
	if perSecond <= 0 {
		perSecond = DefaultThroughput
	}
	keys := bucketKeys(p.prefix, phoneNumberID, recipient)
	// Meta counts a number's sends over any one second, and a bucket lets
	// through its capacity plus a second's refill there: the capacity (a
	// tenth of the limit) comes out of the refill rate so that the two
	// never pass the limit together.
	burst := max(1, perSecond/10)
	rate := PacedRate(perSecond)
	now := time.Now().UnixMicro()
	pairRate := 1 / PairPause.Seconds()
	wait, err := take.Run(ctx, p.rdb, keys, rate, burst, pairRate, PairBurst, now).Int64()
	if err != nil {
		return 0, fmt.Errorf("sending: pace %s: %w", phoneNumberID, err)
	}
	return time.Duration(wait) * time.Microsecond, nil
}

// PacedRate is the sends a second the pacer sustains for a number at
// perSecond: the limit less the bucket's capacity (see Take).
func PacedRate(perSecond int) int {
	if perSecond <= 0 {
		perSecond = DefaultThroughput
	}
	return max(1, perSecond-max(1, perSecond/10))
}

// bucketKeys are the number's bucket and the pair's. take reads and writes
// both in one script, so in a Redis Cluster they must share a slot: the
// phone number id is their hash tag.
func bucketKeys(prefix, phoneNumberID, recipient string) []string {
	tag := "{" + phoneNumberID + "}"
	return []string{prefix + "num:" + tag, prefix + "pair:" + tag + ":" + recipient}
}
