package workers

import (
	"context"
	"log/slog"
	"time"

	"github.com/hibiken/asynq"

	"github.com/wabsp/wabsp/insights"
	"github.com/wabsp/wabsp/internal/idempotency"
	"github.com/wabsp/wabsp/optins"
	"github.com/wabsp/wabsp/quality"
	"github.com/wabsp/wabsp/sending"
	"github.com/wabsp/wabsp/webhooks/outbound"
)

// TypeIdempotencyPurge forgets old Idempotency-Key records of every domain.
const TypeIdempotencyPurge = "maintenance:purge_idempotency"

// legacyPurgeTypes are the per-domain purge tasks this one replaced. A
// worker still takes them, so one queued by an older scheduler during a
// rolling deploy runs rather than failing for want of a handler.
var legacyPurgeTypes = []string{"optins:purge_idempotency", "quality:purge_idempotency"}

// NewIdempotencyPurgeTask builds the daily purge task.
func NewIdempotencyPurgeTask() *asynq.Task {
	return asynq.NewTask(TypeIdempotencyPurge, nil, asynq.Queue(QueueLow), asynq.MaxRetry(3), asynq.Timeout(10*time.Minute))
}

// KeyTables are the tables of Idempotency-Key records, each with the
// retention its domain gives it.
func KeyTables() []idempotency.Table {
	return []idempotency.Table{optins.KeyTable, quality.KeyTable, sending.KeyTable, insights.KeyTable, outbound.KeyTable}
}

// IdempotencyKeys purges the Idempotency-Key records of every table in
// Tables that are older than the table's retention.
type IdempotencyKeys struct {
	DB     idempotency.Store
	Tables []idempotency.Table
	Log    *slog.Logger
	// Now is the clock; time.Now when nil.
	Now func() time.Time
}

// Register adds the purge handler to mux.
func (k *IdempotencyKeys) Register(mux *asynq.ServeMux) {
	for _, t := range append([]string{TypeIdempotencyPurge}, legacyPurgeTypes...) {
		mux.HandleFunc(t, k.handlePurge)
	}
}

func (k *IdempotencyKeys) handlePurge(ctx context.Context, _ *asynq.Task) error {
	now := time.Now
	if k.Now != nil {
		now = k.Now
	}
	counts, err := idempotency.PurgeAll(ctx, k.DB, k.Tables, now())
	for table, n := range counts {
		if n > 0 && k.Log != nil {
			k.Log.Info("idempotency keys purged", "table", table, "count", n)
		}
	}
	return err
}
