// Package config holds wabsp's one typed configuration struct. Every setting
// comes from a WABSP_* environment variable; command-line flags may override a
// few of them. Load validates everything at start and names the variable at
// fault, so a misconfigured process stops before it serves anything.
package config

import (
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/caarlos0/env/v11"
)

// Config is the whole configuration of a wabsp process.
type Config struct {
	// Dev relaxes rules meant for production (plain-HTTP subscription URLs).
	Dev bool `env:"WABSP_DEV" envDefault:"false"`

	HTTPAddr        string        `env:"WABSP_HTTP_ADDR" envDefault:":8080"`
	PublicURL       string        `env:"WABSP_PUBLIC_URL" envDefault:"http://localhost:8080"`
	ShutdownTimeout time.Duration `env:"WABSP_SHUTDOWN_TIMEOUT" envDefault:"20s"`
	RequestTimeout  time.Duration `env:"WABSP_REQUEST_TIMEOUT" envDefault:"10s"`
	LogLevel        string        `env:"WABSP_LOG_LEVEL" envDefault:"info"`

	DatabaseURL     string `env:"WABSP_DATABASE_URL" envDefault:"postgres://postgres@127.0.0.1:5432/wabsp?sslmode=disable"`
	DatabaseMaxConn int32  `env:"WABSP_DATABASE_MAX_CONNS" envDefault:"16"`
	// DatabaseReadURL, when set, serves the heavy reads (usage, insights)
	// from a replica; empty reads from DatabaseURL.
	DatabaseReadURL string `env:"WABSP_DATABASE_READ_URL"`
	// PartitionsAhead is how many months after the current one the event
	// tables have partitions for; EventRetention is the longest any tenant's
	// event rows (statuses, quality history, insights) are kept. Tenants with
	// a shorter retention_days have their older rows deleted in batches.
	PartitionsAhead int           `env:"WABSP_PARTITIONS_AHEAD" envDefault:"3"`
	EventRetention  time.Duration `env:"WABSP_EVENT_RETENTION" envDefault:"9600h"`
	// BillingRetention is how long the billing ledger's months are kept:
	// longer than the events, for invoice disputes and recounts of past
	// months. Tenants' retention_days do not shorten it.
	BillingRetention time.Duration `env:"WABSP_BILLING_RETENTION" envDefault:"19200h"`

	// Redis is a single node by default. WABSP_REDIS_URL (redis://,
	// rediss://, redis-sentinel://, redis-cluster://) or the sentinel or
	// cluster address lists choose another deployment; see Redis.
	RedisURL              string `env:"WABSP_REDIS_URL"`
	RedisAddr             string `env:"WABSP_REDIS_ADDR" envDefault:"127.0.0.1:6379"`
	RedisDB               int    `env:"WABSP_REDIS_DB" envDefault:"0"`
	RedisUsername         string `env:"WABSP_REDIS_USERNAME"`
	RedisPassword         string `env:"WABSP_REDIS_PASSWORD"`
	RedisSentinelAddrs    string `env:"WABSP_REDIS_SENTINEL_ADDRS"`
	RedisMasterName       string `env:"WABSP_REDIS_MASTER_NAME"`
	RedisSentinelUsername string `env:"WABSP_REDIS_SENTINEL_USERNAME"`
	RedisSentinelPassword string `env:"WABSP_REDIS_SENTINEL_PASSWORD"`
	RedisClusterAddrs     string `env:"WABSP_REDIS_CLUSTER_ADDRS"`
	RedisTLS              bool   `env:"WABSP_REDIS_TLS" envDefault:"false"`
	RedisTLSCAFile        string `env:"WABSP_REDIS_TLS_CA_FILE"`
	RedisTLSServerName    string `env:"WABSP_REDIS_TLS_SERVER_NAME"`
	// RedisWaitReplicas, when above 0, makes the webhook intake answer 200
	// only once that many replicas hold the body, so a Sentinel failover
	// cannot lose an acknowledged webhook.
	RedisWaitReplicas int `env:"WABSP_REDIS_WAIT_REPLICAS" envDefault:"0"`

	WorkerConcurrency int `env:"WABSP_WORKER_CONCURRENCY" envDefault:"8"`
	// WorkerMemoryLimitMiB is the Go runtime's soft memory limit for a
	// process running work (as GOMEMLIMIT, which wins when set); 0 leaves
	// the runtime's default.
	WorkerMemoryLimitMiB int `env:"WABSP_WORKER_MEMORY_LIMIT_MIB" envDefault:"192"`
	// TenantSlots caps how many webhook-apply tasks of one tenant run at once
	// across all workers, so one tenant's flood cannot starve the others.
	TenantSlots int `env:"WABSP_TENANT_SLOTS" envDefault:"2"`
	// MetricsAddr, when set, makes work and schedule serve /healthz and
	// /metrics on this address (serve has them on the API port).
	MetricsAddr string `env:"WABSP_METRICS_ADDR"`

	JWTIssuer   string        `env:"WABSP_JWT_ISSUER" envDefault:"wabsp"`
	JWTAudience string        `env:"WABSP_JWT_AUDIENCE" envDefault:"wabsp-api"`
	TokenTTL    time.Duration `env:"WABSP_TOKEN_TTL" envDefault:"15m"`
	// JWTKeys lists Ed25519 signing keys as kid:base64(seed) pairs separated by
	// commas. All of them verify; JWTSigningKey names the one that signs.
	JWTKeys       string `env:"WABSP_JWT_KEYS"`
	JWTSigningKey string `env:"WABSP_JWT_SIGNING_KID"`

	// EncryptionKeys lists AES-256 keys for secrets at rest (Meta access
	// tokens) as kid:base64(32 bytes) pairs; EncryptionKeyID names the one that
	// encrypts. Old keys stay to decrypt until data is re-encrypted.
	EncryptionKeys  string `env:"WABSP_ENCRYPTION_KEYS"`
	EncryptionKeyID string `env:"WABSP_ENCRYPTION_KID"`

	// MetaAppSecrets lists app_id:secret pairs; a webhook is accepted when its
	// signature matches any of them (several apps, secret rotation).
	MetaAppSecrets  string `env:"WABSP_META_APP_SECRETS"`
	MetaVerifyToken string `env:"WABSP_META_VERIFY_TOKEN"`
	// MetaAppID picks the app of MetaAppSecrets Embedded Signup runs under;
	// MetaCallbackOverrideURL, when set, is each onboarded WABA's
	// override_callback_uri (see onboarding.go).
	MetaAppID               string        `env:"WABSP_META_APP_ID"`
	MetaCallbackOverrideURL string        `env:"WABSP_META_CALLBACK_OVERRIDE_URL"`
	WebhookMaxBody          int           `env:"WABSP_WEBHOOK_MAX_BODY" envDefault:"3145728"`
	WebhookEnqueueWait      time.Duration `env:"WABSP_WEBHOOK_ENQUEUE_TIMEOUT" envDefault:"800ms"`
	ArchiveRetention        time.Duration `env:"WABSP_ARCHIVE_RETENTION" envDefault:"720h"`

	GraphBaseURL string `env:"WABSP_GRAPH_BASE_URL" envDefault:"https://graph.facebook.com"`
	GraphVersion string `env:"WABSP_GRAPH_VERSION" envDefault:"v25.0"`
	// PollNumbersEvery and PollTemplatesEvery are how often each WABA's phone
	// numbers and templates are reconciled with the Graph API.
	PollNumbersEvery   time.Duration `env:"WABSP_POLL_NUMBERS_EVERY" envDefault:"1h"`
	PollTemplatesEvery time.Duration `env:"WABSP_POLL_TEMPLATES_EVERY" envDefault:"6h"`

	// RateLimit is the steady number of API requests per second per client;
	// RateBurst is the bucket size.
	RateLimit float64 `env:"WABSP_RATE_LIMIT" envDefault:"50"`
	RateBurst int     `env:"WABSP_RATE_BURST" envDefault:"100"`

	// WebhookAllowPrivate lists address prefixes (CIDR, comma separated)
	// that outbound webhook deliveries may reach although they are loopback,
	// private, link-local or otherwise special. Empty: public addresses only.
	WebhookAllowPrivate string `env:"WABSP_WEBHOOK_ALLOW_PRIVATE"`
	// OutboundConcurrency is how many outbound webhook tasks a worker process
	// runs at once; they mostly wait on tenants' endpoints.
	OutboundConcurrency int `env:"WABSP_OUTBOUND_CONCURRENCY" envDefault:"64"`
}

