package workers

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/hibiken/asynq"

	"github.com/wabsp/wabsp/internal/redistest"
	"github.com/wabsp/wabsp/webhooks"
)

func intakeBodies(from, n int) []webhooks.Body {
	out := make([]webhooks.Body, n)
	for i := range out {
		out[i] = webhooks.Body{Raw: fmt.Appendf(nil, `{"n":%d}`, from+i), AppID: "app", ReceivedAt: time.Unix(0, int64(from+i)*1000)}
	}
	return out
}

func TestMergeIntakeTasksKeepsEveryBody(t *testing.T) {
	tests := []struct {
		name  string
		sizes []int
	}{
		{"one task", []int{1}},
		{"tasks of one, two and three bodies", []int{1, 2, 3}},
		{"an empty task among others", []int{2, 0, 1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var tasks []*asynq.Task
			var want []webhooks.Body
			for _, n := range tc.sizes {
				b := intakeBodies(len(want), n)
				want = append(want, b...)
				tasks = append(tasks, NewMetaIntakeTask(b))
			}
			merged := mergeTasks(intakeGroup(0), tasks)
			if merged.Type() != TypeMetaIntake {
				t.Fatalf("merged task type %q", merged.Type())
			}
			got, err := decodeBodies(merged.Payload())
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(want) {
				t.Fatalf("merged %d bodies, want %d", len(got), len(want))
			}
			for i := range want {
				if !bytes.Equal(got[i].Raw, want[i].Raw) || got[i].AppID != want[i].AppID || !got[i].ReceivedAt.Equal(want[i].ReceivedAt) {
					t.Fatalf("body %d: got %+v, want %+v", i, got[i], want[i])
				}
			}
		})
	}
}

// A payload this build cannot read must not be dropped by the merge: the
// merged task keeps its bytes and fails to decode, so asynq archives it.
func TestMergeIntakeTasksKeepsAnUnknownVersionWhole(t *testing.T) {
	foreign := append([]byte{intakeVersion + 1}, "future frames"...)
	merged := mergeIntakeTasks([]*asynq.Task{NewMetaIntakeTask(intakeBodies(0, 1)), asynq.NewTask(TypeMetaIntake, foreign)})
	if !bytes.Contains(merged.Payload(), foreign) {
		t.Fatal("merged payload lost the payload of the unknown version")
	}
	if _, err := decodeBodies(merged.Payload()); err == nil {
		t.Fatal("merged payload with an unknown version decoded")
	}
}

func TestMergeTasksTellsIntakeFromApply(t *testing.T) {
	tenant := uuid.New()
	apply := NewMetaApplyTask(ApplyPayload{TenantID: tenant, Changes: []webhooks.Change{{ArchiveID: 1, Field: "messages"}}})
	if got := mergeTasks(applyGroup(tenant), []*asynq.Task{apply}).Type(); got != TypeMetaApply {
		t.Fatalf("apply group merged into %q", got)
	}
	if got := mergeTasks(intakeGroup(1), []*asynq.Task{NewMetaIntakeTask(intakeBodies(0, 1))}).Type(); got != TypeMetaIntake {
		t.Fatalf("intake group merged into %q", got)
	}
}

func TestIntakeTasksJoinAGroupOnlyWhenSmall(t *testing.T) {
	_, rdb := redistest.New(t)
	client := asynq.NewClientFromRedisClient(rdb)
	big := []webhooks.Body{{Raw: bytes.Repeat([]byte("x"), intakeGroupMinPayload), ReceivedAt: time.Now()}}
	tests := []struct {
		name      string
		payload   []byte
		group     string
		wantGroup string
	}{
		{"a small payload joins its group", encodeBodies(intakeBodies(0, 3)), intakeGroup(5), intakeGroup(5)},
		{"a payload of the threshold or more runs alone", encodeBodies(big), intakeGroup(5), ""},
		{"no group asked for", encodeBodies(intakeBodies(0, 1)), "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			info, err := client.EnqueueContext(context.Background(), newIntakeTask(tc.payload, tc.group))
			if err != nil {
				t.Fatal(err)
			}
			if info.Group != tc.wantGroup || info.Queue != QueueCritical {
				t.Fatalf("queued in %q group %q, want %q group %q", info.Queue, info.Group, QueueCritical, tc.wantGroup)
			}
		})
	}
	waiting, err := WaitingIntakeTasks(asynq.NewInspectorFromRedisClient(rdb))
	if err != nil {
		t.Fatal(err)
	}
	if len(waiting) != len(tests) {
		t.Fatalf("%d intake tasks waiting, want %d", len(waiting), len(tests))
	}
}

func TestIntakeGroupCursorUsesEveryGroup(t *testing.T) {
	var c intakeGroupCursor
	seen := map[string]int{}
	for range 2 * intakeGroups {
		seen[c.group()]++
	}
	if len(seen) != intakeGroups {
		t.Fatalf("writes went to %d groups, want %d", len(seen), intakeGroups)
	}
	for g, n := range seen {
		if n != 2 {
			t.Fatalf("group %s took %d writes, want 2", g, n)
		}
	}
}
