package workers

import (
	"context"
	"encoding/json"
	"log/slog"
	"time"

	"github.com/hibiken/asynq"

	"github.com/wabsp/wabsp/internal/pg"
)

// TypeRetention creates the event tables' months ahead and applies
// retention to them.
const TypeRetention = "maintenance:retention"

// NewRetentionTask builds the retention task. Every step is idempotent, so
// a retried or duplicated run changes nothing more.
func NewRetentionTask() *asynq.Task {
	return asynq.NewTask(TypeRetention, nil, asynq.Queue(QueueLow), asynq.MaxRetry(5), asynq.Timeout(time.Hour))
}

// RetainedTables are the append-heavy tables retention applies to, with
// billing's ledger kept for billingKeep. The partitioned ones lose whole
// months. The insight tables, keyed by message and rewritten as statuses
// arrive, are purged by day for every tenant together with their roll-ups,
// so a recount of the remaining days still agrees. The ledger is the BSP's
// record of what it billed: it outlives the event retention and any
// tenant's shorter one, and its roll-ups (which invoices read) are kept.
// The webhook archive only gets its months here; the archive retention
// (WABSP_ARCHIVE_RETENTION) drops them, keeping bodies not yet routed.
// The consent ledger is evidence and never listed (pg.MaintainRetention
// refuses it).
func RetainedTables(billingKeep time.Duration) []pg.RetainedTable {
	return []pg.RetainedTable{
		{Name: "message_statuses", Column: "occurred_at", Partitioned: true},
		{Name: "quality_history", Column: "event_time", Partitioned: true},
		{Name: "billing_ledger", Column: "day", Partitioned: true, Keep: billingKeep,
			Keys: "billing_ledger_keys", Tenants: pg.PurgeNever},
		{Name: "insight_messages", Column: "day", Partitioned: true, Keys: "insight_message_keys",
			Tenants: pg.PurgeEveryTenant},
		{Name: "webhook_archive", Column: "received_at", Partitioned: true, CreateOnly: true},
		{Name: "insight_inbound", Column: "day"},
		{Name: "insight_turns", Column: "day"},
		{Name: "insight_funnel_daily", Column: "day"},
		{Name: "insight_failures_daily", Column: "day"},
		{Name: "insight_hourly", Column: "day"},
	}
}

// RetentionTasks runs partition upkeep and retention.
type RetentionTasks struct {
	DB  *pg.DB
	Log *slog.Logger
	// Ahead and Keep are pg.RetentionPolicy's; Batch defaults to 5000.
	Ahead int
	Keep  time.Duration
	Batch int
	// BillingKeep is how long the billing ledger is kept; Keep when zero.
	BillingKeep time.Duration
	// Now is the clock; time.Now when nil.
	Now func() time.Time
}

// Register adds the retention handler to mux.
func (r *RetentionTasks) Register(mux *asynq.ServeMux) {
	mux.HandleFunc(TypeRetention, r.handle)
}

func (r *RetentionTasks) handle(ctx context.Context, t *asynq.Task) error {
	now := time.Now
	if r.Now != nil {
		now = r.Now
	}
	batch := r.Batch
	if batch <= 0 {
		batch = 5000
	}
	rep, err := r.DB.MaintainRetention(ctx, now().UTC(), pg.RetentionPolicy{
		Tables: RetainedTables(r.BillingKeep), Ahead: r.Ahead, Keep: r.Keep, Batch: batch,
	})
	if r.Log != nil && (rep != pg.RetentionReport{}) {
		r.Log.Info("retention applied", "created", rep.Created, "dropped", rep.Dropped, "deleted", rep.Deleted, "keys", rep.Keys)
	}
	if err != nil {
		return err
	}
	detail, err := json.Marshal(rep)
	if err != nil {
		return err
	}
	_, err = r.DB.Exec(ctx, `INSERT INTO maintenance_runs (task, detail) VALUES ($1, $2)`, t.Type(), detail)
	return err
}