// Load reads the environment and validates the result.
func Load() (Config, error) {
	var c Config
	if err := env.Parse(&c); err != nil {
		return c, fmt.Errorf("config: %w", err)
	}
	return c, c.Validate()
}

// Validate checks every setting and reports all problems at once, each naming
// its variable.
func (c Config) Validate() error {
	var errs []error
	bad := func(name, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", name, fmt.Sprintf(format, args...)))
	}
	if c.HTTPAddr == "" {
		bad("WABSP_HTTP_ADDR", "must not be empty")
	}
	if _, err := url.Parse(c.DatabaseURL); err != nil || !strings.HasPrefix(c.DatabaseURL, "postgres") {
		bad("WABSP_DATABASE_URL", "must be a postgres:// URL")
	}
	if c.DatabaseMaxConn < 2 {
		bad("WABSP_DATABASE_MAX_CONNS", "must be at least 2, got %d", c.DatabaseMaxConn)
	}
	if c.DatabaseReadURL != "" {
		if _, err := url.Parse(c.DatabaseReadURL); err != nil || !strings.HasPrefix(c.DatabaseReadURL, "postgres") {
			bad("WABSP_DATABASE_READ_URL", "must be a postgres:// URL")
		}
	}
	if c.PartitionsAhead < 1 || c.PartitionsAhead > 24 {
		bad("WABSP_PARTITIONS_AHEAD", "must be 1..24, got %d", c.PartitionsAhead)
	}
	if c.EventRetention < 31*24*time.Hour {
		bad("WABSP_EVENT_RETENTION", "must be at least 744h (one month), got %s", c.EventRetention)
	}
	if c.BillingRetention < c.EventRetention {
		bad("WABSP_BILLING_RETENTION", "must be at least WABSP_EVENT_RETENTION (%s), got %s", c.EventRetention, c.BillingRetention)
	}
	if c.RedisDB < 0 || c.RedisDB > 15 {
		bad("WABSP_REDIS_DB", "must be 0..15, got %d", c.RedisDB)
	} else if _, err := c.Redis(); err != nil {
		bad("WABSP_REDIS", "%v", err)
	}
	if c.RedisWaitReplicas < 0 || c.RedisWaitReplicas > 5 {
		bad("WABSP_REDIS_WAIT_REPLICAS", "must be 0..5, got %d", c.RedisWaitReplicas)
	}
	if c.WorkerMemoryLimitMiB < 0 || (c.WorkerMemoryLimitMiB > 0 && c.WorkerMemoryLimitMiB < 64) {
		bad("WABSP_WORKER_MEMORY_LIMIT_MIB", "must be 0 (off) or at least 64, got %d", c.WorkerMemoryLimitMiB)
	}
	if c.WorkerConcurrency < 1 {
		bad("WABSP_WORKER_CONCURRENCY", "must be at least 1")
	}
	if c.TenantSlots < 1 || c.TenantSlots > c.WorkerConcurrency*64 {
		bad("WABSP_TENANT_SLOTS", "must be at least 1, got %d", c.TenantSlots)
	}
	if c.TokenTTL <= 0 || c.TokenTTL > 24*time.Hour {
		bad("WABSP_TOKEN_TTL", "must be between 1s and 24h, got %s", c.TokenTTL)
	}
	if c.JWTIssuer == "" {
		bad("WABSP_JWT_ISSUER", "must not be empty")
	}
	if c.JWTAudience == "" {
		bad("WABSP_JWT_AUDIENCE", "must not be empty")
	}
	if _, err := c.SigningKeys(); err != nil {
		bad("WABSP_JWT_KEYS", "%v", err)
	}
	if _, err := c.CipherKeys(); err != nil {
		bad("WABSP_ENCRYPTION_KEYS", "%v", err)
	}
	if _, err := c.AppSecrets(); err != nil {
		bad("WABSP_META_APP_SECRETS", "%v", err)
	}
	if err := c.checkSignup(); err != nil {
		bad(err.variable, "%s", err.problem)
	}
	if c.WebhookMaxBody < 1024 {
		bad("WABSP_WEBHOOK_MAX_BODY", "must be at least 1024 bytes, got %d", c.WebhookMaxBody)
	}
	if c.WebhookEnqueueWait <= 0 || c.WebhookEnqueueWait > time.Second {
		bad("WABSP_WEBHOOK_ENQUEUE_TIMEOUT", "must be in (0, 1s] so Meta hears 503 within a second, got %s", c.WebhookEnqueueWait)
	}
	if c.ArchiveRetention < time.Hour {
		bad("WABSP_ARCHIVE_RETENTION", "must be at least 1h, got %s", c.ArchiveRetention)
	}
	if u, err := url.Parse(c.GraphBaseURL); err != nil || u.Scheme == "" || u.Host == "" {
		bad("WABSP_GRAPH_BASE_URL", "must be an absolute URL")
	}
	if c.PollNumbersEvery < time.Minute {
		bad("WABSP_POLL_NUMBERS_EVERY", "must be at least 1m, got %s", c.PollNumbersEvery)
	}
	if c.PollTemplatesEvery < time.Minute {
		bad("WABSP_POLL_TEMPLATES_EVERY", "must be at least 1m, got %s", c.PollTemplatesEvery)
	}
	if _, err := c.WebhookAllowedPrefixes(); err != nil {
		bad("WABSP_WEBHOOK_ALLOW_PRIVATE", "%v", err)
	}
	if c.OutboundConcurrency < 1 || c.OutboundConcurrency > 1024 {
		bad("WABSP_OUTBOUND_CONCURRENCY", "must be between 1 and 1024, got %d", c.OutboundConcurrency)
	}
	if c.RateLimit <= 0 || c.RateBurst < 1 {
		bad("WABSP_RATE_LIMIT", "rate must be > 0 and WABSP_RATE_BURST >= 1")
	}
	switch strings.ToLower(c.LogLevel) {
	case "debug", "info", "warn", "error":
	default:
		bad("WABSP_LOG_LEVEL", "must be debug, info, warn or error, got %q", c.LogLevel)
	}
	return errors.Join(errs...)
}

