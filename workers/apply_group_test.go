package workers

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/google/uuid"
	"github.com/hibiken/asynq"

	"github.com/wabsp/wabsp/webhooks"
)

func applyTask(tenant uuid.UUID, ids ...int64) *asynq.Task {
	p := ApplyPayload{TenantID: tenant}
	for i, id := range ids {
		p.Changes = append(p.Changes, webhooks.Change{ArchiveID: id, Index: i, Field: "messages", Value: json.RawMessage(`{"n":1}`)})
	}
	return NewMetaApplyTask(p)
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
		{"one task", []*asynq.Task{applyTask(a, 1, 2)}, []int64{1, 2}, false},
		{"several tasks in order", []*asynq.Task{applyTask(a, 1), applyTask(a, 2, 3), applyTask(a, 4)}, []int64{1, 2, 3, 4}, false},
		{"a task without changes", []*asynq.Task{applyTask(a), applyTask(a, 5)}, []int64{5}, false},
		{"two tenants never mix", []*asynq.Task{applyTask(a, 1), applyTask(b, 2)}, nil, true},
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

func TestApplyPayloadRoundTripsEveryField(t *testing.T) {
	want := ApplyPayload{TenantID: uuid.New(), Changes: []webhooks.Change{
		{ArchiveID: 1<<40 + 3, Index: 7, Field: "messages", EntryID: "102290129340398", EntryTime: 1_700_000_000,
			WABAID: "102290129340398", PhoneNumberID: "106540352242922",
			ReceivedAt: time.Date(2026, 11, 21, 9, 30, 0, 123456789, time.UTC),
			Value:      json.RawMessage(`{"statuses":[{"id":"wamid.1","status":"read"}]}`)},
		{Field: "account_update", ReceivedAt: time.Unix(0, 0).UTC(), Value: json.RawMessage(`{}`)},
	}}
	got, err := decodeApply(NewMetaApplyTask(want).Payload())
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got, cmpopts.IgnoreUnexported(webhooks.Change{})); diff != "" {
		t.Fatalf("round trip (-want +got):\n%s", diff)
	}
}

func TestApplyPayloadRejectsDamage(t *testing.T) {
	a, b := uuid.New(), uuid.New()
	whole := applyTask(a, 1, 2).Payload()
	tests := []struct {
		name    string
		payload []byte
	}{
		{"empty", nil},
		{"unknown version", append([]byte{9}, whole[1:]...)},
		{"cut inside the header", whole[:10]},
		{"cut inside a change", whole[:len(whole)-3]},
		{"trailing byte", append(append([]byte(nil), whole...), applyVersion)},
		{"two tenants", mergeApplyTasks(applyGroup(a), []*asynq.Task{applyTask(a, 1), applyTask(b, 2)}).Payload()},
		{"broken JSON", []byte(`{"tenant_id":`)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if p, err := decodeApply(tc.payload); err == nil {
				t.Fatalf("decoded %+v, want an error", p)
			}
			// handleApply checks the whole payload this way before it applies any of it.
			if tenant, err := checkApply(tc.payload); err == nil {
				t.Fatalf("checked for tenant %s, want an error", tenant)
			}
		})
	}
}

func TestJSONApplyPayloadsOfEarlierReleasesStillDecode(t *testing.T) {
	tenant := uuid.New()
	one := `{"tenant_id":"` + tenant.String() + `","changes":[{"archive_id":7,"index":0,"field":"messages","received_at":"2026-11-21T09:30:00Z","value":{"n":1}}]}`
	tests := []struct {
		name    string
		payload string
		want    []int64
	}{
		{"single", one, []int64{7}},
		{"merged", "[" + one + "," + one + "]", []int64{7, 7}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := decodeApply([]byte(tc.payload))
			if err != nil || p.TenantID != tenant {
				t.Fatalf("decoded %+v, err %v", p, err)
			}
			if diff := cmp.Diff(tc.want, archiveIDs(p)); diff != "" {
				t.Fatalf("changes (-want +got):\n%s", diff)
			}
		})
	}
}

func TestOnlySmallApplyPayloadsWaitToBeMerged(t *testing.T) {
	tests := []struct {
		name  string
		bytes int
		want  bool
	}{
		{"a single status", 600, true},
		{"just under the limit", applyGroupMinPayload - 1, true},
		{"at the limit", applyGroupMinPayload, false},
		{"a body of a thousand statuses", 300 << 10, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := groupsApply(tc.bytes); got != tc.want {
				t.Fatalf("groupsApply(%d) = %v, want %v", tc.bytes, got, tc.want)
			}
		})
	}
}
