package workers

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
	"github.com/hibiken/asynq"

	"github.com/wabsp/wabsp/webhooks"
)

func applyTask(t *testing.T, tenant uuid.UUID, ids ...int64) *asynq.Task {
	t.Helper()
	p := ApplyPayload{TenantID: tenant}
	for i, id := range ids {
		p.Changes = append(p.Changes, webhooks.Change{ArchiveID: id, Index: i, Field: "messages", Value: json.RawMessage(`{"n":1}`)})
	}
	task, err := NewMetaApplyTask(p)
	if err != nil {
		t.Fatal(err)
	}
	return task
}

func archiveIDs(p ApplyPayload) []int64 {
	var out []int64
	for _, c := range p.Changes {
		out = append(out, c.ArchiveID)
	}
	return out
}

func TestMergedApplyKeepsEveryChange(t *testing.T) {
	a, b := uuid.New(), uuid.New()
	tests := []struct {
		name    string
		tasks   []*asynq.Task
		want    []int64
		wantErr bool
	}{
		{"one task", []*asynq.Task{applyTask(t, a, 1, 2)}, []int64{1, 2}, false},
		{"several tasks in order", []*asynq.Task{applyTask(t, a, 1), applyTask(t, a, 2, 3), applyTask(t, a, 4)}, []int64{1, 2, 3, 4}, false},
		{"two tenants never mix", []*asynq.Task{applyTask(t, a, 1), applyTask(t, b, 2)}, nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			merged := mergeApplyTasks(applyGroup(a), tc.tasks)
			if merged.Type() != TypeMetaApply {
				t.Fatalf("merged type %q", merged.Type())
			}
			p, err := decodeApply(merged.Payload())
			if (err != nil) != tc.wantErr {
				t.Fatalf("err %v, want error %v", err, tc.wantErr)
			}
			if tc.wantErr {
				return
			}
			if diff := cmp.Diff(tc.want, archiveIDs(p)); diff != "" || p.TenantID != a {
				t.Fatalf("tenant %s, changes (-want +got):\n%s", p.TenantID, diff)
			}
		})
	}
}

func TestSingleApplyPayloadStillDecodes(t *testing.T) {
	tenant := uuid.New()
	p, err := decodeApply(applyTask(t, tenant, 7).Payload())
	if err != nil || p.TenantID != tenant || len(p.Changes) != 1 {
		t.Fatalf("decoded %+v, err %v", p, err)
	}
}
