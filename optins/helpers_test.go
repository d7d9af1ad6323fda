package optins_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/wabsp/wabsp/internal/pg"
	"github.com/wabsp/wabsp/internal/pgtest"
	"github.com/wabsp/wabsp/optins"
	"github.com/wabsp/wabsp/webhooks"
)

// fixtureDir holds Meta's verbatim webhook examples; the repository is
// checked out beside shared/.
const fixtureDir = "../../shared/meta/fixtures"

// The ids Meta's fixtures use.
const (
	wabaMain    = "102290129340398"
	phoneMain   = "106540352242922"
	displayMain = "+15550783881"
)

// clock is a settable time source.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

type env struct {
	ctx    context.Context
	db     *pg.DB
	svc    *optins.Service
	hooks  *webhooks.Service
	clock  *clock
	tenant uuid.UUID
}

// newEnv returns the domain on a fresh database, wired into the intake as
// cmd/wabsp wires it, with a tenant owning the fixtures' WABA and number.
func newEnv(t testing.TB) *env {
	t.Helper()
	db := pgtest.New(t)
	hooks, err := webhooks.NewService(db, prometheus.NewRegistry(), nil, webhooks.WithLookupTTL(time.Minute, 0))
	if err != nil {
		t.Fatal(err)
	}
	c := &clock{t: time.Now().UTC()}
	svc := optins.NewService(db, optins.WithClock(c.now))
	hooks.Register(webhooks.FieldMessages, hooks.Defaults(), svc.Handler())
	hooks.Register(webhooks.FieldUserPreferences, hooks.Defaults(), svc.Handler())
	e := &env{ctx: context.Background(), db: db, svc: svc, hooks: hooks, clock: c}
	e.tenant = e.seedTenant(t, wabaMain, phoneMain, displayMain)
	return e
}

func (e *env) exec(t testing.TB, sql string, args ...any) {
	t.Helper()
	if _, err := e.db.Exec(e.ctx, sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// seedTenant creates a tenant owning a WABA and a number.
func (e *env) seedTenant(t testing.TB, wabaID, phoneID, display string) uuid.UUID {
	t.Helper()
	tenant, waba := uuid.New(), uuid.New()
	e.exec(t, `INSERT INTO tenants (id, name, slug) VALUES ($1, $2, $2)`, tenant, "t-"+tenant.String()[:8])
	e.exec(t, `INSERT INTO wabas (id, tenant_id, waba_id) VALUES ($1, $2, $3)`, waba, tenant, wabaID)
	e.exec(t, `INSERT INTO phone_numbers (id, tenant_id, waba_ref, phone_number_id, display_phone_number)
		VALUES ($1, $2, $3, $4, $5)`, uuid.New(), tenant, waba, phoneID, display)
	return tenant
}

// feed drives bodies through the intake as the workers do and returns the
// batches it applied.
func (e *env) feed(t testing.TB, bodies ...[]byte) []webhooks.TenantBatch {
	t.Helper()
	in := make([]webhooks.Body, len(bodies))
	for i, b := range bodies {
		in[i] = webhooks.Body{Raw: b, ReceivedAt: e.clock.now(), AppID: "app1"}
	}
	archived, err := e.hooks.Archive(e.ctx, in)
	if err != nil {
		t.Fatalf("archive: %v", err)
	}
	batches, err := e.hooks.Route(e.ctx, archived)
	if err != nil {
		t.Fatalf("route: %v", err)
	}
	e.apply(t, batches)
	return batches
}

// apply applies routed batches, again when a test replays them as a retried
// task would.
func (e *env) apply(t testing.TB, batches []webhooks.TenantBatch) {
	t.Helper()
	for _, b := range batches {
		if err := e.hooks.Apply(e.ctx, b.TenantID, b.Changes); err != nil {
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

// fixture reads one Meta fixture by name without .json.
func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(fixtureDir, name+".json"))
	if err != nil {
		t.Fatalf("read fixture %s (the repository must sit beside shared/): %v", name, err)
	}
	return b
}

// inbound is a messages webhook for the main number carrying one message
// from wa_id (and BSUID, when set) with the given message JSON fields.
func inbound(waID, bsuid, wamid string, ts int64, msgFields string) []byte {
	contact := fmt.Sprintf(`{"profile":{"name":"Test User"},"wa_id":%q}`, waID)
	from := fmt.Sprintf(`"from":%q,`, waID)
	if bsuid != "" {
		contact = fmt.Sprintf(`{"profile":{"name":"Test User"},"wa_id":%q,"user_id":%q}`, waID, bsuid)
		from += fmt.Sprintf(`"from_user_id":%q,`, bsuid)
	}
	if waID == "" {
		contact = fmt.Sprintf(`{"profile":{"name":"Test User"},"user_id":%q}`, bsuid)
		from = fmt.Sprintf(`"from_user_id":%q,`, bsuid)
	}
	return []byte(fmt.Sprintf(`{"object":"whatsapp_business_account","entry":[{"id":%q,"changes":[{"field":"messages",
"value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550783881","phone_number_id":%q},
"contacts":[%s],"messages":[{%s"id":%q,"timestamp":"%d",%s}]}}]}]}`,
		wabaMain, phoneMain, contact, from, wamid, ts, msgFields))
}

// text is the message fields of a text message.
func text(body string) string {
	return fmt.Sprintf(`"type":"text","text":{"body":%q}`, body)
}

// withContactField adds a key to the contacts[] element of a body built by
// inbound.
func withContactField(body []byte, key, value string) []byte {
	return []byte(strings.Replace(string(body), `"profile":{"name":"Test User"},`,
		fmt.Sprintf(`"profile":{"name":"Test User"},%q:%q,`, key, value), 1))
}

// mustContact finds a contact or fails the test.
func (e *env) mustContact(t testing.TB, ref optins.ContactRef) optins.ContactDetail {
	t.Helper()
	d, err := e.svc.FindContact(e.ctx, e.tenant, ref)
	if err != nil {
		t.Fatalf("find contact %+v: %v", ref, err)
	}
	return d
}

// eventCount counts the tenant's outbox events of a type.
func (e *env) eventCount(t testing.TB, typ string) int {
	t.Helper()
	return e.count(t, `SELECT count(*) FROM domain_events WHERE tenant_id = $1 AND type = $2`, e.tenant, typ)
}
