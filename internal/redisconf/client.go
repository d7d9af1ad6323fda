package redisconf

import (
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
)

// Tuning is how a process uses its connections, the same whatever the
// deployment.
type Tuning struct {
	DialTimeout  time.Duration
	ReadTimeout  time.Duration
	WriteTimeout time.Duration
	// ContextTimeout makes commands honour their context's deadline, which
	// the webhook intake needs to answer 503 in time when Redis hangs.
	ContextTimeout bool
	// PoolSize is per node.
	PoolSize int
}

// Client connects to the deployment: a *redis.Client, a failover client
// that follows the master Sentinel names, or a *redis.ClusterClient.
func (s Settings) Client(t Tuning) (redis.UniversalClient, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	tc, err := s.tlsConfig()
	if err != nil {
		return nil, err
	}
	switch s.Mode {
	case Sentinel:
		return redis.NewFailoverClient(&redis.FailoverOptions{
			MasterName: s.MasterName, SentinelAddrs: s.Addrs,
			SentinelUsername: s.SentinelUsername, SentinelPassword: s.SentinelPassword,
			Username: s.Username, Password: s.Password, DB: s.DB, TLSConfig: tc,
			DialTimeout: t.DialTimeout, ReadTimeout: t.ReadTimeout, WriteTimeout: t.WriteTimeout,
			ContextTimeoutEnabled: t.ContextTimeout, PoolSize: t.PoolSize,
		}), nil
	case Cluster:
		return redis.NewClusterClient(&redis.ClusterOptions{
			Addrs: s.Addrs, Username: s.Username, Password: s.Password, TLSConfig: tc,
			DialTimeout: t.DialTimeout, ReadTimeout: t.ReadTimeout, WriteTimeout: t.WriteTimeout,
			ContextTimeoutEnabled: t.ContextTimeout, PoolSize: t.PoolSize,
		}), nil
	default:
		return redis.NewClient(&redis.Options{
			Addr: s.Addrs[0], Username: s.Username, Password: s.Password, DB: s.DB, TLSConfig: tc,
			DialTimeout: t.DialTimeout, ReadTimeout: t.ReadTimeout, WriteTimeout: t.WriteTimeout,
			ContextTimeoutEnabled: t.ContextTimeout, PoolSize: t.PoolSize,
		}), nil
	}
}

// AsynqOpt is the asynq connection option for the deployment, for the
// parts of asynq that open their own connection (the scheduler).
func (s Settings) AsynqOpt(t Tuning) (asynq.RedisConnOpt, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	tc, err := s.tlsConfig()
	if err != nil {
		return nil, err
	}
	switch s.Mode {
	case Sentinel:
		return asynq.RedisFailoverClientOpt{
			MasterName: s.MasterName, SentinelAddrs: s.Addrs,
			SentinelUsername: s.SentinelUsername, SentinelPassword: s.SentinelPassword,
			Username: s.Username, Password: s.Password, DB: s.DB, TLSConfig: tc,
			DialTimeout: t.DialTimeout, ReadTimeout: t.ReadTimeout, WriteTimeout: t.WriteTimeout, PoolSize: t.PoolSize,
		}, nil
	case Cluster:
		return asynq.RedisClusterClientOpt{
			Addrs: s.Addrs, Username: s.Username, Password: s.Password, TLSConfig: tc,
			DialTimeout: t.DialTimeout, ReadTimeout: t.ReadTimeout, WriteTimeout: t.WriteTimeout,
		}, nil
	default:
		return asynq.RedisClientOpt{
			Addr: s.Addrs[0], Username: s.Username, Password: s.Password, DB: s.DB, TLSConfig: tc,
			DialTimeout: t.DialTimeout, ReadTimeout: t.ReadTimeout, WriteTimeout: t.WriteTimeout, PoolSize: t.PoolSize,
		}, nil
	}
}
