package main

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/wabsp/wabsp/internal/config"
	"github.com/wabsp/wabsp/internal/redistest"
	"github.com/wabsp/wabsp/webhooks"
	"github.com/wabsp/wabsp/workers"
)

// TestRedisOverTLS configures Redis as an operator does, with WABSP_REDIS_*
// variables, against a server that speaks only TLS and knows one ACL user.
// Where the connection opens, the API's, the worker's and the scheduler's
// uses of it must work; where it must not, the error has to say why
// without showing the password.
func TestRedisOverTLS(t *testing.T) {
	s := redistest.NewTLS(t)
	const badPassword = "not-the-secret"
	tests := []struct {
		name    string
		env     map[string]string
		wantErr string
	}{
		{"rediss URL with the CA file", map[string]string{
			"WABSP_REDIS_URL": s.URL(), "WABSP_REDIS_TLS_CA_FILE": s.CA.File,
		}, ""},
		{"address, credentials and TLS from variables", map[string]string{
			"WABSP_REDIS_ADDR": s.Addr, "WABSP_REDIS_TLS": "true", "WABSP_REDIS_TLS_CA_FILE": s.CA.File,
			"WABSP_REDIS_USERNAME": redistest.TLSUser, "WABSP_REDIS_PASSWORD": redistest.TLSPassword,
		}, ""},
		{"wrong password", map[string]string{
			"WABSP_REDIS_URL":         "rediss://" + redistest.TLSUser + ":" + badPassword + "@" + s.Addr,
			"WABSP_REDIS_TLS_CA_FILE": s.CA.File,
		}, "WRONGPASS"},
		{"certificate from another CA", map[string]string{
			"WABSP_REDIS_URL": s.URL(), "WABSP_REDIS_TLS_CA_FILE": redistest.NewCA(t).File,
		}, "certificate signed by unknown authority"},
		{"server name the certificate does not hold", map[string]string{
			"WABSP_REDIS_URL": s.URL() + "?tls_server_name=redis.example", "WABSP_REDIS_TLS_CA_FILE": s.CA.File,
		}, "not redis.example"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := redisConfig(t, tc.env)
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			rdb, err := openRedis(ctx, cfg)
			if tc.wantErr != "" {
				checkRefusal(t, err, tc.wantErr, badPassword)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer rdb.Close()
			useLikeTheProcesses(t, ctx, cfg, rdb)
		})
	}
}

func redisConfig(t *testing.T, env map[string]string) config.Config {
	t.Helper()
	t.Setenv("WABSP_JWT_KEYS", "")
	for k, v := range env {
		t.Setenv(k, v)
	}
	cfg, err := config.Load()
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func checkRefusal(t *testing.T, err error, want, password string) {
	t.Helper()
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("got %v, want an error containing %q", err, want)
	}
	if strings.Contains(err.Error(), password) || strings.Contains(err.Error(), redistest.TLSPassword) {
		t.Fatalf("error %q shows a password", err)
	}
}

// useLikeTheProcesses takes a rate-limit token and makes a webhook durable
// through the group commit as the API does, enqueues a task over the
// scheduler's own connection, and has a worker process both tasks.
func useLikeTheProcesses(t *testing.T, ctx context.Context, cfg config.Config, rdb redis.UniversalClient) {
	res, err := redis_rate.NewLimiter(rdb).Allow(ctx, "wabsp:ratelimit:tls", redis_rate.PerSecond(10))
	if err != nil || res.Allowed != 1 {
		t.Fatalf("rate limit token: %+v, %v", res, err)
	}
	intake := workers.NewIntakeQueue(asynq.NewClientFromRedisClient(rdb), nil, workers.IntakeOptions{})
	defer intake.Close()
	if err := intake.Enqueue(ctx, webhooks.Body{Raw: []byte(`{"object":"whatsapp_business_account"}`), AppID: "app"}); err != nil {
		t.Fatalf("group commit: %v", err)
	}
	const probe = "probe:tls"
	enqueueOverSchedulerConnection(t, cfg, asynq.NewTask(probe, nil))

	seen := make(chan string, 2)
	mux := asynq.NewServeMux()
	for _, typ := range []string{workers.TypeMetaIntake, probe} {
		mux.HandleFunc(typ, func(_ context.Context, task *asynq.Task) error {
			seen <- task.Type()
			return nil
		})
	}
	srv := workers.NewServer(rdb, slog.New(slog.NewTextHandler(io.Discard, nil)),
		workers.ServerOptions{Concurrency: 2, ShutdownTimeout: time.Second})
	if err := srv.Start(mux); err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown()
	got := map[string]bool{}
	for len(got) < 2 {
		select {
		case typ := <-seen:
			got[typ] = true
		case <-ctx.Done():
			t.Fatalf("processed %v, want %s and %s", got, workers.TypeMetaIntake, probe)
		}
	}
}

// enqueueOverSchedulerConnection builds the asynq connection the scheduler
// opens for itself from the same configuration.
func enqueueOverSchedulerConnection(t *testing.T, cfg config.Config, task *asynq.Task) {
	t.Helper()
	settings, err := cfg.Redis()
	if err != nil {
		t.Fatal(err)
	}
	opt, err := settings.AsynqOpt(redisTuning)
	if err != nil {
		t.Fatal(err)
	}
	client := asynq.NewClient(opt)
	defer client.Close()
	if _, err := client.Enqueue(task, asynq.Queue(workers.QueueLow)); err != nil {
		t.Fatalf("enqueue over the scheduler's connection: %v", err)
	}
}
