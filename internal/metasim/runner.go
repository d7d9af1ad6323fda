package metasim

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// Sender delivers one webhook body; *Emitter is the implementation.
type Sender interface {
	Send(ctx context.Context, body []byte) error
}

var _ Sender = (*Emitter)(nil)

// Runner plays scenarios: each scenario's events are applied in order, paced
// by their hints, and their bodies are delivered by a shared pool of workers,
// so deliveries overlap and may arrive out of order, as Meta's do.
type Runner struct {
	sender      Sender
	concurrency int
	pace        float64
}

// RunnerOption configures a Runner.
type RunnerOption func(*Runner)

// WithConcurrency sets how many bodies may be in flight at once (default 4).
func WithConcurrency(n int) RunnerOption {
	return func(r *Runner) {
		if n > 0 {
			r.concurrency = n
		}
	}
}

// WithPacing scales the events' delay hints: 1 (the default) honours them,
// 0 ignores them and plays as fast as the receiver allows, 0.5 plays twice
// as fast.
func WithPacing(factor float64) RunnerOption {
	return func(r *Runner) {
		if factor >= 0 {
			r.pace = factor
		}
	}
}

// NewRunner returns a Runner delivering through s.
func NewRunner(s Sender, opts ...RunnerOption) *Runner {
	r := &Runner{sender: s, concurrency: 4, pace: 1}
	for _, opt := range opts {
		opt(r)
	}
	return r
}

// RunStats counts what a run did.
type RunStats struct {
	Events    int64 // events played
	Bodies    int64 // bodies handed to the sender
	Delivered int64 // bodies the sender delivered
	Failed    int64 // bodies the sender gave up on
}

type runState struct {
	events, bodies, delivered, failed atomic.Int64

	mu       sync.Mutex
	firstErr error
}

func (s *runState) fail(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.firstErr == nil {
		s.firstErr = err
	}
}

// Run plays the scenarios concurrently and returns when all have ended and
// every body has been delivered or given up, or when ctx ends (then with
// ctx's error). A failed Apply stops its scenario; failures are reported by
// the first error, the counts are in RunStats.
func (r *Runner) Run(ctx context.Context, scenarios ...Scenario) (RunStats, error) {
	var st runState
	bodies := make(chan []byte)
	var workers sync.WaitGroup
	for range r.concurrency {
		workers.Go(func() {
			for b := range bodies {
				if err := r.sender.Send(ctx, b); err != nil {
					st.failed.Add(1)
					st.fail(err)
					continue
				}
				st.delivered.Add(1)
			}
		})
	}
	var producers sync.WaitGroup
	for _, sc := range scenarios {
		producers.Go(func() { r.play(ctx, sc, bodies, &st) })
	}
	producers.Wait()
	close(bodies)
	workers.Wait()

	stats := RunStats{
		Events: st.events.Load(), Bodies: st.bodies.Load(),
		Delivered: st.delivered.Load(), Failed: st.failed.Load(),
	}
	if err := ctx.Err(); err != nil {
		return stats, err
	}
	if st.firstErr != nil {
		return stats, fmt.Errorf("metasim: run (%d of %d bodies failed): %w", stats.Failed, stats.Bodies, st.firstErr)
	}
	return stats, nil
}

func (r *Runner) play(ctx context.Context, sc Scenario, bodies chan<- []byte, st *runState) {
	for ev := range sc.Events {
		if err := sleep(ctx, time.Duration(float64(ev.Delay)*r.pace)); err != nil {
			return
		}
		st.events.Add(1)
		if ev.Apply != nil {
			if err := ev.Apply(); err != nil {
				st.fail(fmt.Errorf("scenario %s, %s: %w", sc.Name, ev.Label, err))
				return
			}
		}
		if ev.Body == nil {
			continue
		}
		select {
		case bodies <- ev.Body:
			st.bodies.Add(1)
		case <-ctx.Done():
			return
		}
	}
}