// NamedKey is one key of a keyring, named by its key id.
type NamedKey struct {
	ID  string
	Key []byte
}

// parsePairs splits "id:base64,id:base64" lists. An empty string is no keys.
func parsePairs(s string, size int) ([]NamedKey, error) {
	var keys []NamedKey
	seen := map[string]bool{}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		id, b64, ok := strings.Cut(part, ":")
		if !ok || id == "" {
			return nil, fmt.Errorf("entry %q is not kid:base64", part)
		}
		if seen[id] {
			return nil, fmt.Errorf("key id %q appears twice", id)
		}
		seen[id] = true
		raw, err := base64.StdEncoding.DecodeString(b64)
		if err != nil {
			if raw, err = base64.RawURLEncoding.DecodeString(b64); err != nil {
				return nil, fmt.Errorf("key %q is not base64", id)
			}
		}
		if len(raw) != size {
			return nil, fmt.Errorf("key %q must be %d bytes, got %d", id, size, len(raw))
		}
		keys = append(keys, NamedKey{ID: id, Key: raw})
	}
	return keys, nil
}

// SigningKeys returns the configured Ed25519 keys, the signing one first.
func (c Config) SigningKeys() ([]NamedKey, error) {
	keys, err := parsePairs(c.JWTKeys, ed25519.SeedSize)
	if err != nil {
		return nil, err
	}
	return activeFirst(keys, c.JWTSigningKey, "WABSP_JWT_SIGNING_KID")
}

