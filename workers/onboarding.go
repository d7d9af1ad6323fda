package workers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/hibiken/asynq"

	"github.com/wabsp/wabsp/internal/apperr"
	"github.com/wabsp/wabsp/internal/graph"
	"github.com/wabsp/wabsp/tenants/onboarding"
)

// TypeOnboardingStep runs one step of an Embedded Signup onboarding.
const TypeOnboardingStep = "onboarding:step"

// onboardingMaxRetry bounds a step's transient failures; after the last the
// step is recorded as failed and waits for a retry through the API.
const onboardingMaxRetry = 12

// OnboardingStepPayload names the onboarding, its run and the step.
type OnboardingStepPayload struct {
	TenantID     uuid.UUID `json:"tenant_id"`
	OnboardingID uuid.UUID `json:"onboarding_id"`
	Run          int       `json:"run"`
	Step         string    `json:"step"`
}

// NewOnboardingStepTask builds a step's task. Its id names the onboarding,
// run and step, so a step is queued once per run however often it is asked
// for, and a retried run queues it afresh.
func NewOnboardingStepTask(p OnboardingStepPayload) (*asynq.Task, error) {
	b, err := json.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("marshal %s: %w", TypeOnboardingStep, err)
	}
	id := "onboarding:" + p.OnboardingID.String() + ":" + strconv.Itoa(p.Run) + ":" + p.Step
	return asynq.NewTask(TypeOnboardingStep, b, asynq.Queue(QueueDefault), asynq.MaxRetry(onboardingMaxRetry),
		asynq.Timeout(2*time.Minute), asynq.TaskID(id)), nil
}

// Onboarder queues onboarding steps; the HTTP API calls it to start an
// onboarding and to retry a failed one.
type Onboarder struct {
	Client *asynq.Client
}

// StartOnboarding queues the first step of o's current run that has not
// succeeded. Asking again while it is queued or running does nothing.
func (q Onboarder) StartOnboarding(ctx context.Context, o onboarding.Onboarding) error {
	step := o.Current()
	if step == "" || o.State == onboarding.StateSucceeded {
		return nil
	}
	return q.enqueue(ctx, OnboardingStepPayload{TenantID: o.TenantID, OnboardingID: o.ID, Run: o.Run, Step: step})
}

func (q Onboarder) enqueue(ctx context.Context, p OnboardingStepPayload) error {
	task, err := NewOnboardingStepTask(p)
	if err != nil {
		return err
	}
	if err := enqueueOnce(ctx, q.Client, task); err != nil {
		return apperr.Wrap(err, apperr.Unavailable, "the task queue is unavailable")
	}
	return nil
}

// OnboardingTasks is the asynq handler of onboarding steps.
type OnboardingTasks struct {
	Runner *onboarding.Runner
	Queue  Onboarder
}

// Register adds the onboarding handler to mux.
func (o *OnboardingTasks) Register(mux *asynq.ServeMux) {
	mux.HandleFunc(TypeOnboardingStep, o.handleStep)
}

// handleStep runs the step and, when it succeeded, queues the next. A
// permanent failure is not retried; a Graph budget wait comes back without
// spending a retry.
func (o *OnboardingTasks) handleStep(ctx context.Context, t *asynq.Task) error {
	var p OnboardingStepPayload
	if err := json.Unmarshal(t.Payload(), &p); err != nil {
		return fmt.Errorf("%s: decode: %v: %w", t.Type(), err, asynq.SkipRetry)
	}
	next, err := o.Runner.Run(ctx, p.TenantID, p.OnboardingID, p.Step, lastAttempt(ctx))
	if err != nil {
		return onboardingTaskError(err)
	}
	if next == "" {
		return nil
	}
	p.Step = next
	return o.Queue.enqueue(ctx, p)
}

func lastAttempt(ctx context.Context) bool {
	n, ok1 := asynq.GetRetryCount(ctx)
	limit, ok2 := asynq.GetMaxRetry(ctx)
	return ok1 && ok2 && n >= limit
}

func onboardingTaskError(err error) error {
	var f *onboarding.Failure
	switch {
	case errors.Is(err, onboarding.ErrStopped):
		return fmt.Errorf("%w: %w", err, asynq.SkipRetry)
	case errors.As(err, &f) && f.Permanent:
		return fmt.Errorf("%w: %w", err, asynq.SkipRetry)
	}
	if wait, limited := graph.RetryAfter(err); limited {
		return &errGraphWait{wait: wait, err: err}
	}
	if f == nil {
		return taskError(err)
	}
	return err
}

// OnboardingWatcher gives onboarding quality monitoring's subscription mark
// and its number and template reconciliation.
type OnboardingWatcher struct {
	Poller *QualityPoller
}

var _ onboarding.Watcher = OnboardingWatcher{}

// MarkSubscribed implements onboarding.Watcher.
func (w OnboardingWatcher) MarkSubscribed(ctx context.Context, tenantID uuid.UUID, wabaID string) error {
	return w.Poller.Quality.MarkSubscribed(ctx, tenantID, wabaID, w.Poller.now())
}

// FetchNumbers implements onboarding.Watcher.
func (w OnboardingWatcher) FetchNumbers(ctx context.Context, tenantID, wabaRef uuid.UUID) error {
	_, err := w.Poller.Reconcile(ctx, tenantID, wabaRef, ReconcileNumbers)
	return err
}

// FetchTemplates implements onboarding.Watcher.
func (w OnboardingWatcher) FetchTemplates(ctx context.Context, tenantID, wabaRef uuid.UUID) error {
	_, err := w.Poller.Reconcile(ctx, tenantID, wabaRef, ReconcileTemplates)
	return err
}
