package config

import (
	"strings"
	"testing"
	"time"

	"github.com/wabsp/wabsp/internal/redisconf"
)

func TestValidateNamesTheVariable(t *testing.T) {
	base := func() Config {
		t.Setenv("WABSP_JWT_KEYS", "")
		c, err := Load()
		if err != nil {
			t.Fatalf("defaults do not validate: %v", err)
		}
		return c
	}
	tests := []struct {
		name   string
		mutate func(*Config)
		want   string
	}{
		{"bad database url", func(c *Config) { c.DatabaseURL = "mysql://x" }, "WABSP_DATABASE_URL"},
		{"bad read url", func(c *Config) { c.DatabaseReadURL = "mysql://x" }, "WABSP_DATABASE_READ_URL"},
		{"worker memory limit too small", func(c *Config) { c.WorkerMemoryLimitMiB = 16 }, "WABSP_WORKER_MEMORY_LIMIT_MIB"},
		{"no partitions ahead", func(c *Config) { c.PartitionsAhead = 0 }, "WABSP_PARTITIONS_AHEAD"},
		{"retention under a month", func(c *Config) { c.EventRetention = 24 * time.Hour }, "WABSP_EVENT_RETENTION"},
		{"billing kept less than events", func(c *Config) { c.BillingRetention = 9000 * time.Hour }, "WABSP_BILLING_RETENTION"},
		{"redis db out of range", func(c *Config) { c.RedisDB = 16 }, "WABSP_REDIS_DB"},
		{"redis url scheme", func(c *Config) { c.RedisURL = "http://r:6379" }, "WABSP_REDIS_URL"},
		{"redis sentinel without master", func(c *Config) { c.RedisSentinelAddrs = "s1:26379" }, "WABSP_REDIS"},
		{"redis empty address", func(c *Config) { c.RedisAddr = "" }, "WABSP_REDIS"},
		{"redis wait replicas", func(c *Config) { c.RedisWaitReplicas = -1 }, "WABSP_REDIS_WAIT_REPLICAS"},
		{"jwt key not base64", func(c *Config) { c.JWTKeys = "k1:%%%" }, "WABSP_JWT_KEYS"},
		{"jwt key wrong size", func(c *Config) { c.JWTKeys = "k1:AAAA" }, "WABSP_JWT_KEYS"},
		{"signing kid unknown", func(c *Config) {
			c.JWTKeys = "k1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
			c.JWTSigningKey = "k2"
		}, "WABSP_JWT_KEYS"},
		{"app secret without id", func(c *Config) { c.MetaAppSecrets = "secret-only" }, "WABSP_META_APP_SECRETS"},
		{"enqueue wait over a second", func(c *Config) { c.WebhookEnqueueWait = 2e9 }, "WABSP_WEBHOOK_ENQUEUE_TIMEOUT"},
		{"log level", func(c *Config) { c.LogLevel = "loud" }, "WABSP_LOG_LEVEL"},
		{"tenant slots", func(c *Config) { c.TenantSlots = 0 }, "WABSP_TENANT_SLOTS"},
		{"webhook allow list", func(c *Config) { c.WebhookAllowPrivate = "127.0.0.1" }, "WABSP_WEBHOOK_ALLOW_PRIVATE"},
		{"outbound concurrency", func(c *Config) { c.OutboundConcurrency = 0 }, "WABSP_OUTBOUND_CONCURRENCY"},
		{"signup app without a secret", func(c *Config) { c.MetaAppSecrets, c.MetaAppID = "1:s", "2" }, "WABSP_META_APP_ID"},
		{"override callback over http", func(c *Config) { c.MetaCallbackOverrideURL = "http://x.example.com/" },
			"WABSP_META_CALLBACK_OVERRIDE_URL"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := base()
			tc.mutate(&c)
			err := c.Validate()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error naming %s", err, tc.want)
			}
		})
	}
}

func TestKeyringsPutActiveFirst(t *testing.T) {
	c := Config{
		JWTKeys:       "old:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=,new:AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=",
		JWTSigningKey: "new",
	}
	keys, err := c.SigningKeys()
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 2 || keys[0].ID != "new" {
		t.Fatalf("got %+v, want new first", keys)
	}
}

func TestAppSecrets(t *testing.T) {
	c := Config{MetaAppSecrets: "111:abc, 222:def"}
	s, err := c.AppSecrets()
	if err != nil {
		t.Fatal(err)
	}
	if len(s) != 2 || s[1].AppID != "222" || string(s[1].Secret) != "def" {
		t.Fatalf("got %+v", s)
	}
}

func TestRedisFromEnvironment(t *testing.T) {
	tests := []struct {
		name     string
		env      map[string]string
		wantMode redisconf.Mode
		wantAddr string
	}{
		{"default single node", nil, redisconf.Single, "127.0.0.1:6379"},
		{"cluster URL", map[string]string{"WABSP_REDIS_URL": "redis-cluster://n1:7000,n2:7001"}, redisconf.Cluster, "n1:7000"},
		{"sentinel variables", map[string]string{
			"WABSP_REDIS_SENTINEL_ADDRS": "s1:26379,s2:26379", "WABSP_REDIS_MASTER_NAME": "wabsp",
		}, redisconf.Sentinel, "s1:26379"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("WABSP_JWT_KEYS", "")
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			c, err := Load()
			if err != nil {
				t.Fatal(err)
			}
			s, err := c.Redis()
			if err != nil {
				t.Fatal(err)
			}
			if s.Mode != tc.wantMode || s.Addrs[0] != tc.wantAddr {
				t.Fatalf("got %s, want %s at %s", s, tc.wantMode, tc.wantAddr)
			}
		})
	}
}
