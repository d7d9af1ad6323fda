package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/wabsp/wabsp/internal/metasim"
	"github.com/wabsp/wabsp/internal/pgtest"
	"github.com/wabsp/wabsp/tenants/tenantstest"
	"github.com/wabsp/wabsp/webhooks"
	"github.com/wabsp/wabsp/workers"
)

// applyBenchPerBody is the statuses per body, as the end-to-end benchmark
// sends them: priced "sent" statuses.
const applyBenchPerBody = 50

// applyBench is a system with one tenant, WABA and number, and its rate
// cards loaded, for benchmarks of the apply path.
type applyBench struct {
	sys    *system
	tenant uuid.UUID
	wabaID string
	phone  string
}

func newApplyBench(tb testing.TB) *applyBench {
	_, dbURL := pgtest.NewWithURL(tb)
	ctx := context.Background()
	sys, err := openSystem(ctx, e2eConfig(tb, dbURL, nil), slog.New(slog.NewJSONHandler(io.Discard, nil)))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(sys.close)
	if err := sys.billing.Seed(ctx); err != nil {
		tb.Fatal(err)
	}
	tenant := tenantstest.MustCreateTenant(tb, sys.tenants, "Bench")
	waba := tenantstest.MustCreateWABA(tb, sys.tenants, tenant.ID, "EAAJbench")
	phone := tenantstest.MustCreatePhoneNumber(tb, sys.tenants, tenant.ID, waba.ID)
	return &applyBench{sys: sys, tenant: tenant.ID, wabaID: waba.WABAID, phone: phone.PhoneNumberID}
}

// changes archives and routes bodies of fresh statuses and returns the
// tenant's changes, as the intake hands them to an apply task.
func (a *applyBench) changes(tb testing.TB, round, bodies int) []webhooks.Change {
	in := make([][]metasim.Status, bodies)
	for i := range in {
		in[i] = a.statuses(fmt.Sprintf("wamid.apply.%d.%d", round, i), "sent", i)
	}
	return a.route(tb, in)
}

// statuses is one body of priced statuses of the one kind, for the messages
// prefix.0 to prefix.49.
func (a *applyBench) statuses(prefix, status string, body int) []metasim.Status {
	st := make([]metasim.Status, applyBenchPerBody)
	for j := range st {
		st[j] = metasim.Status{WAMID: fmt.Sprintf("%s.%d", prefix, j), Status: status,
			Timestamp: time.Now(), RecipientID: fmt.Sprintf("62812%07d", body*applyBenchPerBody+j),
			Pricing: &metasim.Pricing{Billable: true, Model: "PMP", Type: "regular", Category: "marketing"}}
	}
	return st
}

// route archives and routes one body for each list of statuses and returns
// the tenant's changes.
func (a *applyBench) route(tb testing.TB, bodies [][]metasim.Status) []webhooks.Change {
	ctx := context.Background()
	in := make([]webhooks.Body, len(bodies))
	for i, st := range bodies {
		in[i] = webhooks.Body{Raw: metasim.StatusesBody(a.wabaID, a.phone, "15550001111", st), ReceivedAt: time.Now()}
	}
	archived, err := a.sys.webhooks.Archive(ctx, in)
	if err != nil {
		tb.Fatal(err)
	}
	batches, err := a.sys.webhooks.Route(ctx, archived)
	if err != nil || len(batches) != 1 {
		tb.Fatalf("routed %d batches: %v", len(batches), err)
	}
	return batches[0].Changes
}

// lifecycleChanges is round r of a stream in which every message is sent,
// then delivered a round later and read a round after that, as Meta reports
// most messages: a third of the round's bodies are new messages, the other
// two thirds rewrite rows stored one and two rounds before. Rounds 0 and 1
// lack the statuses of the rounds before them.
func (a *applyBench) lifecycleChanges(tb testing.TB, r, bodiesPerKind int) []webhooks.Change {
	var in [][]metasim.Status
	for back, status := range []string{"sent", "delivered", "read"} {
		if r < back {
			continue
		}
		for i := range bodiesPerKind {
			in = append(in, a.statuses(fmt.Sprintf("wamid.life.%d.%d", r-back, i), status, i))
		}
	}
	return a.route(tb, in)
}

// BenchmarkApplyEveryDomain measures Apply with every handler the worker
// registers for the messages field (message statuses, opt-ins, insights,
// billing, forwarding): 100 bodies, 5,000 statuses, in one Apply. B/op and
// allocs/op divided by 5,000 are the worker's per-status figures and hold
// when the machine is busy; the rate does not.
func BenchmarkApplyEveryDomain(b *testing.B) {
	a := newApplyBench(b)
	const bodies = 100
	rounds := make([][]webhooks.Change, b.N)
	for r := range rounds {
		rounds[r] = a.changes(b, r, bodies)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for r := range b.N {
		if err := a.sys.webhooks.Apply(context.Background(), a.tenant, rounds[r]); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*bodies*applyBenchPerBody)/b.Elapsed().Seconds(), "statuses/s")
}

