package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/redis/go-redis/v9"

	"github.com/wabsp/wabsp/billing"
	"github.com/wabsp/wabsp/insights"
	"github.com/wabsp/wabsp/internal/auth"
	"github.com/wabsp/wabsp/internal/config"
	"github.com/wabsp/wabsp/internal/console"
	"github.com/wabsp/wabsp/internal/graph"
	"github.com/wabsp/wabsp/internal/httpapi"
	"github.com/wabsp/wabsp/internal/logging"
	"github.com/wabsp/wabsp/internal/pg"
	"github.com/wabsp/wabsp/internal/secretbox"
	"github.com/wabsp/wabsp/optins"
	"github.com/wabsp/wabsp/quality"
	"github.com/wabsp/wabsp/sending"
	"github.com/wabsp/wabsp/tenants"
	"github.com/wabsp/wabsp/tenants/onboarding"
	"github.com/wabsp/wabsp/webhooks"
	"github.com/wabsp/wabsp/webhooks/outbound"
	"github.com/wabsp/wabsp/workers"
)

// system is one process's shared connections and services. Every role
// (serve, work, schedule) is built from it.
type system struct {
	cfg      config.Config
	log      *slog.Logger
	db       *pg.DB
	readDB   *pg.DB // nil without WABSP_DATABASE_READ_URL
	rdb      redis.UniversalClient
	reg      *prometheus.Registry
	webhooks *webhooks.Service
	tenants  *tenants.Service
	quality  *quality.Service
	graph    *graph.Client
	billing  *billing.Service
	optins   *optins.Service
	insights *insights.Service
	outbound *outbound.Service
	// outboundTasks runs the outbound webhook tasks and wakes delivery runs
	// when the API queues test messages and replays.
	outboundTasks *workers.Outbound

	// onboardings are Embedded Signup onboardings (onboarding.go).
	onboardings *onboarding.Service
}

// newLogger is the logger of a process in role. The keys it adds to every
// line are reserved (logging.ProcessKeys): no call site uses them.
//
// The first one also becomes the standard logger and go-redis's (both
// process-wide, so set once), so that what libraries print arrives as JSON
// lines too.
func newLogger(cfg config.Config, w io.Writer, role string) *slog.Logger {
	log := logging.New(w, cfg.LogLevel).With(logging.KeyAppVersion, version, logging.KeyRole, role)
	libraryLoggers.Do(func() {
		slog.SetDefault(log)
		redis.SetLogger(logging.Printf{L: log, Component: "redis"})
	})
	return log
}

var libraryLoggers sync.Once

