package workers

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/hibiken/asynq"

	"github.com/wabsp/wabsp/internal/apperr"
	"github.com/wabsp/wabsp/webhooks"
)

// TypeReplay re-processes archived webhooks.
const TypeReplay = "maintenance:replay"

// Jobs queues background work for the API (it implements httpapi.Jobs).
type Jobs struct {
	client *asynq.Client
}

// NewJobs returns Jobs enqueueing through client.
func NewJobs(client *asynq.Client) *Jobs { return &Jobs{client: client} }

// ReplayPayload selects the archived bodies a replay re-processes.
type ReplayPayload struct {
	IDs      []int64   `json:"ids,omitempty"`
	From     time.Time `json:"from,omitzero"`
	To       time.Time `json:"to,omitzero"`
	TenantID uuid.UUID `json:"tenant_id,omitzero"`
}

// replayRetention keeps a finished replay's task id taken, so an
// Idempotency-Key repeated within a day still names the first replay.
const replayRetention = 24 * time.Hour

// ReplayWebhooks queues a replay. With a key, the task id is derived from it,
// so repeating the call returns the first replay's id instead of a second one.
func (j *Jobs) ReplayWebhooks(ctx context.Context, f webhooks.ReplayFilter, key string) (string, error) {
	b, err := json.Marshal(ReplayPayload{IDs: f.IDs, From: f.From, To: f.To, TenantID: f.TenantID})
	if err != nil {
		return "", err
	}
	id := "replay:" + uuid.NewString()
	if key != "" {
		sum := sha256.Sum256([]byte(key))
		id = "replay:" + hex.EncodeToString(sum[:16])
	}
	err = enqueueOnce(ctx, j.client, asynq.NewTask(TypeReplay, b),
		asynq.TaskID(id), asynq.Queue(QueueLow), asynq.MaxRetry(10), asynq.Timeout(time.Hour), asynq.Retention(replayRetention))
	if err != nil {
		return "", apperr.Wrap(err, apperr.Unavailable, "the task queue is unavailable")
	}
	return id, nil
}

// AdoptOrphans queues an orphan adoption now, rather than at the next
// scheduled run, so a WABA's early webhooks land as soon as it is onboarded.
func (j *Jobs) AdoptOrphans(ctx context.Context) error {
	_, err := j.client.EnqueueContext(ctx, NewAdoptOrphansTask(), asynq.Unique(5*time.Second))
	if err != nil && !errors.Is(err, asynq.ErrDuplicateTask) {
		return fmt.Errorf("enqueue orphan adoption: %w", err)
	}
	return nil
}

// handleReplay routes archived bodies again and queues their apply tasks,
// page by page. Everything downstream is idempotent, so a replay fills in
// only what is missing.
func (h *handlers) handleReplay(ctx context.Context, t *asynq.Task) error {
	var p ReplayPayload
	if err := json.Unmarshal(t.Payload(), &p); err != nil {
		return fmt.Errorf("%s: decode: %v: %w", t.Type(), err, asynq.SkipRetry)
	}
	f := webhooks.ReplayFilter{IDs: p.IDs, From: p.From, To: p.To, TenantID: p.TenantID, Limit: 500}
	bodies, changes := 0, 0
	for {
		archived, err := h.Webhooks.ArchivedForReplay(ctx, f)
		if apperr.Is(err, apperr.Invalid) {
			return fmt.Errorf("%s: %v: %w", t.Type(), err, asynq.SkipRetry)
		}
		if err != nil {
			return err
		}
		if len(archived) == 0 {
			break
		}
		n, err := h.routeAndQueue(ctx, archived)
		if err != nil {
			return err
		}
		bodies += len(archived)
		changes += n
		f.AfterID = archived[len(archived)-1].ID
	}
	return h.recordRun(ctx, t.Type(), map[string]any{"bodies": bodies, "changes": changes})
}
