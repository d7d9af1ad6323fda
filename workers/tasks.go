// Package workers holds every asynq task of wabsp: type names, payloads,
// constructors, handlers, the mux and its middleware, the queues and the
// periodic schedule. Handlers are thin: they decode a payload and call a
// domain service; what can never succeed is wrapped in asynq.SkipRetry.
package workers

import (
	"time"

	"github.com/google/uuid"
	"github.com/hibiken/asynq"

	"github.com/wabsp/wabsp/webhooks"
)

// Queues and their weights. Intake is critical: until its task runs, a
// webhook exists only in Redis. Tenant work is default; housekeeping is low.
const (
	QueueCritical = "critical"
	QueueDefault  = "default"
	QueueLow      = "low"
)

// QueueWeights is the asynq weighting of the queues (not strict priority, so
// low still runs while the others are busy).
var QueueWeights = map[string]int{QueueCritical: 6, QueueDefault: 3, QueueLow: 1}

// Task types.
const (
	TypeMetaIntake       = "meta:intake"
	TypeMetaApply        = "meta:apply"
	TypeAdoptOrphans     = "maintenance:adopt_orphans"
	TypeArchiveRetention = "maintenance:archive_retention"
)

// NewMetaIntakeTask wraps a group of webhook bodies that were made durable in
// one Redis round trip.
func NewMetaIntakeTask(bodies []webhooks.Body) *asynq.Task {
	return newIntakeTask(encodeBodies(bodies), "")
}

// newIntakeTask wraps an encoded payload; a group, when given, is joined only
// by payloads small enough to be worth merging (see groupsIntake).
func newIntakeTask(payload []byte, group string) *asynq.Task {
	opts := []asynq.Option{asynq.Queue(QueueCritical), asynq.MaxRetry(50), asynq.Timeout(2 * time.Minute)}
	if group != "" && groupsIntake(len(payload)) {
		opts = append(opts, asynq.Group(group))
	}
	return asynq.NewTask(TypeMetaIntake, payload, opts...)
}

// ApplyPayload is one tenant's share of routed changes.
type ApplyPayload struct {
	TenantID uuid.UUID         `json:"tenant_id"`
	Changes  []webhooks.Change `json:"changes"`
}

// NewMetaApplyTask builds the per-tenant apply task. Its id is derived from
// the changes it carries, so an intake retry that routes the same bodies again
// does not queue the same work twice while the first copy is pending. A
// small one joins its tenant's group, whose tasks are merged before they run.
func NewMetaApplyTask(p ApplyPayload) *asynq.Task {
	payload := encodeApply(p)
	opts := []asynq.Option{asynq.Queue(QueueDefault), asynq.MaxRetry(50), asynq.Timeout(2 * time.Minute),
		asynq.TaskID(applyTaskID(p))}
	if groupsApply(len(payload)) {
		opts = append(opts, asynq.Group(applyGroup(p.TenantID)))
	}
	return asynq.NewTask(TypeMetaApply, payload, opts...)
}

// NewAdoptOrphansTask asks a worker to route orphaned changes whose WABA or
// phone number has since been onboarded.
func NewAdoptOrphansTask() *asynq.Task {
	return asynq.NewTask(TypeAdoptOrphans, nil, asynq.Queue(QueueLow), asynq.MaxRetry(3), asynq.Timeout(5*time.Minute))
}

// NewArchiveRetentionTask asks a worker to delete raw webhook bodies older
// than the configured retention.
func NewArchiveRetentionTask() *asynq.Task {
	return asynq.NewTask(TypeArchiveRetention, nil, asynq.Queue(QueueLow), asynq.MaxRetry(3), asynq.Timeout(30*time.Minute))
}
