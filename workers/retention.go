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

// RetainedTables are the append-heavy tables retention applies to. The
// partitioned ones lose whole months; the insight tables, keyed by message
// and rewritten as statuses arrive, are purged by day together with their
// roll-ups, so a recount of the remaining days still agrees. The consent
// ledger is evidence and never listed (pg.MaintainRetention refuses it).
var RetainedTables = []pg.RetainedTable{
	{Name: "message_statuses", Column: "occurred_at", Partitioned: true},
	{Name: "quality_history", Column: "event_time", Partitioned: true},
	{Name: "insight_messages", Column: "day"},
	{Name: "insight_inbound", Column: "day"},
	{Name: "insight_turns", Column: "day"},
	{Name: "insight_funnel_daily", Column: "day"},
	{Name: "insight_failures_daily", Column: "day"},
	{Name: "insight_hourly", Column: "day"},
}

// RetentionTasks runs partition upkeep and retention.
type RetentionTasks struct {
	DB  *pg.DB
	Log *slog.Logger
	// Ahead and Keep are pg.RetentionPolicy's; Batch defaults to 5000.
	Ahead int
	Keep  time.Duration
	Batch int
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
		Tables: RetainedTables, Ahead: r.Ahead, Keep: r.Keep, Batch: batch,
	})
	if r.Log != nil && (rep != pg.RetentionReport{}) {
		r.Log.Info("retention applied", "created", rep.Created, "dropped", rep.Dropped, "deleted", rep.Deleted)
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
