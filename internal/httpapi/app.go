// Package httpapi is wabsp's HTTP layer: the Fiber app serving the /v1 API
// generated from openapi/openapi.yaml, the Meta webhook intake, the docs page,
// health, readiness and metrics.
//
// A /v1 request passes, in order: recover, request id, metrics, access log
// (which also renders errors), operation lookup, authentication, the
// per-client rate limit, the API body limit, validation against the spec, and
// the authorization table (authz.go) in front of the generated handler. Adding
// an operation is: spec, go generate, one handler method, one line in
// accessRules.
package httpapi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/recover"
	"github.com/google/uuid"
	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/wabsp/wabsp/billing"
	"github.com/wabsp/wabsp/insights"
	"github.com/wabsp/wabsp/internal/apperr"
	"github.com/wabsp/wabsp/internal/auth"
	"github.com/wabsp/wabsp/internal/pg"
	"github.com/wabsp/wabsp/openapi"
	"github.com/wabsp/wabsp/optins"
	"github.com/wabsp/wabsp/quality"
	"github.com/wabsp/wabsp/sending"
	"github.com/wabsp/wabsp/tenants"
	"github.com/wabsp/wabsp/tenants/onboarding"
	"github.com/wabsp/wabsp/webhooks"
	"github.com/wabsp/wabsp/webhooks/outbound"
)

// Defaults for the zero values of Deps.
const (
	DefaultBodyLimit      = 1 << 20
	DefaultRequestTimeout = 10 * time.Second
	// partnerCacheTTL bounds how long another process keeps honouring an
	// unassigned partner.
	partnerCacheTTL = 30 * time.Second
)

// Deps is everything the HTTP layer uses. main and the tests build it.
type Deps struct {
	Log      *slog.Logger
	DB       *pg.DB
	Redis    redis.UniversalClient
	Tenants  *tenants.Service
	Issuer   *auth.Issuer
	Verifier *auth.Verifier
	Keyring  *auth.Keyring
	// Metrics is the registry /metrics serves; the app registers its own
	// collectors on it. A new one is made when nil.
	Metrics *prometheus.Registry
	// Inspector reports asynq queue depths on /metrics; nil leaves them out.
	Inspector *asynq.Inspector
	// RateLimit is each client's steady rate in requests per second and
	// RateBurst its bucket; a zero rate turns limiting off.
	RateLimit float64
	RateBurst int
	// RequestTimeout bounds each API request's context.
	RequestTimeout time.Duration
	// BodyLimit bounds API request bodies (DefaultBodyLimit when 0).
	BodyLimit int
	Meta      MetaWebhookConfig
	// Webhooks is the Meta intake domain, for the archive's admin views.
	Webhooks *webhooks.Service
	// Jobs queues background work (replays, orphan adoption); nil answers
	// 503 for the operations that need it.
	Jobs Jobs
	// Quality is the quality monitoring domain; nil answers 503 for its
	// operations.
	Quality *quality.Service
	// Billing is the billing domain; nil answers 503 for its operations.
	Billing *billing.Service
	// Optins is the contacts and consent domain; nil answers 503 for its
	// operations.
	Optins *optins.Service
	// Outbound is the outbound webhook subscriptions domain; nil answers 503
	// for its operations.
	Outbound *outbound.Service
	// Insights is the trackers domain (response times, funnels, journeys,
	// experiments); nil answers 503 for its operations.
	Insights *insights.Service
	// Sends and Submitter are the guarded send API; nil answers 503 for its
	// operations.
	Sends     *sending.Store
	Submitter *sending.Submitter
	// Campaigns serves bulk sends; nil answers 503 for its operations.
	Campaigns *sending.Campaigns
	// Onboarder queues a new WABA's webhook subscription and first polls;
	// nil leaves that to the scheduler, which finds unsubscribed WABAs.
	Onboarder WABAOnboarder
	// Onboardings and OnboardingQueue run Embedded Signup onboardings; nil
	// answers 503 for their operations.
	Onboardings     *onboarding.Service
	OnboardingQueue OnboardingQueue
	// NumberPolls polls a WABA's numbers as soon as a number is registered
	// through the API; nil leaves that to the scheduler.
	NumberPolls NumberPolls
	// Graph submits, edits and deletes message templates at Meta; nil
	// answers 503 for those operations.
	Graph TemplateGraph
}

// WABAOnboarder queues the onboarding of a WABA just created through the
// API (implemented by workers.WABAOnboarder).
type WABAOnboarder interface {
	OnboardWABA(ctx context.Context, tenantID, wabaRef uuid.UUID) error
}

