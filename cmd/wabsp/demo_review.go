package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/wabsp/wabsp/internal/metasim"
)

// demoReviewEvery is how long templates submitted or edited in the demo
// wait for the simulated review: long enough to see them PENDING.
const demoReviewEvery = 20 * time.Second

// reviewDemoTemplates plays Meta's template review in the demo: what was
// submitted or edited through the API is approved now and then, and the
// APPROVED status webhook is posted like Meta's.
func reviewDemoTemplates(ctx context.Context, log *slog.Logger, graph *metasim.Graph, em *metasim.Emitter) {
	tick := time.NewTicker(demoReviewEvery)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		for _, body := range graph.ReviewPending() {
			if err := em.Send(ctx, body); err != nil && ctx.Err() == nil {
				log.Error("demo template review webhook", "err", err)
			}
		}
	}
}
