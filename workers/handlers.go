package workers

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/wabsp/wabsp/internal/pg"
	"github.com/wabsp/wabsp/webhooks"
)

// Deps is what the task handlers need.
type Deps struct {
	Log      *slog.Logger
	DB       *pg.DB
	Redis    redis.UniversalClient
	Client   *asynq.Client
	Webhooks *webhooks.Service
	// TenantSlots caps concurrent apply tasks per tenant (default 2).
	TenantSlots int
	// ArchiveRetention is how long raw webhook bodies are kept.
	ArchiveRetention time.Duration
	// Fence, when set, runs after apply tasks are queued and before the
	// bodies or orphans behind them are marked done in PostgreSQL; an error
	// leaves them to be routed again (see ApplyFence).
	Fence func(context.Context) error
}

type handlers struct {
	Deps
	slots tenantSlots
}

// handleIntake archives a group of bodies, routes their changes to tenants
// and queues one apply task per tenant. Each step is idempotent, so a retry
// after a crash anywhere in between repeats nothing that already took effect.
func (h *handlers) handleIntake(ctx context.Context, t *asynq.Task) error {
	bodies, err := decodeBodies(t.Payload())
	if err != nil {
		return fmt.Errorf("%s: %v: %w", t.Type(), err, asynq.SkipRetry)
	}
	archived, err := h.Webhooks.Archive(ctx, bodies)
	if err != nil || len(archived) == 0 {
		return err
	}
	_, err = h.routeAndQueue(ctx, archived)
	return err
}

// routeAndQueue routes archived bodies, queues one apply task per tenant and
// then marks the bodies routed, in that order, so a crash between the steps
// leaves the bodies to be routed again rather than lost. It returns how many
// changes it queued.
func (h *handlers) routeAndQueue(ctx context.Context, archived []webhooks.Archived) (int, error) {
	batches, err := h.Webhooks.Route(ctx, archived)
	if err != nil {
		return 0, err
	}
	if err := h.enqueueApply(ctx, batches); err != nil {
		return 0, err
	}
	ids := make([]int64, len(archived))
	for i, a := range archived {
		ids[i] = a.ID
	}
	n := 0
	for _, b := range batches {
		n += len(b.Changes)
	}
	return n, h.Webhooks.MarkRouted(ctx, ids)
}

func (h *handlers) enqueueApply(ctx context.Context, batches []webhooks.TenantBatch) error {
	for _, b := range batches {
		task := NewMetaApplyTask(ApplyPayload{TenantID: b.TenantID, Changes: b.Changes})
		if err := enqueueOnce(ctx, h.Client, task); err != nil {
			return fmt.Errorf("enqueue apply for tenant %s: %w", b.TenantID, err)
		}
	}
	if h.Fence == nil || len(batches) == 0 {
		return nil
	}
	if err := h.Fence(ctx); err != nil {
		return fmt.Errorf("apply tasks not confirmed by replicas: %w", err)
	}
	return nil
}

// handleApply persists one tenant's changes, holding one of the tenant's
// worker slots while it does, in transactions of up to applyChunkBytes of
// changes each.
func (h *handlers) handleApply(ctx context.Context, t *asynq.Task) error {
	tenant, err := checkApply(t.Payload())
	if err != nil {
		return fmt.Errorf("%s: decode: %v: %w", t.Type(), err, asynq.SkipRetry)
	}
	holder, _ := asynq.GetTaskID(ctx)
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(2 * time.Minute)
	}
	got, err := h.slots.acquire(ctx, tenant, holder, deadline)
	if err != nil {
		return fmt.Errorf("tenant slot: %w", err)
	}
	if !got {
		return errTenantBusy
	}
	defer h.slots.release(context.WithoutCancel(ctx), tenant, holder) //nolint:errcheck // the slot expires at its deadline anyway
	return eachApplyChunk(t.Payload(), applyChunkBytes, func(changes []webhooks.Change) error {
		return h.Webhooks.Apply(ctx, tenant, changes)
	})
}

// handleAdoptOrphans routes changes that arrived before their WABA or phone
// number was onboarded.
func (h *handlers) handleAdoptOrphans(ctx context.Context, t *asynq.Task) error {
	batches, err := h.Webhooks.AdoptOrphans(ctx, h.enqueueApply)
	if err != nil {
		return err
	}
	n := 0
	for _, b := range batches {
		n += len(b.Changes)
	}
	return h.recordRun(ctx, t.Type(), map[string]any{"adopted_changes": n, "tenants": len(batches)})
}

// handleArchiveRetention deletes raw bodies past the retention period.
func (h *handlers) handleArchiveRetention(ctx context.Context, t *asynq.Task) error {
	cutoff := time.Now().Add(-h.ArchiveRetention)
	n, err := h.Webhooks.PurgeArchive(ctx, cutoff, 5000)
	if err != nil {
		return err
	}
	return h.recordRun(ctx, t.Type(), map[string]any{"deleted": n, "cutoff": cutoff.UTC().Format(time.RFC3339)})
}

// recordRun notes a maintenance task's outcome, so operators (and tests) can
// see that housekeeping runs.
func (h *handlers) recordRun(ctx context.Context, task string, detail map[string]any) error {
	b, err := json.Marshal(detail)
	if err != nil {
		return err
	}
	_, err = h.DB.Exec(ctx, `INSERT INTO maintenance_runs (task, detail) VALUES ($1, $2)`, task, b)
	return err
}
