package workers

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
	"github.com/hibiken/asynq"

	"github.com/wabsp/wabsp/webhooks"
)

// sizedApplyTask is an apply task of one tenant whose changes have values
// of the given sizes, archive ids counting from first.
func sizedApplyTask(tenant uuid.UUID, first int64, sizes ...int) *asynq.Task {
	p := ApplyPayload{TenantID: tenant}
	for i, n := range sizes {
		p.Changes = append(p.Changes, webhooks.Change{ArchiveID: first + int64(i), Field: "messages",
			Value: json.RawMessage(`"` + strings.Repeat("x", n-2) + `"`)})
	}
	return NewMetaApplyTask(p)
}

func TestApplyChunksKeepEveryChangeInOrder(t *testing.T) {
	tenant := uuid.New()
	merged := mergeApplyTasks(applyGroup(tenant), []*asynq.Task{
		sizedApplyTask(tenant, 1, 100, 100, 100), sizedApplyTask(tenant, 4, 250), sizedApplyTask(tenant, 5, 10, 10),
	}).Payload()
	legacy := `{"tenant_id":"` + tenant.String() + `","changes":[{"archive_id":1,"field":"messages","value":"aaaa"},` +
		`{"archive_id":2,"field":"messages","value":"bbbb"},{"archive_id":3,"field":"messages","value":"cccc"}]}`
	tests := []struct {
		name     string
		payload  []byte
		maxBytes int
		want     [][]int64
	}{
		{"everything fits one run", merged, 1 << 20, [][]int64{{1, 2, 3, 4, 5, 6}}},
		{"runs close once they reach the cap", merged, 200, [][]int64{{1, 2}, {3, 4}, {5, 6}}},
		{"a change larger than the cap is a run of its own", merged, 50, [][]int64{{1}, {2}, {3}, {4}, {5, 6}}},
		{"runs cross the merged tasks' boundaries", merged, 300, [][]int64{{1, 2, 3}, {4, 5, 6}}},
		{"a JSON payload of an earlier release", []byte(legacy), 8, [][]int64{{1, 2}, {3}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got, err := checkApply(tc.payload); err != nil || got != tenant {
				t.Fatalf("checkApply: tenant %s, err %v", got, err)
			}
			var got [][]int64
			err := eachApplyChunk(tc.payload, tc.maxBytes, func(changes []webhooks.Change) error {
				got = append(got, archiveIDs(ApplyPayload{Changes: changes}))
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Fatalf("runs (-want +got):\n%s", diff)
			}
		})
	}
}

func TestApplyChunksStopAtTheFirstFailedRun(t *testing.T) {
	tenant := uuid.New()
	payload := sizedApplyTask(tenant, 1, 100, 100, 100).Payload()
	failure := errors.New("database gone")
	runs := 0
	err := eachApplyChunk(payload, 100, func([]webhooks.Change) error {
		runs++
		return failure
	})
	if !errors.Is(err, failure) || runs != 1 {
		t.Fatalf("err %v after %d runs, want the failure after 1", err, runs)
	}
}
