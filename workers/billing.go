package workers

import (
	"context"
	"encoding/json"
	"log/slog"
	"time"

	"github.com/hibiken/asynq"

	"github.com/wabsp/wabsp/internal/pg"
)

// TypeBillingFinalize closes the months that are due: every tenant's
// latest closed month gets its final invoice.
const TypeBillingFinalize = "billing:finalize_invoices"

// NewBillingFinalizeTask builds the month-close task. Finalising is
// idempotent, so a duplicate run stores nothing twice; the scheduler still
// makes it unique per interval.
func NewBillingFinalizeTask() *asynq.Task {
	return asynq.NewTask(TypeBillingFinalize, nil, asynq.Queue(QueueLow), asynq.MaxRetry(5), asynq.Timeout(30*time.Minute))
}

// InvoiceFinalizer is what the month-close task needs of billing.
type InvoiceFinalizer interface {
	FinalizeDue(ctx context.Context) (int, error)
}

// BillingTasks runs billing's periodic work.
type BillingTasks struct {
	Billing InvoiceFinalizer
	// DB records each run in maintenance_runs; nil skips the record.
	DB  *pg.DB
	Log *slog.Logger
}

// Register adds the billing handlers to mux.
func (b *BillingTasks) Register(mux *asynq.ServeMux) {
	mux.HandleFunc(TypeBillingFinalize, b.handleFinalize)
}

// handleFinalize stores the final invoices of closed months. Each invoice is
// its own transaction, so a failure part way keeps the ones already stored
// and the retry carries on from there.
func (b *BillingTasks) handleFinalize(ctx context.Context, t *asynq.Task) error {
	n, err := b.Billing.FinalizeDue(ctx)
	if n > 0 && b.Log != nil {
		b.Log.Info("invoices finalized", "count", n)
	}
	if err != nil {
		return err
	}
	if b.DB == nil {
		return nil
	}
	detail, err := json.Marshal(map[string]any{"finalized": n})
	if err != nil {
		return err
	}
	_, err = b.DB.Exec(ctx, `INSERT INTO maintenance_runs (task, detail) VALUES ($1, $2)`, t.Type(), detail)
	return err
}
