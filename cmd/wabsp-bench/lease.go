package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/wabsp/wabsp/internal/redistest"
)

// The test suites share the Redis server and claim logical databases 1–15
// with a lease key in database 0 (internal/redistest). The bench flushes
// its database, so it takes the same lease first rather than wipe a
// database a test is using.
const (
	leaseTTL  = 10 * time.Minute
	leaseWait = 2 * time.Minute
)

// redisLease holds the lease on one logical database until released.
type redisLease struct {
	ctl    *redis.Client
	key    string
	cancel context.CancelFunc
	done   chan struct{}
}

// leaseRedisDB waits until no one else holds db, then keeps the lease
// alive, since a soak outlasts its TTL.
func leaseRedisDB(ctx context.Context, addr string, db int) (*redisLease, error) {
	l := &redisLease{ctl: redis.NewClient(&redis.Options{Addr: addr, DB: 0}), key: redistest.LeaseKey(db), done: make(chan struct{})}
	deadline := time.Now().Add(leaseWait)
	for {
		ok, err := l.ctl.SetNX(ctx, l.key, fmt.Sprintf("wabsp-bench %d", os.Getpid()), leaseTTL).Result()
		if err != nil {
			l.ctl.Close()
			return nil, fmt.Errorf("redis: lease database %d: %w", db, err)
		}
		if ok {
			break
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			l.ctl.Close()
			return nil, fmt.Errorf("redis database %d is in use (%s); pick another with -redis-db", db, l.key)
		}
		waitFor(ctx, time.Second)
	}
	var rctx context.Context
	rctx, l.cancel = context.WithCancel(context.Background())
	go func() {
		defer close(l.done)
		t := time.NewTicker(leaseTTL / 4)
		defer t.Stop()
		for {
			select {
			case <-rctx.Done():
				return
			case <-t.C:
				l.ctl.Expire(rctx, l.key, leaseTTL)
			}
		}
	}()
	return l, nil
}

func (l *redisLease) release() {
	l.cancel()
	<-l.done
	l.ctl.Del(context.Background(), l.key)
	l.ctl.Close()
}
