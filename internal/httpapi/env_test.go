package httpapi_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"
	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/wabsp/wabsp/billing"
	"github.com/wabsp/wabsp/insights"
	"github.com/wabsp/wabsp/internal/auth"
	"github.com/wabsp/wabsp/internal/config"
	"github.com/wabsp/wabsp/internal/httpapi"
	"github.com/wabsp/wabsp/internal/pg"
	"github.com/wabsp/wabsp/internal/pgtest"
	"github.com/wabsp/wabsp/internal/redistest"
	"github.com/wabsp/wabsp/internal/secretbox"
	"github.com/wabsp/wabsp/openapi"
	"github.com/wabsp/wabsp/optins"
	"github.com/wabsp/wabsp/quality"
	"github.com/wabsp/wabsp/sending"
	"github.com/wabsp/wabsp/tenants"
	"github.com/wabsp/wabsp/tenants/onboarding"
	"github.com/wabsp/wabsp/tenants/tenantstest"
	"github.com/wabsp/wabsp/webhooks"
	"github.com/wabsp/wabsp/webhooks/outbound"
	"github.com/wabsp/wabsp/workers"
)

const (
	testIssuer   = "wabsp-test"
	testAudience = "wabsp-test-api"
)

// options vary the app a test gets.
type options struct {
	// verifierTTL is how long the verifier trusts a client's status.
	verifierTTL time.Duration
	rate        float64
	burst       int
	redis       *redis.Client // overrides the per-test Redis
	graph       httpapi.TemplateGraph
}

// env is an app on its own database and Redis, seeded with two tenants
// (A, the usual victim, and B), each with a WABA and a phone number, a
// partner for each, and a client of every role.
type env struct {
	t       *testing.T
	app     *fiber.App
	db      *pg.DB
	svc     *tenants.Service
	keyring *auth.Keyring
	issuer  *auth.Issuer
	metrics *prometheus.Registry
	logs    *bytes.Buffer

	tenantA, tenantB   tenants.Tenant
	wabaA, wabaB       tenants.WABA
	phoneA, phoneB     tenants.PhoneNumber
	partnerA, partnerB tenants.Partner

	admin, clientA, clientB, partnerClientA, partnerClientB tenantstest.Credentials

	rdb       *redis.Client
	hooks     *webhooks.Service
	archiveID int64 // an archived webhook body

	quality *quality.Service
	// billing has no seeded rate cards; tests that price call Seed.
	billing *billing.Service
	// Tenant A's quality records: a number, a template and an open alert.
	qualityNumberA, qualityAlertA uuid.UUID
	qualityTemplateA              string

	optins *optins.Service
	// Tenant A's contact and import.
	contactA, importA uuid.UUID

	outbound *outbound.Service
	// Tenant A's webhook subscription and a test delivery to it.
	subscriptionA uuid.UUID
	deliveryA     int64

	insights *insights.Service
	// Tenant A's journey and experiment.
	journeyA, experimentA uuid.UUID

	onboardings *onboarding.Service
	// Tenant A's Embedded Signup onboarding.
	onboardingA uuid.UUID
	sends       *sending.Store
	sendA       uuid.UUID
	// Tenant A's campaign.
	campaignA uuid.UUID
}

const (
	testAppID       = "test-app"
	testAppSecret   = "test-app-secret"
	testVerifyToken = "test-verify-token"
)

