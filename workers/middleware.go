package workers

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"
)

type taskMetrics struct {
	duration *prometheus.HistogramVec
}

func newTaskMetrics(reg prometheus.Registerer) *taskMetrics {
	m := &taskMetrics{duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "wabsp_task_duration_seconds",
		Help:    "Duration of asynq task handlers by type and outcome.",
		Buckets: prometheus.ExponentialBuckets(0.0005, 2, 16),
	}, []string{"type", "outcome"})}
	if reg != nil {
		reg.MustRegister(m.duration)
	}
	return m
}

func outcome(err error) string {
	switch {
	case err == nil:
		return "ok"
	case errors.Is(err, errTenantBusy):
		return "deferred"
	case errors.Is(err, asynq.SkipRetry):
		return "poison"
	default:
		return "error"
	}
}

func (m *taskMetrics) middleware(next asynq.Handler) asynq.Handler {
	return asynq.HandlerFunc(func(ctx context.Context, t *asynq.Task) error {
		start := time.Now()
		err := next.ProcessTask(ctx, t)
		m.duration.WithLabelValues(t.Type(), outcome(err)).Observe(time.Since(start).Seconds())
		return err
	})
}

// logTask logs slow or failed tasks; routine successes stay quiet because the
// intake path runs thousands of times a second.
func logTask(log *slog.Logger) asynq.MiddlewareFunc {
	return func(next asynq.Handler) asynq.Handler {
		return asynq.HandlerFunc(func(ctx context.Context, t *asynq.Task) error {
			start := time.Now()
			err := next.ProcessTask(ctx, t)
			took := time.Since(start)
			if errors.Is(err, asynq.SkipRetry) {
				id, _ := asynq.GetTaskID(ctx)
				log.Warn("task skipped as poison", "task_type", t.Type(), "task_id", id, "err", err)
			} else if took > 5*time.Second {
				log.Warn("slow task", "task_type", t.Type(), "took", took.String())
			}
			return err
		})
	}
}
