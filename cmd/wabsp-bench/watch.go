package main

import (
	"context"
	"fmt"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hibiken/asynq"
	"github.com/jackc/pgx/v5"

	"github.com/wabsp/wabsp/workers"
)

// soakQueues are the asynq queues a status passes through: the intake's
// group-committed bodies, then the per-tenant apply tasks.
var soakQueues = []string{workers.QueueCritical, workers.QueueDefault}

const rssEvery = 250 * time.Millisecond

// queueSeries is one asynq queue's readings.
type queueSeries struct {
	name                   string
	latency, pending, size *series
}

// watch samples (c) from the start of the load to the end of the drain:
// each work process's resident set, how far the rows in PostgreSQL are
// behind the statuses accepted so far, and the asynq queues.
type watch struct {
	rss    []*series
	lag    *series // events
	queues []queueSeries
	stops  []func()
	warn   sync.Once
}

// startWatch starts the samplers. accepted counts the requests answered
// 200; each carries perBody statuses.
func (e *benchEnv) startWatch(ctx context.Context, workerPIDs []int, accepted *atomic.Int64, every time.Duration) (*watch, error) {
	conn, err := pgx.Connect(ctx, e.dbURL)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	w := &watch{lag: newSeries(start)}
	for _, pid := range workerPIDs {
		s := newSeries(start)
		w.rss = append(w.rss, s)
		w.stops = append(w.stops, repeat(ctx, rssEvery, func(context.Context) {
			if rss, err := readRSS(pid); err == nil {
				s.add(float64(rss))
			}
		}))
	}
	w.stops = append(w.stops, repeat(ctx, every, func(ctx context.Context) { w.readLag(ctx, e, conn, accepted) }),
		func() { conn.Close(context.Background()) })
	insp := asynq.NewInspectorFromRedisClient(e.rdb)
	for _, name := range soakQueues {
		q := queueSeries{name: name, latency: newSeries(start), pending: newSeries(start), size: newSeries(start)}
		w.queues = append(w.queues, q)
		w.stops = append(w.stops, repeat(ctx, every, func(context.Context) { w.readQueue(insp, q) }))
	}
	return w, nil
}

// readLag compares the rows with the statuses accepted so far.
func (w *watch) readLag(ctx context.Context, e *benchEnv, conn *pgx.Conn, accepted *atomic.Int64) {
	// The count sees the rows committed when its snapshot was taken, at
	// the start of the statement, however long it then takes on a table of
	// millions of rows; so the rows are compared with the statuses accepted
	// by then. (Comparing with a later figure would grow the lag with the
	// table, by half the count's duration in traffic.)
	before := accepted.Load()
	rows, err := e.countStatuses(ctx, conn)
	switch {
	case ctx.Err() != nil:
		return // stopped in the middle of a count
	case err != nil:
		w.warnOnce("counting rows", err)
		return
	}
	// A status can land before its 200 reaches the load generator, so a
	// negative lag is a timing artefact, not rows ahead.
	w.lag.add(max(0, float64(before*int64(e.o.perBody))-float64(rows)))
}

func (w *watch) readQueue(insp *asynq.Inspector, q queueSeries) {
	// GetQueueInfo reports a queue no task has reached yet as an internal
	// error rather than ErrQueueNotFound, so look it up first.
	names, err := insp.Queues()
	if err != nil {
		w.warnOnce("listing queues", err)
		return
	}
	info := &asynq.QueueInfo{}
	if slices.Contains(names, q.name) {
		if info, err = insp.GetQueueInfo(q.name); err != nil {
			w.warnOnce("reading queue "+q.name, err)
			return
		}
	}
	q.latency.add(info.Latency.Seconds())
	q.pending.add(float64(info.Pending))
	q.size.add(float64(info.Size))
}

func (w *watch) warnOnce(what string, err error) {
	w.warn.Do(func() { fmt.Fprintf(os.Stderr, "(c) sampling: %s: %v\n", what, err) })
}

// stop ends the sampling; the figures are final afterwards.
func (w *watch) stop() {
	for _, s := range w.stops {
		s()
	}
}

// soakFigures are the watch's samples cut into reporting intervals.
type soakFigures struct {
	Every       time.Duration
	LoadWindows int        // the leading windows under load; the rest is drain
	RSS         [][]window // per work process, bytes
	RSSRun      []window   // per work process, the whole run in one
	Lag         []window   // events behind
	Queues      []queueFigures
}

type queueFigures struct {
	Name                   string
	Latency, Pending, Size []window // seconds, tasks, tasks
}

func (w *watch) figures(every, loadFor time.Duration) soakFigures {
	f := soakFigures{Every: every, LoadWindows: int((loadFor + every/2) / every), Lag: windows(w.lag.samples(), every)}
	for _, s := range w.rss {
		samples := s.samples()
		f.RSS = append(f.RSS, windows(samples, every))
		f.RSSRun = append(f.RSSRun, summarise(0, samples))
	}
	for _, q := range w.queues {
		f.Queues = append(f.Queues, queueFigures{Name: q.name,
			Latency: windows(q.latency.samples(), every),
			Pending: windows(q.pending.samples(), every),
			Size:    windows(q.size.samples(), every)})
	}
	return f
}