func (d *Deps) defaults() error {
	if d.Log == nil || d.DB == nil || d.Tenants == nil || d.Issuer == nil || d.Verifier == nil || d.Keyring == nil || d.Webhooks == nil {
		return errors.New("httpapi: Log, DB, Tenants, Webhooks, Issuer, Verifier and Keyring are required")
	}
	if d.Metrics == nil {
		d.Metrics = prometheus.NewRegistry()
	}
	if d.Meta.Registerer == nil {
		d.Meta.Registerer = d.Metrics
	}
	if d.RequestTimeout <= 0 {
		d.RequestTimeout = DefaultRequestTimeout
	}
	if d.BodyLimit <= 0 {
		d.BodyLimit = DefaultBodyLimit
	}
	return nil
}

// NewApp assembles the Fiber app.
func NewApp(d Deps) (*fiber.App, error) {
	if err := d.defaults(); err != nil {
		return nil, err
	}
	doc, err := openapi.GetSwagger()
	if err != nil {
		return nil, err
	}
	metrics, err := newHTTPMetrics(d.Metrics)
	if err != nil {
		return nil, err
	}
	if err := registerRuntimeCollectors(d.Metrics, d.Inspector, d.Log); err != nil {
		return nil, err
	}

	onError := errorHandler(d.Log)
	app := fiber.New(fiber.Config{
		AppName:               "wabsp",
		ErrorHandler:          onError,
		BodyLimit:             max(d.BodyLimit, d.Meta.MaxBody),
		CaseSensitive:         true,
		DisableStartupMessage: true,
		ReadTimeout:           30 * time.Second,
		WriteTimeout:          30 * time.Second,
		IdleTimeout:           120 * time.Second,
	})
	recoverer := recover.New(recover.Config{EnableStackTrace: true, StackTraceHandler: logPanic(d.Log)})
	webhook := newMetaWebhook(d.Meta, d.Log)
	// Meta's webhook POSTs are registered ahead of the generic middleware:
	// they are most of the traffic, and the handler keeps its own request
	// id, metrics and logging, at a fraction of the generic chain's cost.
	app.Post(metaWebhookPath, recoverer, webhook.receive)
	app.Use(recoverer)
	app.Use(requestID())
	app.Use(metrics.handler)
	app.Use(accessLog(d.Log, onError))

	app.Get(metaWebhookPath, webhook.handshake)
	app.Get("/metrics", metricsHandler(d.Metrics))
	if err := mountDocs(app, doc); err != nil {
		return nil, err
	}

	partners := newPartnerCache(d.Tenants, partnerCacheTTL)
	app.Use("/v1",
		resolveOperation(newOperations(doc)),
		authenticate(d.Verifier, d.RequestTimeout),
		rateLimit(d.Redis, d.RateLimit, d.RateBurst, d.Log),
		apiBodyLimit(d.BodyLimit),
		validateRequest(doc),
	)
	srv := &Server{log: d.Log, db: d.DB, redis: d.Redis, tenants: d.Tenants, issuer: d.Issuer,
		keyring: d.Keyring, partners: partners, now: time.Now, webhooks: d.Webhooks, jobs: d.Jobs,
		quality: d.Quality, onboard: d.Onboarder, graph: d.Graph, billing: d.Billing, optins: d.Optins,
		outbound: d.Outbound, insights: d.Insights, onboardings: d.Onboardings, onboardingQueue: d.OnboardingQueue,
		sends: d.Sends, submitter: d.Submitter, campaigns: d.Campaigns,
		tracker: numberTracker(d.Quality), numberPolls: d.NumberPolls}
	authz := &authorizer{partners: partners, suspended: suspendedFunc(d.Tenants)}
	openapi.RegisterHandlers(app, openapi.NewStrictHandler(srv, []openapi.StrictMiddlewareFunc{authz.middleware, negotiate}))
	return app, nil
}

// suspendedFunc reports suspension from the tenants service. An unknown
// tenant is not suspended: the handler answers 404 for it.
func suspendedFunc(svc *tenants.Service) func(ctx context.Context, id uuid.UUID) (bool, error) {
	return func(ctx context.Context, id uuid.UUID) (bool, error) {
		t, err := svc.GetTenant(ctx, id)
		if apperr.Is(err, apperr.NotFound) {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		return t.Suspended(), nil
	}
}

// logPanic logs a recovered panic with its stack; the client gets a plain
// 500 problem through the error handler.
func logPanic(log *slog.Logger) func(c *fiber.Ctx, e any) {
	return func(c *fiber.Ctx, e any) {
		log.Error("panic serving request", "request_id", requestIDOf(c), "path", c.Path(),
			"panic", fmt.Sprint(e), "stack", string(debug.Stack()))
	}
}
