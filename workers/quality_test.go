package workers

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/hibiken/asynq"
	"golang.org/x/sync/errgroup"

	"github.com/wabsp/wabsp/internal/graph"
	"github.com/wabsp/wabsp/internal/metasim"
	"github.com/wabsp/wabsp/internal/pg"
	"github.com/wabsp/wabsp/internal/pgtest"
	"github.com/wabsp/wabsp/quality"
	"github.com/wabsp/wabsp/tenants"
	"github.com/wabsp/wabsp/tenants/tenantstest"
)

const simToken = "bsp-system-user-token"

// simClock is the simulated time shared by the Graph simulator, the client
// and the poller.
type simClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *simClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *simClock) set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

type pollEnv struct {
	db      *pg.DB
	tenants *tenants.Service
	quality *quality.Service
	sim     *metasim.Graph
	clock   *simClock
	poller  *QualityPoller
}

func newPollEnv(t *testing.T) *pollEnv {
	t.Helper()
	db := pgtest.New(t)
	clock := &simClock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	sim := metasim.NewGraph(metasim.WithClock(clock.now))
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	client, err := graph.New(srv.URL, "v25.0", graph.WithClock(clock.now))
	if err != nil {
		t.Fatal(err)
	}
	q, err := quality.NewService(db, nil, nil, quality.WithClock(clock.now))
	if err != nil {
		t.Fatal(err)
	}
	ts := tenantstest.NewService(t, db)
	return &pollEnv{db: db, tenants: ts, quality: q, sim: sim, clock: clock,
		poller: &QualityPoller{Quality: q, Tenants: ts, Graph: client, Now: clock.now}}
}

// seedWABA registers a WABA with wabsp and the simulator, with one number
// and one template in the simulator only (Meta knows them; wabsp learns
// them by polling). Every tenth number is rated RED.
func (e *pollEnv) seedWABA(tenantID uuid.UUID, i int) (tenants.WABA, error) {
	w, err := e.tenants.CreateWABA(context.Background(), tenantstest.Seeder, tenantID, tenants.NewWABA{
		WABAID: fmt.Sprintf("7%014d", i), Name: fmt.Sprintf("WABA %d", i), AccessToken: simToken,
	})
	if err != nil {
		return w, err
	}
	if err := e.sim.AddWABA(metasim.WABA{ID: w.WABAID, AccessToken: simToken}); err != nil {
		return w, err
	}
	rating := "GREEN"
	if i%10 == 0 {
		rating = "RED"
	}
	if _, err := e.sim.AddPhoneNumber(metasim.PhoneNumber{ID: fmt.Sprintf("8%014d", i), WABAID: w.WABAID,
		DisplayPhoneNumber: fmt.Sprintf("1555%07d", i), QualityRating: rating}); err != nil {
		return w, err
	}
	_, err = e.sim.AddTemplate(metasim.Template{WABAID: w.WABAID, Name: "order_update"})
	return w, err
}

// spend makes n calls to a WABA from another app of the same business, so
// the WABA starts near its budget.
func (e *pollEnv) spend(wabaID string, n int) error {
	for range n {
		req := httptest.NewRequest(http.MethodGet, "/v25.0/"+wabaID+"?fields=name", nil)
		req.Header.Set("Authorization", "Bearer "+simToken)
		rec := httptest.NewRecorder()
		e.sim.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			return fmt.Errorf("spending budget of %s: %d %s", wabaID, rec.Code, rec.Body)
		}
	}
	return nil
}

