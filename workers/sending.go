package workers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/wabsp/wabsp/internal/apperr"
	"github.com/wabsp/wabsp/sending"
)

// TypeSendMessage delivers one queued send to Meta.
const TypeSendMessage = "send:message"

// SendPayload names the send to deliver.
type SendPayload struct {
	TenantID uuid.UUID `json:"tenant_id"`
	SendID   uuid.UUID `json:"send_id"`
}

// NewSendMessageTask builds the delivery task of a send. Its id is the
// send's, so a send is queued once however often it is asked for.
func NewSendMessageTask(p SendPayload) *asynq.Task {
	payload, _ := json.Marshal(p)
	return asynq.NewTask(TypeSendMessage, payload, asynq.Queue(QueueDefault), asynq.MaxRetry(12),
		asynq.Timeout(time.Minute), asynq.TaskID(sendTaskID(p.SendID.String())))
}

// sendTaskID is the asynq task id of a send's delivery.
func sendTaskID(sendID string) string { return "send:" + sendID }

// SendEnqueuer queues the delivery of accepted sends.
type SendEnqueuer struct {
	Client *asynq.Client
	// Redis, when set, holds each number's send clock, which makes the
	// queue fair between tenants (see sendSchedule).
	Redis redis.UniversalClient
}

// Enqueue queues s, due on its number's clock; a send already queued is not
// an error.
func (e SendEnqueuer) Enqueue(ctx context.Context, s sending.Send) error {
	task := NewSendMessageTask(SendPayload{TenantID: s.TenantID, SendID: s.ID})
	var opts []asynq.Option
	if e.Redis != nil {
		now := time.Now()
		at, err := sendSchedule{rdb: e.Redis, prefix: "wabsp:"}.due(ctx, s, s.Throughput, now)
		if err != nil {
			return err
		}
		if at.After(now) {
			opts = append(opts, asynq.ProcessAt(at))
		}
	}
	return enqueueOnce(ctx, e.Client, task, opts...)
}

// SendTasks are the asynq handlers of message delivery.
type SendTasks struct {
	Deliverer *sending.Deliverer
}

// Register adds the delivery handler to mux.
func (s *SendTasks) Register(mux *asynq.ServeMux) {
	mux.HandleFunc(TypeSendMessage, s.handleSend)
}

// handleSend delivers one send. Pacing and Meta's rate limits hold the task
// back without spending a retry; Meta's permanent refusals are not retried.
func (s *SendTasks) handleSend(ctx context.Context, t *asynq.Task) error {
	var p SendPayload
	if err := json.Unmarshal(t.Payload(), &p); err != nil {
		return fmt.Errorf("workers: decode send payload: %w: %w", err, asynq.SkipRetry)
	}
	err := s.Deliverer.Deliver(ctx, p.TenantID, p.SendID)
	var wait *sending.WaitError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &wait):
		return &errGraphWait{wait: wait.Wait, err: err}
	case errors.Is(err, sending.ErrPermanent):
		return fmt.Errorf("%w: %w", err, asynq.SkipRetry)
	case apperr.CodeOf(err) == apperr.NotFound || apperr.CodeOf(err) == apperr.FailedPrecondition:
		return fmt.Errorf("%w: %w", err, asynq.SkipRetry)
	}
	return err
}
