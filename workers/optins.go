package workers

import (
	"context"
	"log/slog"
	"time"

	"github.com/hibiken/asynq"
)

// TypeOptinsPurge forgets old Idempotency-Key records of consent writes and
// imports.
const TypeOptinsPurge = "optins:purge_idempotency"

// OptinsKeyRetention is how long an Idempotency-Key of a consent write or
// an import is honoured: long enough for any client's retries.
const OptinsKeyRetention = 7 * 24 * time.Hour

// NewOptinsPurgeTask builds the daily purge task.
func NewOptinsPurgeTask() *asynq.Task {
	return asynq.NewTask(TypeOptinsPurge, nil, asynq.Queue(QueueLow), asynq.MaxRetry(3), asynq.Timeout(10*time.Minute))
}

// IdempotencyPurger is what the purge task needs of the opt-ins domain.
type IdempotencyPurger interface {
	PurgeIdempotency(ctx context.Context, before time.Time) (int64, error)
}

// OptinsTasks runs the opt-ins domain's periodic work.
type OptinsTasks struct {
	Optins IdempotencyPurger
	Log    *slog.Logger
	// Now is the clock; time.Now when nil.
	Now func() time.Time
}

// Register adds the opt-ins handlers to mux.
func (o *OptinsTasks) Register(mux *asynq.ServeMux) {
	mux.HandleFunc(TypeOptinsPurge, o.handlePurge)
}

func (o *OptinsTasks) handlePurge(ctx context.Context, _ *asynq.Task) error {
	return purgeKeys(ctx, o.Optins, o.Log, o.Now, "optins")
}

// purgeKeys forgets a domain's Idempotency-Key records older than
// OptinsKeyRetention.
func purgeKeys(ctx context.Context, p IdempotencyPurger, log *slog.Logger, clock func() time.Time, domain string) error {
	now := time.Now
	if clock != nil {
		now = clock
	}
	n, err := p.PurgeIdempotency(ctx, now().Add(-OptinsKeyRetention))
	if n > 0 && log != nil {
		log.Info("idempotency keys purged", "domain", domain, "count", n)
	}
	return err
}
