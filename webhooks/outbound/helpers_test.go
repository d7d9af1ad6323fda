package outbound

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/wabsp/wabsp/internal/config"
	"github.com/wabsp/wabsp/internal/events"
	"github.com/wabsp/wabsp/internal/pg"
	"github.com/wabsp/wabsp/internal/pgtest"
	"github.com/wabsp/wabsp/internal/secretbox"
	"github.com/wabsp/wabsp/tenants"
	"github.com/wabsp/wabsp/tenants/tenantstest"
)

// loopback opens 127.0.0.0/8, as the operator setting does for tests.
var loopback = AddressPolicy{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}}

// fastRetry keeps retries within a test's patience.
var fastRetry = RetryPolicy{First: 10 * time.Millisecond, Max: 40 * time.Millisecond, Horizon: time.Hour}

type env struct {
	db      *pg.DB
	svc     *Service
	tenants *tenants.Service
}

func newEnv(t *testing.T, mutate ...func(*Options)) env {
	t.Helper()
	db := pgtest.New(t)
	key, err := secretbox.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	box, err := secretbox.New([]config.NamedKey{key})
	if err != nil {
		t.Fatal(err)
	}
	o := Options{AllowHTTP: true, Addresses: loopback, Retry: fastRetry, AttemptTimeout: 2 * time.Second}
	for _, m := range mutate {
		m(&o)
	}
	return env{db: db, svc: NewService(db, box, o), tenants: tenantstest.NewService(t, db)}
}

func (e env) tenant(t *testing.T, name string) uuid.UUID {
	t.Helper()
	return tenantstest.MustCreateTenant(t, e.tenants, name).ID
}

func (e env) subscribe(t *testing.T, o Owner, url string, types ...string) (Subscription, string) {
	t.Helper()
	sub, secret, err := e.svc.Create(context.Background(), o, NewSubscription{URL: url, EventTypes: types}, "")
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	return sub, secret
}

// emit stores an outbox event the way domains do.
func (e env) emit(t *testing.T, tenantID uuid.UUID, typ, subject string, data any) {
	t.Helper()
	err := e.db.InTenantTx(context.Background(), tenantID, func(tx pgx.Tx) error {
		_, err := events.Emit(context.Background(), tx, events.Event{
			TenantID: tenantID, Type: typ, Subject: subject, OccurredAt: time.Now(), Data: data,
		})
		return err
	})
	if err != nil {
		t.Fatalf("emit %s: %v", typ, err)
	}
}

// pumpAll runs Pump until the outbox is drained.
func (e env) pumpAll(t *testing.T) PumpResult {
	t.Helper()
	var total PumpResult
	for {
		res, err := e.svc.Pump(context.Background(), 500)
		if err != nil {
			t.Fatalf("Pump: %v", err)
		}
		total.Events += res.Events
		total.Deliveries += res.Deliveries
		total.Woken = append(total.Woken, res.Woken...)
		if !res.More {
			return total
		}
	}
}

// receiver is a test endpoint that records requests and answers what its
// respond function says.
type receiver struct {
	*httptest.Server
	mu      sync.Mutex
	got     []*received
	respond func(n int, r *http.Request) int
}

type received struct {
	header http.Header
	body   []byte
}

func newReceiver(t *testing.T, respond func(n int, r *http.Request) int) *receiver {
	t.Helper()
	rc := &receiver{respond: respond}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		rc.got = append(rc.got, &received{header: r.Header.Clone(), body: body})
		n := len(rc.got)
		rc.mu.Unlock()
		code := http.StatusNoContent
		if rc.respond != nil {
			code = rc.respond(n, r)
		}
		w.WriteHeader(code)
	}))
	t.Cleanup(rc.Close)
	return rc
}

func (rc *receiver) requests() []*received {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]*received(nil), rc.got...)
}