func newEnv(t *testing.T, o options) *env {
	t.Helper()
	if o.verifierTTL == 0 {
		o.verifierTTL = time.Minute
	}
	if o.rate == 0 {
		o.rate, o.burst = 1000, 1000
	}
	db := pgtest.New(t)
	rdb := o.redis
	if rdb == nil {
		_, rdb = redistest.New(t)
	}
	svc := tenantstest.NewService(t, db)
	key, err := auth.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	keyring, err := auth.NewKeyring([]config.NamedKey{key})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, db: db, svc: svc, keyring: keyring, logs: &bytes.Buffer{},
		issuer:  auth.NewIssuer(keyring, testIssuer, testAudience, 15*time.Minute),
		metrics: prometheus.NewRegistry()}
	hooks, err := webhooks.NewService(db, prometheus.NewRegistry(), slog.New(slog.NewJSONHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	tasks := asynq.NewClientFromRedisClient(rdb)
	intake := workers.NewIntakeQueue(tasks, nil, workers.IntakeOptions{})
	t.Cleanup(intake.Close)
	e.rdb, e.hooks = rdb, hooks
	if e.quality, err = quality.NewService(db, nil, nil); err != nil {
		t.Fatal(err)
	}
	e.billing = billing.NewService(db, billing.Config{})
	e.optins = optins.NewService(db)
	sealKey, err := secretbox.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	box, err := secretbox.New([]config.NamedKey{sealKey})
	if err != nil {
		t.Fatal(err)
	}
	e.outbound = outbound.NewService(db, box, outbound.Options{})
	e.insights = insights.NewService(db)
	e.onboardings = onboarding.NewService(db, box)
	e.sends = sending.NewStore(db)
	app, err := httpapi.NewApp(httpapi.Deps{
		Webhooks:  hooks,
		Jobs:      workers.NewJobs(tasks),
		Quality:   e.quality,
		Billing:   e.billing,
		Optins:    e.optins,
		Outbound:  e.outbound,
		Insights:  e.insights,
		Sends:     e.sends,
		Submitter: sending.NewSubmitter(db, e.optins, workers.SendEnqueuer{Client: tasks}.Enqueue),
		Campaigns: sending.NewCampaigns(db, workers.CampaignEnqueuer{Client: tasks}.Enqueue),
		Onboarder: workers.WABAOnboarder{Client: tasks},

		Onboardings: e.onboardings, OnboardingQueue: workers.Onboarder{Client: tasks}, NumberPolls: workers.QualityPolls{Client: tasks},
		Graph:     o.graph,
		Log:       slog.New(slog.NewJSONHandler(e.logs, nil)),
		DB:        db,
		Redis:     rdb,
		Tenants:   svc,
		Issuer:    e.issuer,
		Verifier:  auth.NewVerifier(keyring, testIssuer, testAudience, svc, o.verifierTTL),
		Keyring:   keyring,
		Metrics:   e.metrics,
		RateLimit: o.rate,
		RateBurst: o.burst,
		Meta: httpapi.MetaWebhookConfig{
			Secrets:     []config.AppSecret{{AppID: testAppID, Secret: []byte(testAppSecret)}},
			VerifyToken: testVerifyToken, MaxBody: 3 << 20, Queue: intake,
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	e.app = app
	e.seed()
	return e
}

func (e *env) seed() {
	t, svc := e.t, e.svc
	e.tenantA = tenantstest.MustCreateTenant(t, svc, "Tenant A")
	e.tenantB = tenantstest.MustCreateTenant(t, svc, "Tenant B")
	e.wabaA = tenantstest.MustCreateWABA(t, svc, e.tenantA.ID, "EAAJB0tokenA")
	e.wabaB = tenantstest.MustCreateWABA(t, svc, e.tenantB.ID, "EAAJB0tokenB")
	e.phoneA = tenantstest.MustCreatePhoneNumber(t, svc, e.tenantA.ID, e.wabaA.ID)
	e.phoneB = tenantstest.MustCreatePhoneNumber(t, svc, e.tenantB.ID, e.wabaB.ID)
	e.partnerA = tenantstest.MustCreatePartner(t, svc, "Partner A", e.tenantA.ID)
	e.partnerB = tenantstest.MustCreatePartner(t, svc, "Partner B", e.tenantB.ID)
	e.admin = tenantstest.MustCreateClient(t, svc, auth.RoleAdmin, uuid.Nil)
	e.clientA = tenantstest.MustCreateClient(t, svc, auth.RoleTenant, e.tenantA.ID)
	e.clientB = tenantstest.MustCreateClient(t, svc, auth.RoleTenant, e.tenantB.ID)
	e.partnerClientA = tenantstest.MustCreateClient(t, svc, auth.RolePartner, e.partnerA.ID)
	e.partnerClientB = tenantstest.MustCreateClient(t, svc, auth.RolePartner, e.partnerB.ID)
	ctx := context.Background()
	if _, err := e.hooks.Archive(ctx, []webhooks.Body{{Raw: []byte(`not json`), ReceivedAt: time.Now(), AppID: testAppID}}); err != nil {
		t.Fatalf("seed archive: %v", err)
	}
	entries, _, err := e.hooks.ListArchive(ctx, webhooks.ArchiveFilter{Status: webhooks.StatusPoison})
	if err != nil || len(entries) != 1 {
		t.Fatalf("seed archive: %v (%d entries)", err, len(entries))
	}
	e.archiveID = entries[0].ID
	e.seedQuality()
	e.seedOptins()
	e.seedOutbound()
	e.seedInsights()
	e.seedOnboarding()
	e.seedSend()
	e.seedCampaign()
}

// seedInsights gives tenant A a journey and an experiment on it.
func (e *env) seedInsights() {
	t, ctx := e.t, context.Background()
	j, err := e.insights.CreateJourney(ctx, e.tenantA.ID, insights.NewJourney{Key: "welcome", Name: "Welcome",
		Steps: []insights.Step{{Key: "hello", Match: insights.MatchTemplate, Value: "welcome"},
			{Key: "done", Match: insights.MatchEvent, Value: "signed_up"}}}, "")
	if err != nil {
		t.Fatalf("seed journey: %v", err)
	}
	x, err := e.insights.CreateExperiment(ctx, e.tenantA.ID, insights.NewExperiment{Key: "welcome_wording",
		Name: "Welcome wording", JourneyID: &j.ID,
		Variants: []insights.Variant{{Key: "long", Weight: 1}, {Key: "short", Weight: 1}}}, "")
	if err != nil {
		t.Fatalf("seed experiment: %v", err)
	}
	e.journeyA, e.experimentA = j.ID, x.ID
}

// seedOutbound gives tenant A a webhook subscription with a test delivery.
func (e *env) seedOutbound() {
	t, ctx := e.t, context.Background()
	sub, _, err := e.outbound.Create(ctx, outbound.TenantOwner(e.tenantA.ID), outbound.NewSubscription{
		URL: "https://hooks.tenant-a.example.com/wabsp", EventTypes: []string{"*"},
	}, "")
	if err != nil {
		t.Fatalf("seed subscription: %v", err)
	}
	d, err := e.outbound.SendTest(ctx, outbound.TenantOwner(e.tenantA.ID), sub.ID)
	if err != nil {
		t.Fatalf("seed delivery: %v", err)
	}
	e.subscriptionA, e.deliveryA = sub.ID, d.ID
}

// seedQuality gives tenant A a number rated RED (which opens an alert) and a
// template, as a poll would.
func (e *env) seedQuality() {
	t, ctx := e.t, context.Background()
	at := time.Now().UTC()
	if _, err := e.quality.ApplyNumberPoll(ctx, e.tenantA.ID, e.wabaA.WABAID, at, []quality.NumberPoll{{
		PhoneNumberID: e.phoneA.PhoneNumberID, DisplayPhoneNumber: e.phoneA.DisplayPhoneNumber, QualityRating: "RED", Status: "CONNECTED",
	}}); err != nil {
		t.Fatalf("seed quality number: %v", err)
	}
	e.qualityTemplateA = "1689556908129835"
	if _, err := e.quality.ApplyTemplatePoll(ctx, e.tenantA.ID, e.wabaA.WABAID, at, []quality.TemplatePoll{{
		ID: e.qualityTemplateA, Name: "order_update", Language: "en_US", Status: "APPROVED", Category: "UTILITY", QualityScore: "GREEN",
	}}); err != nil {
		t.Fatalf("seed quality template: %v", err)
	}
	alerts, err := e.quality.ListAlerts(ctx, e.tenantA.ID, quality.AlertFilter{}, quality.Page{})
	if err != nil || len(alerts.Items) != 1 {
		t.Fatalf("seed quality alert: %v (%d alerts)", err, len(alerts.Items))
	}
	e.qualityAlertA = alerts.Items[0].ID
	e.qualityNumberA = uuid.MustParse(alerts.Items[0].SubjectID)
}

// token issues a token for a seeded client, as the token endpoint would.
func (e *env) token(c tenantstest.Credentials) string {
	e.t.Helper()
	p, err := e.svc.Authenticate(context.Background(), c.Client.ClientID, c.Secret)
	if err != nil {
		e.t.Fatalf("authenticate %s: %v", c.Client.ClientID, err)
	}
	tok, _, err := e.issuer.Issue(p, time.Now())
	if err != nil {
		e.t.Fatal(err)
	}
	return tok
}

// response is what a test looks at.
type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) problem(t *testing.T) openapi.Problem {
	t.Helper()
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+json") {
		t.Fatalf("Content-Type = %q, want application/problem+json; body %s", ct, r.body)
	}
	var p openapi.Problem
	if err := json.Unmarshal(r.body, &p); err != nil {
		t.Fatalf("problem body %s: %v", r.body, err)
	}
	if p.RequestId == "" || p.RequestId != r.header.Get("X-Request-Id") {
		t.Errorf("problem request_id %q, header %q", p.RequestId, r.header.Get("X-Request-Id"))
	}
	if p.Status != r.status || p.Code == "" || p.Type == "" || p.Title == "" {
		t.Errorf("problem %+v for status %d", p, r.status)
	}
	return p
}

func (r response) decode(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

// request is one call; body is sent as is with contentType (JSON when
// empty and body is set).
type request struct {
	method, path string
	token        string
	body         string
	contentType  string
	header       map[string]string
}

func (e *env) do(r request) response {
	e.t.Helper()
	var body io.Reader
	if r.body != "" {
		body = strings.NewReader(r.body)
	}
	req := httptest.NewRequest(r.method, r.path, body)
	if r.body != "" {
		ct := r.contentType
		if ct == "" {
			ct = "application/json"
		}
		req.Header.Set("Content-Type", ct)
	}
	if r.token != "" {
		req.Header.Set("Authorization", "Bearer "+r.token)
	}
	for k, v := range r.header {
		req.Header.Set(k, v)
	}
	res, err := e.app.Test(req, -1)
	if err != nil {
		e.t.Fatalf("%s %s: %v", r.method, r.path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return response{status: res.StatusCode, header: res.Header, body: b}
}

func basic(id, secret string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(id+":"+secret))
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// counts snapshots the tables a refused request must not touch.
func (e *env) counts() map[string]int {
	e.t.Helper()
	out := map[string]int{}
	for _, table := range []string{"tenants", "partners", "partner_tenants", "api_clients", "wabas", "phone_numbers", "audit_log"} {
		var n int
		if err := e.db.QueryRow(context.Background(), "SELECT count(*) FROM "+table).Scan(&n); err != nil {
			e.t.Fatal(err)
		}
		out[table] = n
	}
	return out
}

// seedOptins gives tenant A a contact with a consent and an import.
func (e *env) seedOptins() {
	t, ctx := e.t, context.Background()
	en, err := e.optins.RecordConsent(ctx, e.tenantA.ID, "admin:seed", optins.ConsentInput{
		Contact: optins.ContactRef{WaID: "16505551234"}, Purpose: optins.PurposeMarketing, Action: optins.ActionOptIn,
		Source: optins.SourceWebForm, Evidence: optins.Evidence{NoticeText: "Yes to Tenant A offers"},
		OccurredAt: time.Now().Add(-time.Hour),
	}, "")
	if err != nil {
		t.Fatalf("seed consent: %v", err)
	}
	e.contactA = en.ContactID
	imp, err := e.optins.Import(ctx, e.tenantA.ID, "admin:seed", optins.FormatCSV,
		[]byte("wa_id,purpose,source,occurred_at,note\n16505550000,utility,import,2026-01-01T00:00:00Z,seed\n"), "")
	if err != nil {
		t.Fatalf("seed import: %v", err)
	}
	e.importA = imp.ID
}
