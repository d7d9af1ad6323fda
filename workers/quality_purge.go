package workers

import (
	"context"
	"log/slog"
	"time"

	"github.com/hibiken/asynq"
)

// TypeQualityPurge forgets old Idempotency-Key records of template
// submissions.
const TypeQualityPurge = "quality:purge_idempotency"

// NewQualityPurgeTask builds the daily purge task.
func NewQualityPurgeTask() *asynq.Task {
	return asynq.NewTask(TypeQualityPurge, nil, asynq.Queue(QueueLow), asynq.MaxRetry(3), asynq.Timeout(10*time.Minute))
}

// QualityKeys purges the quality domain's Idempotency-Key records, kept as
// long as the opt-ins domain's.
type QualityKeys struct {
	Quality IdempotencyPurger
	Log     *slog.Logger
	// Now is the clock; time.Now when nil.
	Now func() time.Time
}

// Register adds the purge handler to mux.
func (q *QualityKeys) Register(mux *asynq.ServeMux) {
	mux.HandleFunc(TypeQualityPurge, func(ctx context.Context, _ *asynq.Task) error {
		return purgeKeys(ctx, q.Quality, q.Log, q.Now, "quality")
	})
}