func openSystem(ctx context.Context, cfg config.Config, log *slog.Logger) (*system, error) {
	db, err := pg.Open(ctx, cfg.DatabaseURL, cfg.DatabaseMaxConn)
	if err != nil {
		return nil, err
	}
	rdb, err := openRedis(ctx, cfg)
	if err != nil {
		db.Close()
		return nil, err
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	s := &system{cfg: cfg, log: log, db: db, rdb: rdb, reg: reg}
	if cfg.DatabaseReadURL != "" {
		if s.readDB, err = pg.Open(ctx, cfg.DatabaseReadURL, cfg.DatabaseMaxConn); err != nil {
			s.close()
			return nil, fmt.Errorf("read database: %w", err)
		}
	}
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
	s.onboardings = onboarding.NewService(db, box)
	if err := s.openQuality(); err != nil {
		s.close()
		return nil, err
	}
	s.billing = billing.NewService(db, billing.Config{Log: log, ReadDB: s.readDB})
	s.optins = optins.NewService(db)
	s.insights = insights.NewService(db, insights.WithReadDB(s.readDB))
	// Every domain reading the messages field goes into this one call, in
	// the order its handlers run inside the intake's transaction. Billing
	// goes last: it takes the tenant's ledger lock, which is then held only
	// for its own work and the commit.
	s.webhooks.Register(webhooks.FieldMessages, s.webhooks.Defaults(), s.optins.Handler(), s.insights.Handler(),
		s.billing.Handler())
	s.webhooks.Register(webhooks.FieldUserPreferences, s.webhooks.Defaults(), s.optins.Handler())
	if err := s.openOutbound(box); err != nil {
		s.close()
		return nil, err
	}
	// Forwarding registers last, after every domain's handlers.
	claimed := append([]string{webhooks.FieldMessages, webhooks.FieldUserPreferences}, quality.Fields...)
	s.forwardMeta(claimed)
	return s, nil
}

// openOutbound builds the outbound subscriptions domain and the tasks that
// deliver for it.
func (s *system) openOutbound(box *secretbox.Keyring) error {
	allow, err := s.cfg.WebhookAllowedPrefixes()
	if err != nil {
		return err
	}
	s.outbound = outbound.NewService(s.db, box, outbound.Options{
		AllowHTTP: s.cfg.Dev, Addresses: outbound.AddressPolicy{Allow: allow}, Log: s.log,
	})
	s.outboundTasks = workers.NewOutbound(s.outbound, asynq.NewClientFromRedisClient(s.rdb), s.rdb, s.log, workers.OutboundOptions{})
	s.outbound.SetWaker(s.outboundTasks)
	return nil
}

// metaFields are the Meta webhook fields the intake decodes.
var metaFields = []string{
	webhooks.FieldMessages, webhooks.FieldUserPreferences, webhooks.FieldPhoneNumberQualityUpdate,
	webhooks.FieldPhoneNumberNameUpdate, webhooks.FieldAccountUpdate, webhooks.FieldAccountAlerts,
	webhooks.FieldAccountReviewUpdate, webhooks.FieldBusinessCapabilityUpdate,
	webhooks.FieldMessageTemplateStatusUpdate, webhooks.FieldMessageTemplateQualityUpdate,
	webhooks.FieldTemplateCategoryUpdate, webhooks.FieldSecurity,
}

// forwardMeta makes every Meta field also emit meta.forwarded events for
// tenants whose subscriptions want them. Register appends, so this must run
// after the domains registered theirs; a field no domain claimed keeps the
// default handler beside the forwarder, since registering replaces it.
func (s *system) forwardMeta(claimed []string) {
	fwd := outbound.NewForwarder(s.db, 0)
	for _, field := range metaFields {
		if slices.Contains(claimed, field) {
			s.webhooks.Register(field, fwd)
		} else {
			s.webhooks.Register(field, s.webhooks.Defaults(), fwd)
		}
	}
}

// openQuality builds the quality domain and its Graph client, and hands it
// the webhook fields it owns. The intake's default handler stays registered
// beside it, so the raw tenant_events rows are kept too.
func (s *system) openQuality() error {
	var err error
	if s.quality, err = quality.NewService(s.db, s.reg, s.log); err != nil {
		return err
	}
	if s.graph, err = graph.New(s.cfg.GraphBaseURL, s.cfg.GraphVersion, graph.WithLogger(s.log)); err != nil {
		return err
	}
	for _, field := range quality.Fields {
		s.webhooks.Register(field, s.quality.Handler(), s.webhooks.Defaults())
	}
	return nil
}

// templateGraph keeps a missing Graph client a nil interface, so the API
// answers 503 rather than calling it.
func templateGraph(c *graph.Client) httpapi.TemplateGraph {
	if c == nil {
		return nil
	}
	return c
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
	if s.readDB != nil {
		s.readDB.Close()
	}
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
	if err := s.billing.Seed(ctx); err != nil {
		return err
	}
	keys, _ := s.cfg.SigningKeys()
	keyring, err := auth.NewKeyring(keys)
	if err != nil {
		return err
	}
	secrets, _ := s.cfg.AppSecrets()
	client := asynq.NewClientFromRedisClient(s.rdb)
	intakeOpt := workers.IntakeOptions{MaxWait: s.cfg.WebhookEnqueueWait}
	if n := s.cfg.RedisWaitReplicas; n > 0 {
		intakeOpt.Durable = workers.ReplicaFence(s.rdb, n)
	}
	intake := workers.NewIntakeQueue(client, s.reg, intakeOpt)
	defer intake.Close()
	inspector := asynq.NewInspectorFromRedisClient(s.rdb)
	app, err := httpapi.NewApp(httpapi.Deps{
		Log: s.log, DB: s.db, Redis: s.rdb, Tenants: s.tenants, Webhooks: s.webhooks, Jobs: workers.NewJobs(client),
		Quality: s.quality, Onboarder: workers.WABAOnboarder{Client: client}, Billing: s.billing,
		Onboardings: s.onboardings, OnboardingQueue: workers.Onboarder{Client: client}, NumberPolls: workers.QualityPolls{Client: client},
		Optins:    s.optins,
		Outbound:  s.outbound,
		Insights:  s.insights,
		Graph:     templateGraph(s.graph),
		Sends:     sending.NewStore(s.db),
		Submitter: sending.NewSubmitter(s.db, s.optins, workers.SendEnqueuer{Client: client, Redis: s.rdb}.Enqueue),
		Campaigns: sending.NewCampaigns(s.db, workers.CampaignEnqueuer{Client: client}.Enqueue),
		Issuer:    auth.NewIssuer(keyring, s.cfg.JWTIssuer, s.cfg.JWTAudience, s.cfg.TokenTTL),
		Verifier:  auth.NewVerifier(keyring, s.cfg.JWTIssuer, s.cfg.JWTAudience, s.tenants, 30*time.Second),
		Keyring:   keyring,
		Metrics:   s.reg,
		Inspector: inspector,
		RateLimit: s.cfg.RateLimit, RateBurst: s.cfg.RateBurst,
		RequestTimeout: s.cfg.RequestTimeout,
		Meta: httpapi.MetaWebhookConfig{
			Secrets: secrets, VerifyToken: s.cfg.MetaVerifyToken, MaxBody: s.cfg.WebhookMaxBody,
			Queue: intake, Registerer: s.reg,
		},
	})
	if err != nil {
		return err
	}
	cons := console.Mount(app, console.Config{Log: s.log, Users: s.tenants, Quality: s.quality, Dev: s.cfg.Dev,
		QualityPages: s.quality, Billing: s.billing, Consent: s.optins, Insights: s.insights,
		Risks: s.quality, Limits: sending.NewStore(s.db), Intake: s.webhooks, Metrics: s.reg,
		Outbound: s.outbound, Margins: s.billing})
	// The margins are computed while the listener starts and kept fresh
	// until the API stops, so no view of the admin home waits for them.
	warmCtx, stopWarm := context.WithCancel(ctx)
	warmed := make(chan struct{})
	go func() { defer close(warmed); cons.KeepWarm(warmCtx) }()
	defer func() { stopWarm(); <-warmed }()
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

// applyFence makes the workers hold apply tasks to the same replica
// guarantee as the intake, when one is configured.
func (s *system) applyFence() func(context.Context) error {
	if n := s.cfg.RedisWaitReplicas; n > 0 {
		return workers.ApplyFence(s.rdb, n)
	}
	return nil
}

// runWorker processes tasks until ctx ends, then lets running tasks finish
// within the shutdown timeout (asynq re-queues the rest).
func (s *system) runWorker(ctx context.Context) error {
	// Rate cards and markets ship in the binary; loading them is idempotent.
	if err := s.billing.Seed(ctx); err != nil {
		return err
	}
	client := asynq.NewClientFromRedisClient(s.rdb)
	mux, err := workers.NewMux(workers.Deps{
		Log: s.log, DB: s.db, Redis: s.rdb, Client: client,
		Webhooks: s.webhooks, TenantSlots: s.cfg.TenantSlots, ArchiveRetention: s.cfg.ArchiveRetention,
		Fence: s.applyFence(),
	}, s.reg)
	if err != nil {
		return err
	}
	poller := &workers.QualityPoller{Log: s.log, Quality: s.quality, Tenants: s.tenants, Graph: s.graph}
	qualityTasks := &workers.QualityTasks{
		Poller:       poller,
		Client:       client,
		NumbersEvery: s.cfg.PollNumbersEvery, TemplatesEvery: s.cfg.PollTemplatesEvery,
	}
	qualityTasks.Register(mux)
	s.onboardingTasks(client, poller).Register(mux)
	billingTasks := &workers.BillingTasks{Billing: s.billing, DB: s.db, Log: s.log}
	billingTasks.Register(mux)
	keys := &workers.IdempotencyKeys{DB: s.db, Tables: workers.KeyTables(), Log: s.log}
	keys.Register(mux)
	retention := &workers.RetentionTasks{DB: s.db, Log: s.log, Ahead: s.cfg.PartitionsAhead, Keep: s.cfg.EventRetention,
		BillingKeep: s.cfg.BillingRetention}
	retention.Register(mux)
	sendTasks := &workers.SendTasks{Deliverer: &sending.Deliverer{Store: sending.NewStore(s.db),
		Pacer: sending.NewPacer(s.rdb, "wabsp:pace:"), Graph: s.graph, Tokens: s.tenants, Annotator: s.insights}}
	sendTasks.Register(mux)
	campaignTasks := &workers.CampaignTasks{Expander: sending.NewExpander(
		sending.NewSubmitter(s.db, s.optins, workers.SendEnqueuer{Client: client, Redis: s.rdb}.Enqueue), 0)}
	campaignTasks.Register(mux)
	sweeper := &workers.SendSweeper{Store: sending.NewStore(s.db), Inspector: asynq.NewInspectorFromRedisClient(s.rdb),
		Enqueue: workers.SendEnqueuer{Client: client, Redis: s.rdb}.Enqueue, Log: s.log}
	sweeper.Register(mux)
	srv := workers.NewServer(s.rdb, s.log, workers.ServerOptions{
		Concurrency: s.cfg.WorkerConcurrency, ShutdownTimeout: s.cfg.ShutdownTimeout,
	})
	// Outbound webhooks have their own queue and server, so deliveries
	// waiting on tenants' endpoints never hold up the intake.
	outMux := asynq.NewServeMux()
	s.outboundTasks.Register(outMux)
	outSrv := workers.NewOutboundServer(s.rdb, s.log, workers.ServerOptions{
		Concurrency: s.cfg.OutboundConcurrency, ShutdownTimeout: s.cfg.ShutdownTimeout,
	})
	if err := srv.Start(mux); err != nil {
		return err
	}
	if err := outSrv.Start(outMux); err != nil {
		srv.Shutdown()
		return err
	}
	s.log.Info("worker started", "concurrency", s.cfg.WorkerConcurrency, "outbound_concurrency", s.cfg.OutboundConcurrency)
	<-ctx.Done()
	outSrv.Shutdown()
	srv.Shutdown()
	s.log.Info("worker stopped")
	return nil
}

// runScheduler enqueues periodic tasks until ctx ends.
func (s *system) runScheduler(ctx context.Context) error {
	settings, err := s.cfg.Redis()
	if err != nil {
		return err
	}
	opt, err := settings.AsynqOpt(redisTuning)
	if err != nil {
		return err
	}
	sch, err := workers.NewScheduler(opt, s.log)
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
