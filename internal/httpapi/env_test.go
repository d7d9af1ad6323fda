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

	"github.com/wabsp/wabsp/internal/auth"
	"github.com/wabsp/wabsp/internal/config"
	"github.com/wabsp/wabsp/internal/httpapi"
	"github.com/wabsp/wabsp/internal/pg"
	"github.com/wabsp/wabsp/internal/pgtest"
	"github.com/wabsp/wabsp/internal/redistest"
	"github.com/wabsp/wabsp/openapi"
	"github.com/wabsp/wabsp/tenants"
	"github.com/wabsp/wabsp/tenants/tenantstest"
	"github.com/wabsp/wabsp/webhooks"
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
	app, err := httpapi.NewApp(httpapi.Deps{
		Webhooks:  hooks,
		Jobs:      workers.NewJobs(tasks),
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
