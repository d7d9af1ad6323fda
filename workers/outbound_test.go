package workers

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/hibiken/asynq"
	"github.com/jackc/pgx/v5"
	"github.com/redis/go-redis/v9"

	"github.com/wabsp/wabsp/internal/config"
	"github.com/wabsp/wabsp/internal/events"
	"github.com/wabsp/wabsp/internal/pg"
	"github.com/wabsp/wabsp/internal/pgtest"
	"github.com/wabsp/wabsp/internal/redistest"
	"github.com/wabsp/wabsp/internal/secretbox"
	"github.com/wabsp/wabsp/tenants/tenantstest"
	"github.com/wabsp/wabsp/webhooks/outbound"
)

// outboundRig is the outbound pipeline on real Postgres and Redis: the
// domain service, an asynq outbound server running the delivery tasks and a
// loop standing in for the one-second scheduler.
type outboundRig struct {
	db     *pg.DB
	rdb    *redis.Client
	svc    *outbound.Service
	tenant uuid.UUID
}

func newOutboundRig(tb testing.TB, o outbound.Options) *outboundRig {
	tb.Helper()
	db := pgtest.New(tb)
	_, rdb := redistest.New(tb)
	key, err := secretbox.GenerateKey()
	if err != nil {
		tb.Fatal(err)
	}
	box, err := secretbox.New([]config.NamedKey{key})
	if err != nil {
		tb.Fatal(err)
	}
	o.AllowHTTP = true
	o.Addresses = outbound.AddressPolicy{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}}
	svc := outbound.NewService(db, box, o)
	tenant := tenantstest.MustCreateTenant(tb, tenantstest.NewService(tb, db), "Acme").ID
	return &outboundRig{db: db, rdb: rdb, svc: svc, tenant: tenant}
}

// start runs the outbound server and the pump loop until the test ends.
func (r *outboundRig) start(tb testing.TB, concurrency int) {
	tb.Helper()
	client := asynq.NewClientFromRedisClient(r.rdb)
	ob := NewOutbound(r.svc, client, r.rdb, nil, OutboundOptions{RunBudget: time.Second})
	r.svc.SetWaker(ob)
	mux := asynq.NewServeMux()
	ob.Register(mux)
	srv := NewOutboundServer(r.rdb, slog.New(slog.DiscardHandler), ServerOptions{Concurrency: concurrency, ShutdownTimeout: time.Second})
	if err := srv.Start(mux); err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ctx.Err() == nil {
			if err := ob.HandlePump(ctx, nil); err != nil && ctx.Err() == nil {
				tb.Errorf("pump: %v", err)
			}
			select {
			case <-ctx.Done():
			case <-time.After(100 * time.Millisecond):
			}
		}
	}()
	tb.Cleanup(func() {
		cancel()
		<-done
		srv.Shutdown()
	})
}

func (r *outboundRig) subscribe(tb testing.TB, url string) uuid.UUID {
	tb.Helper()
	sub, _, err := r.svc.Create(context.Background(), outbound.TenantOwner(r.tenant),
		outbound.NewSubscription{URL: url, EventTypes: []string{"*"}}, "")
	if err != nil {
		tb.Fatal(err)
	}
	return sub.ID
}

// emit stores n events in one transaction and returns their message ids.
func (r *outboundRig) emit(tb testing.TB, n int) []string {
	tb.Helper()
	var ids []string
	err := r.db.InTenantTx(context.Background(), r.tenant, func(tx pgx.Tx) error {
		for i := range n {
			_, err := events.Emit(context.Background(), tx, events.Event{
				TenantID: r.tenant, Type: events.OptinChanged, Subject: fmt.Sprint(i),
				OccurredAt: time.Now(), Data: map[string]int{"n": i},
			})
			if err != nil {
				return err
			}
		}
		rows, err := tx.Query(context.Background(),
			`SELECT 'evt_' || id FROM domain_events WHERE tenant_id = $1 ORDER BY id DESC LIMIT $2`, r.tenant, n)
		if err != nil {
			return err
		}
		ids, err = pgx.CollectRows(rows, pgx.RowTo[string])
		return err
	})
	if err != nil {
		tb.Fatal(err)
	}
	return ids
}

