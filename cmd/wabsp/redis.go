package main

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/wabsp/wabsp/internal/config"
	"github.com/wabsp/wabsp/internal/redisconf"
)

// redisTuning is the same for a single node, Sentinel and Cluster. Short
// timeouts: the intake must tell Meta 503 within a second when Redis is
// gone, not wait on a dead socket. Its writes carry their own deadline,
// which the client must honour.
var redisTuning = redisconf.Tuning{
	DialTimeout: 500 * time.Millisecond, ReadTimeout: time.Second, WriteTimeout: time.Second,
	ContextTimeout: true, PoolSize: 64,
}

// openRedis connects to the configured deployment and checks it answers.
func openRedis(ctx context.Context, cfg config.Config) (redis.UniversalClient, error) {
	settings, err := cfg.Redis()
	if err != nil {
		return nil, err
	}
	rdb, err := settings.Client(redisTuning)
	if err != nil {
		return nil, err
	}
	if err := rdb.Ping(ctx).Err(); err != nil {
		rdb.Close()
		return nil, fmt.Errorf("redis %s: %w", settings, err)
	}
	return rdb, nil
}
