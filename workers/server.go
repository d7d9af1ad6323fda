package workers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
)

// ServerOptions configures the asynq server.
type ServerOptions struct {
	Concurrency     int
	ShutdownTimeout time.Duration
}

// NewServer returns an asynq server on rdb with wabsp's queues and retry rules.
func NewServer(rdb redis.UniversalClient, log *slog.Logger, o ServerOptions) *asynq.Server {
	return asynq.NewServerFromRedisClient(rdb, asynq.Config{
		Concurrency:     o.Concurrency,
		Queues:          QueueWeights,
		ShutdownTimeout: o.ShutdownTimeout,
		// A tenant at its slot cap is not failing; its task comes back soon
		// without spending a retry.
		// Neither is a poll waiting for its WABA's Graph call budget.
		IsFailure: func(err error) bool {
			_, budget := graphWait(err)
			return !errors.Is(err, errTenantBusy) && !budget
		},
		RetryDelayFunc: retryDelay,
		// Busy tenants' tasks wait in the retry set; check it often so they
		// are not held back for the default five seconds.
		DelayedTaskCheckInterval: 500 * time.Millisecond,
		// A tenant's apply tasks are merged into one transaction, and
		// small intake tasks into one archive and route (intake_group.go).
		GroupAggregator:  asynq.GroupAggregatorFunc(mergeTasks),
		GroupGracePeriod: applyGroupGrace,
		GroupMaxDelay:    applyGroupMaxDelay,
		GroupMaxSize:     applyGroupMaxSize,
		Logger:           asynqLogger{log},
		LogLevel:         asynq.WarnLevel,
		ErrorHandler: asynq.ErrorHandlerFunc(func(ctx context.Context, t *asynq.Task, err error) {
			if errors.Is(err, errTenantBusy) {
				return
			}
			id, _ := asynq.GetTaskID(ctx)
			if wait, ok := graphWait(err); ok {
				log.Info("task waits for the Graph call budget", "task_type", t.Type(), "task_id", id, "wait", wait.String())
				return
			}
			n, _ := asynq.GetRetryCount(ctx)
			log.Error("task failed", "task_type", t.Type(), "task_id", id, "retry", n, "err", err)
		}),
	})
}

func retryDelay(n int, err error, t *asynq.Task) time.Duration {
	if errors.Is(err, errTenantBusy) {
		return time.Duration(100+rand.IntN(400)) * time.Millisecond
	}
	if wait, ok := graphWait(err); ok {
		return wait
	}
	// Exponential from one second, capped at ten minutes, with jitter.
	d := time.Second << min(n, 10)
	d = min(d, 10*time.Minute)
	return d/2 + time.Duration(rand.Int64N(int64(d/2)+1))
}

// NewMux registers every handler with its middleware.
func NewMux(d Deps, reg prometheus.Registerer) (*asynq.ServeMux, error) {
	if d.Webhooks == nil || d.Client == nil || d.DB == nil || d.Redis == nil {
		return nil, fmt.Errorf("workers: Webhooks, Client, DB and Redis are required")
	}
	if d.TenantSlots <= 0 {
		d.TenantSlots = 2
	}
	if d.ArchiveRetention <= 0 {
		d.ArchiveRetention = 30 * 24 * time.Hour
	}
	h := &handlers{Deps: d, slots: tenantSlots{rdb: d.Redis, max: d.TenantSlots}}
	m := newTaskMetrics(reg)
	mux := asynq.NewServeMux()
	mux.Use(m.middleware, logTask(d.Log))
	mux.HandleFunc(TypeMetaIntake, h.handleIntake)
	mux.HandleFunc(TypeMetaApply, h.handleApply)
	mux.HandleFunc(TypeAdoptOrphans, h.handleAdoptOrphans)
	mux.HandleFunc(TypeArchiveRetention, h.handleArchiveRetention)
	mux.HandleFunc(TypeReplay, h.handleReplay)
	mux.HandleFunc(TypeReclaimApplyGroups, h.handleReclaimApplyGroups)
	return mux, nil
}

// NewScheduler returns a scheduler with every periodic task registered. It
// opens its own Redis connection: asynq closes a scheduler's connection on
// shutdown and refuses to for a shared one. Run exactly one scheduler; the
// tasks are also unique for their interval, so a second one would not pile
// them up.
func NewScheduler(redisOpt asynq.RedisConnOpt, log *slog.Logger) (*asynq.Scheduler, error) {
	s := asynq.NewScheduler(redisOpt, &asynq.SchedulerOpts{
		Logger: asynqLogger{log}, LogLevel: asynq.WarnLevel, Location: time.UTC,
	})
	return s, schedule(s)
}

func schedule(s *asynq.Scheduler) error {
	entries := []struct {
		spec string
		task *asynq.Task
		ttl  time.Duration
	}{
		{"@every 1m", NewAdoptOrphansTask(), time.Minute},
		{"@every 1h", NewArchiveRetentionTask(), time.Hour},
		{"@every 1m", NewQualityScheduleTask(), time.Minute},
		{"@every 1h", NewBillingFinalizeTask(), time.Hour},
		{"@every 24h", NewIdempotencyPurgeTask(), 24 * time.Hour},
		{"@every 6h", NewRetentionTask(), 6 * time.Hour},
		// Fans new events out to webhook subscriptions and starts due retries.
		{"@every 1s", NewOutboundPumpTask(), time.Second},
		// Queues again the sends whose enqueue failed after their commit.
		{"@every 1m", NewSweepSendsTask(), time.Minute},
		// Takes back apply tasks from merges a failover interrupted.
		{"@every 30s", NewReclaimApplyGroupsTask(), 30 * time.Second},
	}
	for _, e := range entries {
		if _, err := s.Register(e.spec, e.task, asynq.Unique(e.ttl)); err != nil {
			return fmt.Errorf("schedule %s: %w", e.task.Type(), err)
		}
	}
	return nil
}

// asynqLogger routes asynq's own log lines into slog.
type asynqLogger struct{ l *slog.Logger }

func (a asynqLogger) Debug(args ...any) { a.l.Debug(fmt.Sprint(args...), "component", "asynq") }
func (a asynqLogger) Info(args ...any)  { a.l.Info(fmt.Sprint(args...), "component", "asynq") }
func (a asynqLogger) Warn(args ...any)  { a.l.Warn(fmt.Sprint(args...), "component", "asynq") }
func (a asynqLogger) Error(args ...any) { a.l.Error(fmt.Sprint(args...), "component", "asynq") }
func (a asynqLogger) Fatal(args ...any) {
	a.l.Error(fmt.Sprint(args...), "component", "asynq", "fatal", true)
}