// waitDelivered waits until subs have n delivered deliveries each and none
// pending, failing after two minutes: a liveness bound, not a measurement.
// It polls only the pending queue (an index) and the pump's cursor, and
// counts deliveries once at the end, so it does not compete with the
// workers it waits for.
func (r *outboundRig) waitDelivered(tb testing.TB, n int, subs ...uuid.UUID) {
	tb.Helper()
	ctx := context.Background()
	deadline := time.Now().Add(2 * time.Minute)
	ids := make([]string, len(subs))
	for i, s := range subs {
		ids[i] = s.String()
	}
	for {
		var pumped bool
		var pending int
		err := r.db.QueryRow(ctx, `
			SELECT (SELECT last_event_id FROM webhook_pump) >= (SELECT coalesce(max(id), 0) FROM domain_events),
				(SELECT count(*) FROM webhook_deliveries WHERE subscription_id = ANY($1::uuid[]) AND status = 'pending')`,
			ids).Scan(&pumped, &pending)
		if err != nil {
			tb.Fatal(err)
		}
		if pumped && pending == 0 {
			break
		}
		if time.Now().After(deadline) {
			tb.Fatalf("after two minutes %d deliveries are pending (events pumped: %v)", pending, pumped)
		}
		time.Sleep(25 * time.Millisecond)
	}
	var delivered int
	err := r.db.QueryRow(ctx, `SELECT count(*) FROM webhook_deliveries WHERE subscription_id = ANY($1::uuid[]) AND status = 'delivered'`,
		ids).Scan(&delivered)
	if err != nil {
		tb.Fatal(err)
	}
	if delivered != n*len(subs) {
		tb.Fatalf("%d deliveries delivered, want %d", delivered, n*len(subs))
	}
}

// scripted is an endpoint whose answer depends on how many requests it has
// seen; it records every webhook-id with the status it answered.
type scripted struct {
	mu      sync.Mutex
	n       int
	seen    map[string][]int
	answer  func(n int) int // 0 means hang until the client gives up
	release chan struct{}
}

func newScripted(tb testing.TB, answer func(n int) int) (*scripted, string) {
	s := &scripted{seen: map[string][]int{}, answer: answer, release: make(chan struct{})}
	srv := httptest.NewServer(s)
	tb.Cleanup(func() {
		close(s.release)
		srv.Close()
	})
	return s, srv.URL
}

func (s *scripted) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_, _ = io.Copy(io.Discard, r.Body)
	s.mu.Lock()
	s.n++
	code := s.answer(s.n)
	s.mu.Unlock()
	if code == 0 {
		select {
		case <-r.Context().Done():
		case <-s.release:
		}
		code = http.StatusGatewayTimeout
	}
	s.mu.Lock()
	id := r.Header.Get(outbound.HeaderID)
	s.seen[id] = append(s.seen[id], code)
	s.mu.Unlock()
	w.WriteHeader(code)
}

func (s *scripted) started() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.n
}

func (s *scripted) answers() map[string][]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string][]int, len(s.seen))
	for k, v := range s.seen {
		out[k] = append([]int(nil), v...)
	}
	return out
}

// An endpoint that fails for a while, then times out, then recovers gets
// every event, each with one webhook-id across its retries; an endpoint
// that never answers does not hold back a healthy one.
func TestOutboundFaults(t *testing.T) {
	r := newOutboundRig(t, outbound.Options{
		AttemptTimeout: 150 * time.Millisecond,
		Retry:          outbound.RetryPolicy{First: 20 * time.Millisecond, Max: 100 * time.Millisecond, Horizon: time.Hour},
	})
	flaky, flakyURL := newScripted(t, func(n int) int {
		switch {
		case n <= 6:
			return http.StatusInternalServerError
		case n <= 10:
			return 0
		}
		return http.StatusOK
	})
	dead, deadURL := newScripted(t, func(int) int { return 0 })
	healthy, healthyURL := newScripted(t, func(int) int { return http.StatusNoContent })
	flakySub, healthySub := r.subscribe(t, flakyURL), r.subscribe(t, healthyURL)
	r.subscribe(t, deadURL)
	r.start(t, 8)

	const n = 40
	ids := r.emit(t, n)
	r.waitDelivered(t, n, healthySub)
	if dead.started() == 0 {
		t.Error("the dead endpoint was never tried, so it proved nothing")
	}
	r.waitDelivered(t, n, flakySub)

	for name, ep := range map[string]*scripted{"flaky": flaky, "healthy": healthy} {
		seen := ep.answers()
		for _, id := range ids {
			codes := seen[id]
			if len(codes) == 0 || codes[len(codes)-1]/100 != 2 {
				t.Errorf("%s: %s answered %v, want a final 2xx", name, id, codes)
			}
		}
		if len(seen) != n {
			t.Errorf("%s saw %d webhook-ids, want %d", name, len(seen), n)
		}
	}
	retried := 0
	for _, codes := range flaky.answers() {
		if len(codes) > 1 {
			retried++
		}
	}
	if retried == 0 {
		t.Error("no event was retried under its own webhook-id")
	}
}
