package workers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/hibiken/asynq"

	"github.com/wabsp/wabsp/sending"
)

// TypeSweepSends queues again the sends whose delivery task was lost.
const TypeSweepSends = "maintenance:sweep_sends"

// SendGrace is how long a queued send may go untouched before the sweeper
// looks for its task: well past the enqueue that follows the commit.
const SendGrace = 2 * time.Minute

// sweepBatch and sweepMax bound one sweep: a long backlog of queued sends
// that do have tasks is checked a batch at a time, and at most sweepMax a
// run so a sweep stays within its minute.
const sweepBatch, sweepMax = 500, 20_000

// NewSweepSendsTask asks a worker to sweep stale queued sends.
func NewSweepSendsTask() *asynq.Task {
	return asynq.NewTask(TypeSweepSends, nil, asynq.Queue(QueueLow), asynq.MaxRetry(3), asynq.Timeout(time.Minute))
}

// SendSweeper re-queues sends committed as queued whose enqueue failed
// (Redis down after the commit). A send whose task is still in Redis
// (pending, scheduled, retrying or running) is left alone; the task id is
// the send's, so even a race with the first enqueue cannot queue it twice.
type SendSweeper struct {
	Store     *sending.Store
	Inspector *asynq.Inspector
	Enqueue   func(ctx context.Context, s sending.Send) error
	Log       *slog.Logger
	Grace     time.Duration
}

// Register adds the sweep handler to mux.
func (w *SendSweeper) Register(mux *asynq.ServeMux) {
	mux.HandleFunc(TypeSweepSends, func(ctx context.Context, _ *asynq.Task) error {
		_, err := w.Sweep(ctx, time.Now())
		return err
	})
}

// Sweep re-queues the lost sends untouched since before now minus the
// grace and answers how many it queued.
func (w *SendSweeper) Sweep(ctx context.Context, now time.Time) (int, error) {
	grace := w.Grace
	if grace <= 0 {
		grace = SendGrace
	}
	var from sending.StaleKey
	queued := 0
	for seen := 0; seen < sweepMax; {
		stale, err := w.Store.Stale(ctx, now.Add(-grace), from, sweepBatch)
		if err != nil || len(stale) == 0 {
			return queued, err
		}
		for _, s := range stale {
			lost, err := w.lost(s)
			if err != nil {
				return queued, err
			}
			if !lost {
				continue
			}
			if err := w.Enqueue(ctx, s); err != nil {
				return queued, fmt.Errorf("workers: re-queue send %s: %w", s.ID, err)
			}
			queued++
		}
		seen += len(stale)
		last := stale[len(stale)-1]
		from = sending.StaleKey{UpdatedAt: last.UpdatedAt, TenantID: last.TenantID, ID: last.ID}
	}
	if queued > 0 && w.Log != nil {
		w.Log.Warn("re-queued sends whose delivery task was lost", "sends", queued)
	}
	return queued, nil
}

// lost reports whether s has no delivery task in Redis. Asking first keeps
// a send that has one from taking a second slot on its number's clock.
func (w *SendSweeper) lost(s sending.Send) (bool, error) {
	_, err := w.Inspector.GetTaskInfo(QueueDefault, sendTaskID(s.ID.String()))
	switch {
	case err == nil:
		return false, nil
	case errors.Is(err, asynq.ErrTaskNotFound), errors.Is(err, asynq.ErrQueueNotFound):
		return true, nil
	}
	return false, fmt.Errorf("workers: look up task of send %s: %w", s.ID, err)
}
