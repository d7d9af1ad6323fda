package main

import (
	"context"
	"fmt"
	"os"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/wabsp/wabsp/internal/metasim"
)

// statusBody builds the webhook body number i of the run: perBody unique
// "sent" statuses with pricing, for one of the seeded numbers.
func (e *benchEnv) statusBody(i int64, perBody int) signedBody {
	n := e.waba[int(i)%len(e.waba)]
	now := time.Now()
	st := make([]metasim.Status, perBody)
	for j := range st {
		st[j] = metasim.Status{
			WAMID:       fmt.Sprintf("wamid.bench.%d.%d", i, j),
			Status:      "sent",
			Timestamp:   now,
			RecipientID: fmt.Sprintf("62812%07d", (int(i)*perBody+j)%10000000),
			Pricing:     &metasim.Pricing{Billable: true, Model: "PMP", Type: "regular", Category: "marketing"},
		}
	}
	raw := metasim.StatusesBody(n.wabaID, n.phoneNumberID, digits(n.display), st)
	return signedBody{raw: raw, sig: sign(e.secret, raw)}
}

func digits(s string) string {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			out = append(out, s[i])
		}
	}
	return string(out)
}

// singleStatusBody is the one body (a) and (b) send over and over.
func (e *benchEnv) singleStatusBody() signedBody { return e.statusBody(0, 1) }

// measureIntakeAndCeiling runs (a) and (b) in alternating rounds against
// two servers started side by side: on a shared 2-core machine the speed of
// both drifts by a third from minute to minute, and alternating exposes each
// to the same drift. (b) is `wabsp serve` alone, so the figure is the
// intake's and not the workers'. It returns the merged results and each
// round's intake/ceiling ratio.
func (e *benchEnv) measureIntakeAndCeiling(ctx context.Context, bin string, ceiling, intake bool) (loadResult, loadResult, []float64, error) {
	body := e.singleStatusBody()
	type target struct {
		name, addr string
		on         bool
		runs       []loadResult
	}
	a, b := &target{name: "(a) ceiling: bare Fiber handler", on: ceiling}, &target{name: "(b) intake: wabsp serve", on: intake}
	if ceiling {
		p, addr, err := startCeiling(e.dir)
		if err != nil {
			return loadResult{}, loadResult{}, nil, err
		}
		defer p.stop()
		a.addr = addr
	}
	if intake {
		if err := e.migrateAndSeed(ctx, bin); err != nil {
			return loadResult{}, loadResult{}, nil, err
		}
		p, addr, err := e.startWabsp(bin, "serve", "serve")
		if err != nil {
			return loadResult{}, loadResult{}, nil, err
		}
		defer p.stop()
		if err := waitHTTP("http://"+addr+"/healthz", 20*time.Second); err != nil {
			return loadResult{}, loadResult{}, nil, err
		}
		b.addr = addr
	}
	rounds := max(1, e.o.rounds)
	slice := e.o.intakeFor / time.Duration(rounds)
	for _, t := range []*target{a, b} {
		if t.on {
			fmt.Fprintln(os.Stderr, t.name, "warm-up")
			runLoad(ctx, loadSpec{addrs: []string{t.addr}, path: "/webhooks/meta", conc: e.o.conc, d: 2 * time.Second, next: body.source})
		}
	}
	var ratios []float64
	for i := range rounds {
		fmt.Fprintf(os.Stderr, "(a)/(b) round %d of %d\n", i+1, rounds)
		for _, t := range []*target{a, b} {
			if t.on {
				t.runs = append(t.runs, runLoad(ctx, loadSpec{addrs: []string{t.addr}, path: "/webhooks/meta", conc: e.o.conc, d: slice, next: body.source}))
			}
		}
		if ceiling && intake && a.runs[i].PerSecond > 0 {
			ratios = append(ratios, b.runs[i].PerSecond/a.runs[i].PerSecond)
		}
	}
	var err error
	if intake {
		err = e.rdb.FlushDB(ctx).Err()
	}
	return mergeLoads(a.runs...), mergeLoads(b.runs...), ratios, err
}

