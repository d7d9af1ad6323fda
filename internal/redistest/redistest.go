// Package redistest gives each test a Redis logical database of its own. Test
// binaries of several packages run in parallel against one server, so a test
// claims a free database index (1..15) with a lease key in database 0, flushes
// it, and releases it in t.Cleanup. WABSP_TEST_REDIS_ADDR overrides the server.
//
// For code that must also work on other deployments, NewCluster and
// NewSentinel start a Redis Cluster or a Sentinel set of the test's own
// from redis-server processes on loopback ports, and Each runs a test body
// against a logical database and a cluster.
package redistest

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Addr is the Redis server tests use.
func Addr() string {
	if a := os.Getenv("WABSP_TEST_REDIS_ADDR"); a != "" {
		return a
	}
	return "127.0.0.1:6379"
}

const leaseTTL = 10 * time.Minute

// LeaseKey is the key in database 0 whose holder owns logical database db.
// Anything else that flushes a database on the shared server (the load
// benchmark) takes the same key first.
func LeaseKey(db int) string { return fmt.Sprintf("wabsp:test:redis-db:%d", db) }

// New claims a free logical database, flushes it and returns its index with a
// client connected to it. It waits up to a minute for a database to free up.
func New(tb testing.TB) (int, *redis.Client) {
	tb.Helper()
	ctx := context.Background()
	ctl := redis.NewClient(&redis.Options{Addr: Addr(), DB: 0})
	defer ctl.Close()
	deadline := time.Now().Add(time.Minute)
	for {
		for db := 1; db <= 15; db++ {
			key := LeaseKey(db)
			ok, err := ctl.SetNX(ctx, key, os.Getpid(), leaseTTL).Result()
			if err != nil {
				tb.Fatalf("redistest: %s: %v", Addr(), err)
			}
			if !ok {
				continue
			}
			c := redis.NewClient(&redis.Options{Addr: Addr(), DB: db})
			if err := c.FlushDB(ctx).Err(); err != nil {
				tb.Fatalf("redistest: flush db %d: %v", db, err)
			}
			tb.Cleanup(func() {
				c.FlushDB(context.Background())
				c.Close()
				r := redis.NewClient(&redis.Options{Addr: Addr(), DB: 0})
				r.Del(context.Background(), key)
				r.Close()
			})
			return db, c
		}
		if time.Now().After(deadline) {
			tb.Fatal("redistest: no free Redis database within a minute")
		}
		time.Sleep(100 * time.Millisecond)
	}
}