// TestReconcileThousandWABAsWithinBudget onboards and polls 1,000 WABAs
// against the simulator, which enforces Meta's 200 calls per hour per WABA.
// A quarter of the WABAs start with 198 of their 200 calls spent by other
// traffic, others with 150 or 100. A simulated scheduler runs every five
// minutes for ninety minutes and, like asynq, brings a held-back task back
// after the wait the client named. Meta must never have to refuse a call,
// and every WABA must end up subscribed and reconciled.
func TestReconcileThousandWABAsWithinBudget(t *testing.T) {
	if testing.Short() {
		t.Skip("reconciles 1,000 WABAs")
	}
	e := newPollEnv(t)
	ctx := context.Background()
	const wabas = 1000
	start := e.clock.now()
	e.clock.set(start.Add(-30 * time.Minute))
	seed := errgroup.Group{}
	for tn := range 10 {
		tenant := tenantstest.MustCreateTenant(t, e.tenants, fmt.Sprintf("Tenant %d", tn))
		seed.Go(func() error {
			for i := tn * (wabas / 10); i < (tn+1)*(wabas/10); i++ {
				w, err := e.seedWABA(tenant.ID, i)
				if err != nil {
					return err
				}
				if err := e.spend(w.WABAID, []int{198, 150, 100, 0}[i%4]); err != nil {
					return err
				}
			}
			return nil
		})
	}
	if err := seed.Wait(); err != nil {
		t.Fatal(err)
	}
	e.sim.ResetCalls()
	e.clock.set(start)

	type key struct {
		ref  uuid.UUID
		what string
	}
	var (
		mu      sync.Mutex
		nextTry = map[key]time.Time{}
		held    int
	)
	run := func(k key, d quality.DuePoll) error {
		mu.Lock()
		wait := nextTry[k]
		mu.Unlock()
		if e.clock.now().Before(wait) {
			return nil
		}
		var err error
		if k.what == "onboard" {
			err = e.poller.Onboard(ctx, d.TenantID, d.WABARef)
		} else {
			_, err = e.poller.Reconcile(ctx, d.TenantID, d.WABARef, k.what)
		}
		if w, limited := graphWait(taskError(err)); limited {
			mu.Lock()
			nextTry[k], held = e.clock.now().Add(w), held+1
			mu.Unlock()
			return nil
		}
		return err
	}
	for tick := 0; tick <= 90; tick += 5 {
		e.clock.set(start.Add(time.Duration(tick) * time.Minute))
		due, err := e.quality.DuePolls(ctx, e.clock.now(), time.Hour, 6*time.Hour, 2*wabas)
		if err != nil {
			t.Fatal(err)
		}
		g := errgroup.Group{}
		g.SetLimit(12)
		for _, d := range due {
			g.Go(func() error {
				if !d.Subscribed {
					return run(key{d.WABARef, "onboard"}, d)
				}
				for _, what := range []struct {
					due  bool
					name string
				}{{d.Numbers, ReconcileNumbers}, {d.Templates, ReconcileTemplates}} {
					if what.due {
						if err := run(key{d.WABARef, what.name}, d); err != nil {
							return err
						}
					}
				}
				return nil
			})
		}
		if err := g.Wait(); err != nil {
			t.Fatalf("minute %d: %v", tick, err)
		}
	}

	throttled, perWABA := 0, map[string]int{}
	for _, c := range e.sim.Calls() {
		if c.ErrorCode != 0 {
			throttled++
		}
		perWABA[c.WABAID]++
	}
	if throttled != 0 {
		t.Errorf("Meta refused %d calls; the poller must stay within every WABA's budget", throttled)
	}
	if held == 0 {
		t.Error("no call was ever held back: the budget never bound, so the test proves nothing")
	}
	counts := map[string]int{}
	for name, sql := range map[string]string{
		"reconciled accounts": `SELECT count(*) FROM quality_accounts WHERE subscribed_at IS NOT NULL
			AND numbers_polled_at IS NOT NULL AND templates_polled_at IS NOT NULL`,
		"numbers":           `SELECT count(*) FROM quality_numbers`,
		"onboarded numbers": `SELECT count(*) FROM phone_numbers`,
		"templates":         `SELECT count(*) FROM quality_templates WHERE status = 'APPROVED'`,
		"red number alerts": `SELECT count(*) FROM quality_alerts WHERE kind = 'number_quality' AND resolved_at IS NULL`,
	} {
		var n int
		if err := e.db.QueryRow(ctx, sql).Scan(&n); err != nil {
			t.Fatal(err)
		}
		counts[name] = n
	}
	want := map[string]int{"reconciled accounts": wabas, "numbers": wabas, "onboarded numbers": wabas, "templates": wabas, "red number alerts": wabas / 10}
	for name, n := range want {
		if counts[name] != n {
			t.Errorf("%s = %d, want %d", name, counts[name], n)
		}
	}
	for _, w := range e.sim.WABAs() {
		if len(e.sim.Subscriptions(w.ID)) != 1 {
			t.Errorf("WABA %s is not subscribed in the simulator", w.ID)
			break
		}
	}
	t.Logf("%d calls to Meta for %d WABAs, %d held back by the client, max %d calls for one WABA",
		len(e.sim.Calls()), wabas, held, maxOf(perWABA))
}

func maxOf(m map[string]int) int {
	n := 0
	for _, v := range m {
		n = max(n, v)
	}
	return n
}

// TestPollFailureIsNotRetriedBlindly revokes a WABA's token at Meta: the
// Graph error is recorded on the account, the task is not retried, and the
// scheduler leaves the WABA alone until the back-off ends.
func TestPollFailureIsNotRetriedBlindly(t *testing.T) {
	e := newPollEnv(t)
	ctx := context.Background()
	tenant := tenantstest.MustCreateTenant(t, e.tenants, "Revoked")
	w, err := e.seedWABA(tenant.ID, 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.tenants.UpdateWABA(ctx, tenantstest.Seeder, tenant.ID, w.ID, tenants.WABAPatch{AccessToken: ptr("revoked-token")}); err != nil {
		t.Fatal(err)
	}
	err = taskError(e.poller.Onboard(ctx, tenant.ID, w.ID))
	var gerr *graph.Error
	if !errors.As(err, &gerr) || gerr.Code != 190 || !errors.Is(err, asynq.SkipRetry) {
		t.Fatalf("err = %v, want graph error 190 marked SkipRetry", err)
	}
	due, err := e.quality.DuePolls(ctx, e.clock.now().Add(59*time.Minute), time.Hour, 6*time.Hour, 10)
	if err != nil || len(due) != 0 {
		t.Fatalf("due within the back-off = %+v (err %v), want none", due, err)
	}
	due, err = e.quality.DuePolls(ctx, e.clock.now().Add(61*time.Minute), time.Hour, 6*time.Hour, 10)
	if err != nil || len(due) != 1 {
		t.Fatalf("due after the back-off = %+v (err %v), want the WABA", due, err)
	}
	accounts, err := e.quality.Accounts(ctx, tenant.ID)
	if err != nil || len(accounts) != 1 || accounts[0].PollError == "" {
		t.Fatalf("accounts = %+v (err %v), want the poll error recorded", accounts, err)
	}
	if n := len(e.sim.Calls()); n != 1 {
		t.Errorf("calls to Meta = %d, want the single failed one", n)
	}
}

func ptr[T any](v T) *T { return &v }
