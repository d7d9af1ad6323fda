package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/redis/go-redis/v9"

	"github.com/wabsp/wabsp/internal/auth"
	"github.com/wabsp/wabsp/internal/config"
	"github.com/wabsp/wabsp/internal/httpapi"
	"github.com/wabsp/wabsp/internal/logging"
	"github.com/wabsp/wabsp/internal/pg"
	"github.com/wabsp/wabsp/internal/secretbox"
	"github.com/wabsp/wabsp/tenants"
	"github.com/wabsp/wabsp/webhooks"
	"github.com/wabsp/wabsp/workers"
)

// system is one process's shared connections and services. Every role
// (serve, work, schedule) is built from it.
type system struct {
	cfg      config.Config
	log      *slog.Logger
	db       *pg.DB
	rdb      *redis.Client
	reg      *prometheus.Registry
	webhooks *webhooks.Service
	tenants  *tenants.Service
}

func newLogger(cfg config.Config, w io.Writer) *slog.Logger {
	return logging.New(w, cfg.LogLevel).With("version", version)
}

func openSystem(ctx context.Context, cfg config.Config, log *slog.Logger) (*system, error) {
	db, err := pg.Open(ctx, cfg.DatabaseURL, cfg.DatabaseMaxConn)
	if err != nil {
		return nil, err
	}
	rdb := redis.NewClient(&redis.Options{
		Addr: cfg.RedisAddr, DB: cfg.RedisDB, Password: cfg.RedisPassword,
		// Short timeouts: the intake must tell Meta 503 within a second
		// when Redis is gone, not wait on a dead socket.
		DialTimeout: 500 * time.Millisecond, ReadTimeout: time.Second, WriteTimeout: time.Second,
		PoolSize: 64,
	})
	if err := rdb.Ping(ctx).Err(); err != nil {
		db.Close()
		rdb.Close()
		return nil, fmt.Errorf("redis %s: %w", cfg.RedisAddr, err)
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	s := &system{cfg: cfg, log: log, db: db, rdb: rdb, reg: reg}
	if s.webhooks, err = webhooks.NewService(db, reg, log); err != nil {
		s.close()
		return nil, err
	}
	box, err := cipherKeyring(cfg)
	if err != nil {
		s.close()
		return nil, err
	}
	s.tenants = tenants.NewService(db, box)
	return s, nil
}

// cipherKeyring returns the configured keyring for secrets at rest. Without
// keys, encrypting an access token fails loudly rather than storing it in
// the clear.
func cipherKeyring(cfg config.Config) (*secretbox.Keyring, error) {
	keys, err := cfg.CipherKeys()
	if err != nil {
		return nil, fmt.Errorf("WABSP_ENCRYPTION_KEYS: %w", err)
	}
	if len(keys) == 0 {
		return nil, nil
	}
	return secretbox.New(keys)
}

func (s *system) close() {
	s.rdb.Close()
	s.db.Close()
}

// checkMigrated refuses to run against a schema older than the binary.
func (s *system) checkMigrated(ctx context.Context) error {
	cur, latest, err := s.db.MigrationStatus(ctx)
	if err != nil {
		return err
	}
	if cur < latest {
		return fmt.Errorf("database schema is at version %d, this binary needs %d: run `wabsp migrate`", cur, latest)
	}
	return nil
}

// runAPI serves the HTTP API and the webhook intake until ctx ends, then
// drains in-flight requests and the intake queue.
func (s *system) runAPI(ctx context.Context, ln net.Listener) error {
	if err := s.cfg.RequireServing(); err != nil {
		return err
	}
	keys, _ := s.cfg.SigningKeys()
	keyring, err := auth.NewKeyring(keys)
	if err != nil {
		return err
	}
	secrets, _ := s.cfg.AppSecrets()
	client := asynq.NewClientFromRedisClient(s.rdb)
	intake := workers.NewIntakeQueue(client, s.reg, workers.IntakeOptions{WriteTimeout: s.cfg.WebhookEnqueueWait})
	defer intake.Close()
	inspector := asynq.NewInspectorFromRedisClient(s.rdb)
	app, err := httpapi.NewApp(httpapi.Deps{
		Log: s.log, DB: s.db, Redis: s.rdb, Tenants: s.tenants, Webhooks: s.webhooks, Jobs: workers.NewJobs(client),
		Issuer:    auth.NewIssuer(keyring, s.cfg.JWTIssuer, s.cfg.JWTAudience, s.cfg.TokenTTL),
		Verifier:  auth.NewVerifier(keyring, s.cfg.JWTIssuer, s.cfg.JWTAudience, s.tenants, 30*time.Second),
		Keyring:   keyring,
		Metrics:   s.reg,
		Inspector: inspector,
		RateLimit: s.cfg.RateLimit, RateBurst: s.cfg.RateBurst,
		RequestTimeout: s.cfg.RequestTimeout,
		Meta: httpapi.MetaWebhookConfig{
			Secrets: secrets, VerifyToken: s.cfg.MetaVerifyToken, MaxBody: s.cfg.WebhookMaxBody,
			EnqueueTimeout: s.cfg.WebhookEnqueueWait, Queue: intake, Registerer: s.reg,
		},
	})
	if err != nil {
		return err
	}
	errc := make(chan error, 1)
	go func() { errc <- app.Listener(ln) }()
	s.log.Info("api listening", "addr", ln.Addr().String())
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	s.log.Info("api draining", "timeout", s.cfg.ShutdownTimeout.String())
	return app.ShutdownWithTimeout(s.cfg.ShutdownTimeout)
}

// runWorker processes tasks until ctx ends, then lets running tasks finish
// within the shutdown timeout (asynq re-queues the rest).
func (s *system) runWorker(ctx context.Context) error {
	mux, err := workers.NewMux(workers.Deps{
		Log: s.log, DB: s.db, Redis: s.rdb, Client: asynq.NewClientFromRedisClient(s.rdb),
		Webhooks: s.webhooks, TenantSlots: s.cfg.TenantSlots, ArchiveRetention: s.cfg.ArchiveRetention,
	}, s.reg)
	if err != nil {
		return err
	}
	srv := workers.NewServer(s.rdb, s.log, workers.ServerOptions{
		Concurrency: s.cfg.WorkerConcurrency, ShutdownTimeout: s.cfg.ShutdownTimeout,
	})
	if err := srv.Start(mux); err != nil {
		return err
	}
	s.log.Info("worker started", "concurrency", s.cfg.WorkerConcurrency)
	<-ctx.Done()
	srv.Shutdown()
	s.log.Info("worker stopped")
	return nil
}

// runScheduler enqueues periodic tasks until ctx ends.
func (s *system) runScheduler(ctx context.Context) error {
	sch, err := workers.NewScheduler(asynq.RedisClientOpt{
		Addr: s.cfg.RedisAddr, DB: s.cfg.RedisDB, Password: s.cfg.RedisPassword,
	}, s.log)
	if err != nil {
		return err
	}
	if err := sch.Start(); err != nil {
		return err
	}
	s.log.Info("scheduler started")
	<-ctx.Done()
	sch.Shutdown()
	return nil
}

// runSidePort serves /healthz and /metrics for processes without the API.
func (s *system) runSidePort(ctx context.Context, addr string) error {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"status":"ok"}`)
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.reg, promhttp.HandlerOpts{}))
	srv := &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
