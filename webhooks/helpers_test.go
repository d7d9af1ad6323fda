package webhooks_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/wabsp/wabsp/internal/pg"
	"github.com/wabsp/wabsp/internal/pgtest"
	"github.com/wabsp/wabsp/webhooks"
)

// fixtureDir holds Meta's verbatim webhook examples; the repository is
// checked out beside shared/.
const fixtureDir = "../../shared/meta/fixtures"

// The ids Meta's fixtures use.
const (
	wabaMain     = "102290129340398"
	phoneMain    = "106540352242922"
	displayMain  = "+15550783881"
	wabaSecond   = "495709166956424"
	phoneSecond  = "200000000000001"
	displaySec   = "+124545784358810"
	wabaPartner  = "980198427658004"
	wabaCapacity = "524126980791429"
	wabaAppIn    = "1191624265890717"
	wabaAppOut   = "184943124712545"
)

type env struct {
	ctx context.Context
	db  *pg.DB
	svc *webhooks.Service
	reg *prometheus.Registry
}

// newEnv returns a service on a fresh database. Unknown ids are not cached,
// so seeding takes effect at once.
func newEnv(t testing.TB) *env {
	t.Helper()
	db := pgtest.New(t)
	reg := prometheus.NewRegistry()
	svc, err := webhooks.NewService(db, reg, nil, webhooks.WithLookupTTL(time.Minute, 0))
	if err != nil {
		t.Fatal(err)
	}
	return &env{ctx: context.Background(), db: db, svc: svc, reg: reg}
}

// reset empties the intake and message tables, keeping tenants, WABAs and
// numbers, so subtests can share a database.
func (e *env) reset(t testing.TB) {
	t.Helper()
	e.exec(t, `TRUNCATE webhook_archive, webhook_archive_digests, webhook_routed, webhook_routes, webhook_orphans,
		message_statuses, inbound_messages, tenant_events`)
}

// fresh returns an env on the same database with a new service, for tests
// that register handlers.
func (e *env) fresh(t testing.TB) *env {
	t.Helper()
	reg := prometheus.NewRegistry()
	svc, err := webhooks.NewService(e.db, reg, nil, webhooks.WithLookupTTL(time.Minute, 0))
	if err != nil {
		t.Fatal(err)
	}
	return &env{ctx: e.ctx, db: e.db, svc: svc, reg: reg}
}

func (e *env) exec(t testing.TB, sql string, args ...any) {
	t.Helper()
	if _, err := e.db.Exec(e.ctx, sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

func (e *env) seedTenant(t testing.TB, slug string) uuid.UUID {
	t.Helper()
	id := uuid.New()
	e.exec(t, `INSERT INTO tenants (id, name, slug) VALUES ($1, $2, $2)`, id, slug)
	return id
}

// seedWABA gives tenant the WABA and returns its row id.
func (e *env) seedWABA(t testing.TB, tenant uuid.UUID, wabaID string) uuid.UUID {
	t.Helper()
	id := uuid.New()
	e.exec(t, `INSERT INTO wabas (id, tenant_id, waba_id) VALUES ($1, $2, $3)`, id, tenant, wabaID)
	return id
}

func (e *env) seedPhone(t testing.TB, tenant, wabaRef uuid.UUID, phoneID, display string) {
	t.Helper()
	e.exec(t, `INSERT INTO phone_numbers (id, tenant_id, waba_ref, phone_number_id, display_phone_number)
		VALUES ($1, $2, $3, $4, $5)`, uuid.New(), tenant, wabaRef, phoneID, display)
}

// seedMain creates a tenant owning the fixtures' main WABA and number.
func (e *env) seedMain(t testing.TB) uuid.UUID {
	t.Helper()
	tenant := e.seedTenant(t, "main-"+uuid.NewString()[:8])
	e.seedPhone(t, tenant, e.seedWABA(t, tenant, wabaMain), phoneMain, displayMain)
	return tenant
}

// run drives the pipeline the way the workers do and returns the batches.
func (e *env) run(t testing.TB, bodies ...[]byte) []webhooks.TenantBatch {
	t.Helper()
	in := make([]webhooks.Body, len(bodies))
	for i, b := range bodies {
		in[i] = webhooks.Body{Raw: b, ReceivedAt: time.Now(), AppID: "app1"}
	}
	archived, err := e.svc.Archive(e.ctx, in)
	if err != nil {
		t.Fatalf("archive: %v", err)
	}
	batches := e.routeApply(t, archived)
	ids := make([]int64, len(archived))
	for i, a := range archived {
		ids[i] = a.ID
	}
	if err := e.svc.MarkRouted(e.ctx, ids); err != nil {
		t.Fatalf("mark routed: %v", err)
	}
	return batches
}

func (e *env) routeApply(t testing.TB, archived []webhooks.Archived) []webhooks.TenantBatch {
	t.Helper()
	batches, err := e.svc.Route(e.ctx, archived)
	if err != nil {
		t.Fatalf("route: %v", err)
	}
	e.apply(t, batches)
	return batches
}

func (e *env) apply(t testing.TB, batches []webhooks.TenantBatch) {
	t.Helper()
	for _, b := range batches {
		if err := e.svc.Apply(e.ctx, b.TenantID, b.Changes); err != nil {
			t.Fatalf("apply: %v", err)
		}
	}
}

func (e *env) count(t testing.TB, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := e.db.QueryRow(e.ctx, sql, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

// fixtures reads every Meta fixture, keyed by file name without .json.
func fixtures(t testing.TB) map[string][]byte {
	t.Helper()
	entries, err := os.ReadDir(fixtureDir)
	if err != nil {
		t.Fatalf("read fixtures (the repository must sit beside shared/): %v", err)
	}
	out := map[string][]byte{}
	for _, de := range entries {
		if de.IsDir() || !strings.HasSuffix(de.Name(), ".json") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(fixtureDir, de.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out[strings.TrimSuffix(de.Name(), ".json")] = b
	}
	if len(out) == 0 {
		t.Fatal("no fixtures found")
	}
	return out
}

// statusBody is a messages webhook for the main number carrying statuses.
func statusBody(statuses ...string) []byte {
	return []byte(fmt.Sprintf(`{"object":"whatsapp_business_account","entry":[{"id":%q,"changes":[{"field":"messages",
"value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550783881","phone_number_id":%q},
"statuses":[%s]}}]}]}`, wabaMain, phoneMain, strings.Join(statuses, ",")))
}

// status is one statuses element.
func status(wamid, st string, ts int64) string {
	return fmt.Sprintf(`{"id":%q,"status":%q,"timestamp":"%d","recipient_id":"16505551234"}`, wamid, st, ts)
}

// counter reads a counter from the test registry; 0 when the series does not
// exist.
func (e *env) counter(t testing.TB, name string, labels map[string]string) float64 {
	t.Helper()
	families, err := e.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
	metrics:
		for _, m := range f.GetMetric() {
			if len(m.GetLabel()) != len(labels) {
				continue
			}
			for _, l := range m.GetLabel() {
				if labels[l.GetName()] != l.GetValue() {
					continue metrics
				}
			}
			return m.GetCounter().GetValue()
		}
	}
	return 0
}
