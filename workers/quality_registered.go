package workers

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"github.com/hibiken/asynq"
)

// QualityPolls queues polls the API asks for; it implements
// httpapi.NumberPolls.
type QualityPolls struct {
	Client *asynq.Client
}

// PollNumbers queues a poll of the WABA's numbers to run now, so a number
// registered through the API gets Meta's rating and status at once. Its
// task id is apart from the scheduler's, whose poll may wait for minutes of
// jitter; while one such poll is queued, asking again adds nothing, since
// that poll reads every number of the WABA.
func (q QualityPolls) PollNumbers(ctx context.Context, tenantID, wabaRef uuid.UUID) error {
	task, err := NewQualityReconcileTask(QualityReconcilePayload{TenantID: tenantID, WABARef: wabaRef, What: ReconcileNumbers})
	if err != nil {
		return err
	}
	if err := enqueueOnce(ctx, q.Client, task, asynq.TaskID(pollNowTaskID(wabaRef))); err != nil {
		return fmt.Errorf("enqueue numbers poll of WABA %s: %w", wabaRef, err)
	}
	return nil
}

// pollNowTaskID is the task id of an asked-for numbers poll of a WABA.
func pollNowTaskID(wabaRef uuid.UUID) string {
	return "quality:reconcile:numbers:now:" + wabaRef.String()
}