// CipherKeys returns the configured AES-256 keys, the encrypting one first.
func (c Config) CipherKeys() ([]NamedKey, error) {
	keys, err := parsePairs(c.EncryptionKeys, 32)
	if err != nil {
		return nil, err
	}
	return activeFirst(keys, c.EncryptionKeyID, "WABSP_ENCRYPTION_KID")
}

func activeFirst(keys []NamedKey, active, name string) ([]NamedKey, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	if active == "" {
		return keys, nil
	}
	for i, k := range keys {
		if k.ID == active {
			keys[0], keys[i] = keys[i], keys[0]
			return keys, nil
		}
	}
	return nil, fmt.Errorf("%s names %q, which is not in the list", name, active)
}

// WebhookAllowedPrefixes parses WABSP_WEBHOOK_ALLOW_PRIVATE.
func (c Config) WebhookAllowedPrefixes() ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, part := range strings.Split(c.WebhookAllowPrivate, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		p, err := netip.ParsePrefix(part)
		if err != nil {
			return nil, fmt.Errorf("%q is not a CIDR prefix such as 127.0.0.0/8", part)
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

// AppSecret is one Meta app's webhook signing secret.
type AppSecret struct {
	AppID  string
	Secret []byte
}

// AppSecrets parses WABSP_META_APP_SECRETS ("app_id:secret,...").
func (c Config) AppSecrets() ([]AppSecret, error) {
	var out []AppSecret
	for _, part := range strings.Split(c.MetaAppSecrets, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		id, secret, ok := strings.Cut(part, ":")
		if !ok || id == "" || secret == "" {
			return nil, fmt.Errorf("entry %q is not app_id:secret", part)
		}
		out = append(out, AppSecret{AppID: id, Secret: []byte(secret)})
	}
	return out, nil
}

// RequireServing checks the settings only the HTTP API needs.
func (c Config) RequireServing() error {
	var errs []error
	if keys, _ := c.SigningKeys(); len(keys) == 0 {
		errs = append(errs, errors.New("WABSP_JWT_KEYS: at least one signing key is required to serve the API"))
	}
	if s, _ := c.AppSecrets(); len(s) == 0 {
		errs = append(errs, errors.New("WABSP_META_APP_SECRETS: at least one app secret is required to accept Meta webhooks"))
	}
	if c.MetaVerifyToken == "" {
		errs = append(errs, errors.New("WABSP_META_VERIFY_TOKEN: required to answer Meta's subscription handshake"))
	}
	return errors.Join(errs...)
}
