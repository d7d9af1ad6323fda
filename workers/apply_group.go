package workers

import (
	"bytes"
	"encoding/json"
	"fmt"
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
const (
	applyGroupGrace    = time.Second // asynq's minimum
	applyGroupMaxDelay = 2 * time.Second
	applyGroupMaxSize  = 64
)

func applyGroup(tenantID uuid.UUID) string { return "tenant:" + tenantID.String() }

// mergeApplyTasks is the asynq group aggregator. It joins the payloads into
// a JSON array without decoding them, so merging costs a copy and can lose
// nothing; decodeApply reads both shapes.
func mergeApplyTasks(_ string, tasks []*asynq.Task) *asynq.Task {
	var b bytes.Buffer
	b.WriteByte('[')
	for i, t := range tasks {
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(t.Payload())
	}
	b.WriteByte(']')
	return asynq.NewTask(TypeMetaApply, b.Bytes())
}

// decodeApply reads an apply payload, single or merged. A merged one holds
// one tenant's payloads only, since tasks are grouped by tenant.
func decodeApply(payload []byte) (ApplyPayload, error) {
	if len(payload) == 0 || payload[0] != '[' {
		var p ApplyPayload
		err := json.Unmarshal(payload, &p)
		return p, err
	}
	var parts []ApplyPayload
	if err := json.Unmarshal(payload, &parts); err != nil {
		return ApplyPayload{}, err
	}
	var out ApplyPayload
	for _, p := range parts {
		if out.TenantID != uuid.Nil && p.TenantID != out.TenantID {
			return ApplyPayload{}, fmt.Errorf("merged apply payload mixes tenants %s and %s", out.TenantID, p.TenantID)
		}
		out.TenantID = p.TenantID
		out.Changes = append(out.Changes, p.Changes...)
	}
	return out, nil
}
