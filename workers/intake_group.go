package workers

import (
	"errors"
	"strconv"
	"sync/atomic"

	"github.com/hibiken/asynq"
)

// Intake tasks are grouped and merged before they run, as apply tasks are.
// The intake's group commit batches only the bodies that arrive during one
// Redis write, a fraction of a millisecond, so below tens of thousands of
// requests a second nearly every intake task holds one body. Each task then
// pays its own archive insert, route insert, routed mark and commits, many
// times the per-body cost of a batch of hundreds. Merged, a worker archives
// and routes up to applyGroupMaxSize tasks' bodies in one go, at the cost of
// up to applyGroupMaxDelay before they are archived (they are already
// durable in Redis, and Meta was answered when they were).
//
// asynq merges at most GroupMaxSize tasks from one group per check, and
// checks once per grace period, so the intake is spread over intakeGroups
// groups: up to 4,096 intake tasks a second are merged. Past that rate the
// group commit's own batches grow, and a payload of intakeGroupMinPayload
// or more is a batch already and skips the groups; this also bounds a
// merged task to applyGroupMaxSize × intakeGroupMinPayload bytes (8 MiB).
const (
	intakeGroups          = 16
	intakeGroupMinPayload = 32 << 10
)

// intakeGroupPrefix starts the names of the intake groups; the apply groups
// are named by tenant.
const intakeGroupPrefix = "intake:"

// groupsIntake reports whether an intake payload of n bytes waits to be
// merged.
func groupsIntake(n int) bool { return n < intakeGroupMinPayload }

// intakeGroupNames are built once: the intake's write path names a group
// for every Redis write.
var intakeGroupNames = func() (names [intakeGroups]string) {
	for i := range names {
		names[i] = intakeGroupPrefix + strconv.Itoa(i)
	}
	return names
}()

func intakeGroup(i int) string { return intakeGroupNames[i%intakeGroups] }

// intakeGroupCursor spreads a process's writes over the intake groups in
// turn.
type intakeGroupCursor struct{ next atomic.Uint32 }

func (c *intakeGroupCursor) group() string { return intakeGroup(int(c.next.Add(1))) }

// mergeIntakeTasks concatenates the bodies of intake tasks into one payload
// of the same encoding: each payload is its version byte then whole frames.
// A payload of another version is kept whole behind the first, so the merged
// task fails to decode and is archived by asynq with every body in it
// rather than losing any; a future version must use groups of its own.
func mergeIntakeTasks(tasks []*asynq.Task) *asynq.Task {
	n := 1
	for _, t := range tasks {
		n += len(t.Payload())
	}
	b := make([]byte, 1, n)
	b[0] = intakeVersion
	for _, t := range tasks {
		p := t.Payload()
		if len(p) > 0 && p[0] == intakeVersion {
			p = p[1:]
		}
		b = append(b, p...)
	}
	return newIntakeTask(b, "")
}

// mergeTasks is the asynq group aggregator of both kinds of group.
func mergeTasks(group string, tasks []*asynq.Task) *asynq.Task {
	if len(tasks) > 0 && tasks[0].Type() == TypeMetaIntake {
		return mergeIntakeTasks(tasks)
	}
	return mergeApplyTasks(group, tasks)
}

// WaitingIntakeTasks lists the intake tasks no worker has taken yet: those
// ready to run and those still waiting in an intake group to be merged.
func WaitingIntakeTasks(insp *asynq.Inspector) ([]*asynq.TaskInfo, error) {
	var out []*asynq.TaskInfo
	page := func(list func(...asynq.ListOption) ([]*asynq.TaskInfo, error)) error {
		for n := 1; ; n++ {
			tasks, err := list(asynq.Page(n), asynq.PageSize(500))
			if errors.Is(err, asynq.ErrQueueNotFound) {
				return nil
			}
			if err != nil || len(tasks) == 0 {
				return err
			}
			out = append(out, tasks...)
		}
	}
	if err := page(func(o ...asynq.ListOption) ([]*asynq.TaskInfo, error) {
		return insp.ListPendingTasks(QueueCritical, o...)
	}); err != nil {
		return nil, err
	}
	for i := range intakeGroups {
		g := intakeGroup(i)
		if err := page(func(o ...asynq.ListOption) ([]*asynq.TaskInfo, error) {
			return insp.ListAggregatingTasks(QueueCritical, g, o...)
		}); err != nil {
			return nil, err
		}
	}
	return out, nil
}