// BenchmarkApplyLifecycle measures Apply with every handler on the traffic
// of BenchmarkApplyEveryDomain, but with each message's sent, delivered
// and read statuses in three successive applies (99 bodies, 4,950 statuses
// each), so that two statuses in three update the rows the first wrote.
// wal-bytes/status is PostgreSQL's write-ahead log per status, which, unlike
// the rate, holds when the machine is busy.
func BenchmarkApplyLifecycle(b *testing.B) {
	a := newApplyBench(b)
	const perKind = 33
	rounds := make([][]webhooks.Change, b.N+2)
	for r := range rounds {
		rounds[r] = a.lifecycleChanges(b, r, perKind)
	}
	ctx := context.Background()
	for _, warm := range rounds[:2] {
		if err := a.sys.webhooks.Apply(ctx, a.tenant, warm); err != nil {
			b.Fatal(err)
		}
	}
	wal := a.walPosition(b)
	b.ReportAllocs()
	b.ResetTimer()
	for _, changes := range rounds[2:] {
		if err := a.sys.webhooks.Apply(ctx, a.tenant, changes); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	statuses := float64(b.N * 3 * perKind * applyBenchPerBody)
	b.ReportMetric(statuses/b.Elapsed().Seconds(), "statuses/s")
	b.ReportMetric(float64(a.walPosition(b)-wal)/statuses, "wal-bytes/status")
}

// walPosition is the server's write-ahead log insert position, in bytes.
func (a *applyBench) walPosition(tb testing.TB) int64 {
	var pos int64
	err := a.sys.db.QueryRow(context.Background(),
		`SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), '0/0')::bigint`).Scan(&pos)
	if err != nil {
		tb.Fatal(err)
	}
	return pos
}

// BenchmarkApplyPeakHeap measures the live heap a merged apply task of
// 80,000 statuses (about 15 MiB of change values, near the most a merge
// holds) adds while it runs: applied in one transaction, and run by the
// worker's apply handler, which applies it in runs. Run it with
// -benchtime 1x; peak-live-MiB is the figure.
func BenchmarkApplyPeakHeap(b *testing.B) {
	a := newApplyBench(b)
	mux, err := workers.NewMux(workers.Deps{Log: a.sys.log, DB: a.sys.db, Redis: a.sys.rdb,
		Client: asynq.NewClientFromRedisClient(a.sys.rdb), Webhooks: a.sys.webhooks}, prometheus.NewRegistry())
	if err != nil {
		b.Fatal(err)
	}
	const bodies = 1600
	// Each way gets its input ready first, so only what running it adds
	// is measured: the changes for Apply, the task payload for the worker.
	ways := []struct {
		name    string
		prepare func(changes []webhooks.Change) func(context.Context) error
	}{
		{"one transaction", func(changes []webhooks.Change) func(context.Context) error {
			return func(ctx context.Context) error { return a.sys.webhooks.Apply(ctx, a.tenant, changes) }
		}},
		{"worker apply handler", func(changes []webhooks.Change) func(context.Context) error {
			task := workers.NewMetaApplyTask(workers.ApplyPayload{TenantID: a.tenant, Changes: changes})
			task = asynq.NewTask(task.Type(), task.Payload())
			return func(ctx context.Context) error { return mux.ProcessTask(ctx, task) }
		}},
	}
	for w, way := range ways {
		b.Run(way.name, func(b *testing.B) {
			var peak uint64
			for r := range b.N {
				b.StopTimer()
				run := way.prepare(a.changes(b, w*b.N+r, bodies))
				b.StartTimer()
				peak = max(peak, peakLiveHeap(func() {
					if err := run(context.Background()); err != nil {
						b.Fatal(err)
					}
				}))
			}
			b.ReportMetric(float64(peak)/(1<<20), "peak-live-MiB")
		})
	}
}

// peakLiveHeap runs fn with the collector running often and returns the
// most the live heap grew over what it was before fn.
func peakLiveHeap(fn func()) uint64 {
	runtime.GC()
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(sample)
	base := sample[0].Value.Uint64()
	defer debug.SetGCPercent(debug.SetGCPercent(5))
	done, peak := make(chan struct{}), make(chan uint64)
	go func() {
		var most uint64
		for {
			select {
			case <-done:
				peak <- most
				return
			case <-time.After(100 * time.Microsecond):
			}
			metrics.Read(sample)
			most = max(most, sample[0].Value.Uint64())
		}
	}()
	fn()
	close(done)
	return max(<-peak, base) - base
}