// e2eResult is (c).
type e2eResult struct {
	Layout        string // the processes, as cluster.describe says
	Load          loadResult
	Offered       float64 // status events per second offered
	Sent          int64   // status events answered 200
	LandedInRun   int64   // rows in Postgres when the load stopped
	Landed        int64   // rows in Postgres at the end
	Drain         time.Duration
	SustainedRate float64 // rows landed during the run per second of run
	OverallRate   float64 // all rows over the time until the last one landed
	Soak          soakFigures
}

// measureEndToEnd is (c): statuses offered at a fixed rate through the
// `wabsp serve` processes to the `wabsp work` ones, counted as rows in
// message_statuses, sampled from the first POST to the end of the drain.
func (e *benchEnv) measureEndToEnd(ctx context.Context, bin string) (e2eResult, error) {
	if err := e.ensureMigrated(ctx, bin); err != nil {
		return e2eResult{}, err
	}
	cl, err := e.startCluster(bin)
	if err != nil {
		return e2eResult{}, err
	}
	defer cl.stop()
	conn, err := pgx.Connect(ctx, e.dbURL)
	if err != nil {
		return e2eResult{}, err
	}
	defer conn.Close(ctx)

	src := e.e2eBodies(int64(e.o.e2eRate * e.o.e2eFor.Seconds() / float64(e.o.perBody)))
	fmt.Fprintf(os.Stderr, "(c) end to end: %.0f status events/s offered for %s to %s\n", e.o.e2eRate, e.o.e2eFor, cl.describe())
	interval := reportInterval(e.o.e2eFor, e.o.interval)
	var accepted atomic.Int64
	w, err := e.startWatch(ctx, cl.workerPIDs(), &accepted, queueSampleEvery(interval))
	if err != nil {
		return e2eResult{}, err
	}
	defer w.stop()
	pctx, cancel := context.WithCancel(ctx)
	start := time.Now()
	load := runLoad(ctx, loadSpec{addrs: cl.apis, path: "/webhooks/meta", conc: e.o.e2eConc, d: e.o.e2eFor, next: src,
		pace: pacer(pctx, e.o.e2eRate/float64(e.o.perBody)), accepted: &accepted})
	cancel()
	runFor := time.Since(start)
	res := e2eResult{Layout: cl.describe(), Load: load, Offered: e.o.e2eRate, Sent: int64(load.Requests) * int64(e.o.perBody)}
	if res.LandedInRun, err = e.countStatuses(ctx, conn); err != nil {
		return res, err
	}
	res.SustainedRate = float64(res.LandedInRun) / runFor.Seconds()
	if err := e.drain(ctx, conn, &res); err != nil {
		return res, err
	}
	res.OverallRate = float64(res.Landed) / time.Since(start).Seconds()
	w.stop()
	res.Soak = w.figures(interval, runFor)
	return res, nil
}

// drain waits, up to 3 minutes, until every accepted status has its row.
func (e *benchEnv) drain(ctx context.Context, conn *pgx.Conn, res *e2eResult) error {
	start := time.Now()
	for res.Landed < res.Sent && time.Since(start) < 3*time.Minute && ctx.Err() == nil {
		waitFor(ctx, time.Second)
		var err error
		if res.Landed, err = e.countStatuses(ctx, conn); err != nil {
			return err
		}
	}
	res.Drain = time.Since(start)
	return nil
}

func (e *benchEnv) ensureMigrated(ctx context.Context, bin string) error {
	conn, err := pgx.Connect(ctx, e.dbURL)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	var n int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM pg_tables WHERE tablename = 'tenants'`).Scan(&n); err != nil {
		return err
	}
	if n == 1 {
		return nil
	}
	return e.migrateAndSeed(ctx, bin)
}
