package config

import "github.com/wabsp/wabsp/internal/redisconf"

// Redis is the Redis deployment the WABSP_REDIS_* variables describe.
func (c Config) Redis() (redisconf.Settings, error) {
	return redisconf.Resolve(redisconf.Vars{
		URL: c.RedisURL, Addr: c.RedisAddr, DB: c.RedisDB,
		Username: c.RedisUsername, Password: c.RedisPassword,
		SentinelAddrs: c.RedisSentinelAddrs, MasterName: c.RedisMasterName,
		SentinelUsername: c.RedisSentinelUsername, SentinelPassword: c.RedisSentinelPassword,
		ClusterAddrs: c.RedisClusterAddrs,
		TLS:          c.RedisTLS, TLSCAFile: c.RedisTLSCAFile, TLSServerName: c.RedisTLSServerName,
	})
}
