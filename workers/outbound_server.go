package workers

import (
	"context"
	"log/slog"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
)

// NewOutboundServer returns the asynq server for the outbound queue. Its
// workers mostly wait on tenants' endpoints, so it runs many of them
// (concurrency 64 when o.Concurrency is 0); per-endpoint limits, not this
// number, decide how hard one endpoint is pressed.
func NewOutboundServer(rdb redis.UniversalClient, log *slog.Logger, o ServerOptions) *asynq.Server {
	if o.Concurrency <= 0 {
		o.Concurrency = 64
	}
	return asynq.NewServerFromRedisClient(rdb, asynq.Config{
		Concurrency:     o.Concurrency,
		Queues:          map[string]int{QueueOutbound: 1},
		ShutdownTimeout: o.ShutdownTimeout,
		RetryDelayFunc:  retryDelay,
		// An empty queue is checked again soon: a delivery run queued just
		// after a check would otherwise wait a whole second.
		TaskCheckInterval:        50 * time.Millisecond,
		DelayedTaskCheckInterval: time.Second,
		Logger:                   asynqLogger{log},
		LogLevel:                 asynq.WarnLevel,
		ErrorHandler: asynq.ErrorHandlerFunc(func(ctx context.Context, t *asynq.Task, err error) {
			id, _ := asynq.GetTaskID(ctx)
			log.Error("outbound task failed", "task_type", t.Type(), "task_id", id, "err", err)
		}),
	})
}
