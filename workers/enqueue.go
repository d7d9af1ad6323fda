package workers

import (
	"context"
	"errors"

	"github.com/hibiken/asynq"
)

// enqueueOnce queues task. A task whose id is already queued is the one
// this call wanted, so that conflict is not an error: every caller that
// names its tasks relies on it to make enqueueing idempotent.
func enqueueOnce(ctx context.Context, c *asynq.Client, task *asynq.Task, opts ...asynq.Option) error {
	_, err := c.EnqueueContext(ctx, task, opts...)
	if errors.Is(err, asynq.ErrTaskIDConflict) {
		return nil
	}
	return err
}
