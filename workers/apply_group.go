package workers

import (
	"time"

	"github.com/google/uuid"
	"github.com/hibiken/asynq"
)

// Apply tasks are grouped per tenant and merged before they run. One intake
// task carries the bodies of a few milliseconds, so without merging a busy
// tenant would get many small transactions, each paying a commit and, for
// billing, taking the tenant's ledger lock in turn. Merged, a tenant gets one
// transaction for up to applyGroupMaxSize tasks' worth of changes, at the
// cost of up to applyGroupMaxDelay before its changes land.
//
// asynq checks groups once per grace period and takes at most
// applyGroupMaxSize tasks from a group per check, so that size is also the
// most small apply tasks a tenant can have merged per second: at 64 a
// tenant was held to about 3,200 statuses a second when Meta sent 50 per
// body. Payloads of applyGroupMinPayload or more are a good batch already
// and skip the group; this also bounds a merged task to applyGroupMaxSize ×
// applyGroupMinPayload bytes (16 MiB).
const (
	applyGroupGrace      = time.Second // asynq's minimum
	applyGroupMaxDelay   = 2 * time.Second
	applyGroupMaxSize    = 256
	applyGroupMinPayload = 64 << 10
)

// groupsApply reports whether an apply payload of n bytes waits to be merged.
func groupsApply(n int) bool { return n < applyGroupMinPayload }

func applyGroup(tenantID uuid.UUID) string { return "tenant:" + tenantID.String() }

// mergeApplyTasks is the asynq group aggregator. Apply payloads are
// self-contained segments, so merging is a concatenation: it costs a copy and
// can lose nothing.
func mergeApplyTasks(_ string, tasks []*asynq.Task) *asynq.Task {
	n := 0
	for _, t := range tasks {
		n += len(t.Payload())
	}
	b := make([]byte, 0, n)
	for _, t := range tasks {
		b = append(b, t.Payload()...)
	}
	return asynq.NewTask(TypeMetaApply, b)
}
