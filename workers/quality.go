package workers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/google/uuid"
	"github.com/hibiken/asynq"

	"github.com/wabsp/wabsp/internal/apperr"
	"github.com/wabsp/wabsp/internal/graph"
	"github.com/wabsp/wabsp/quality"
	"github.com/wabsp/wabsp/tenants"
)

// Quality task types.
const (
	TypeQualityOnboard   = "quality:onboard"
	TypeQualityReconcile = "quality:reconcile"
	TypeQualitySchedule  = "quality:schedule"
)

// What a reconcile task polls.
const (
	ReconcileNumbers   = "numbers"
	ReconcileTemplates = "templates"
)

// QualityOnboardPayload names a WABA to subscribe and poll for the first
// time.
type QualityOnboardPayload struct {
	TenantID uuid.UUID `json:"tenant_id"`
	WABARef  uuid.UUID `json:"waba_ref"`
}

// QualityReconcilePayload names a WABA and what of it to poll.
type QualityReconcilePayload struct {
	TenantID uuid.UUID `json:"tenant_id"`
	WABARef  uuid.UUID `json:"waba_ref"`
	What     string    `json:"what"`
}

// NewQualityOnboardTask builds the onboarding task. Its id is the WABA's,
// so onboarding a WABA twice while the first is pending queues it once.
func NewQualityOnboardTask(p QualityOnboardPayload) (*asynq.Task, error) {
	b, err := json.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("marshal %s: %w", TypeQualityOnboard, err)
	}
	return asynq.NewTask(TypeQualityOnboard, b, asynq.Queue(QueueDefault), asynq.MaxRetry(20),
		asynq.Timeout(5*time.Minute), asynq.TaskID("quality:onboard:"+p.WABARef.String())), nil
}

// NewQualityReconcileTask builds a reconcile task. Its id is the WABA's and
// the poll kind's, so polls of one WABA never pile up: while one waits (for
// its jitter or for Meta's budget) the scheduler's next attempt is refused.
func NewQualityReconcileTask(p QualityReconcilePayload) (*asynq.Task, error) {
	b, err := json.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("marshal %s: %w", TypeQualityReconcile, err)
	}
	return asynq.NewTask(TypeQualityReconcile, b, asynq.Queue(QueueLow), asynq.MaxRetry(10),
		asynq.Timeout(5*time.Minute), asynq.TaskID("quality:reconcile:"+p.What+":"+p.WABARef.String())), nil
}

// NewQualityScheduleTask asks a worker to queue the polls that are due.
func NewQualityScheduleTask() *asynq.Task {
	return asynq.NewTask(TypeQualitySchedule, nil, asynq.Queue(QueueLow), asynq.MaxRetry(1), asynq.Timeout(time.Minute))
}

// qualityTenants is what polling needs from the tenants domain.
type qualityTenants interface {
	GetWABA(ctx context.Context, tenantID, ref uuid.UUID) (tenants.WABA, error)
	AccessToken(ctx context.Context, tenantID, wabaRef uuid.UUID) (string, error)
	CreatePhoneNumber(ctx context.Context, a tenants.Actor, tenantID uuid.UUID, in tenants.NewPhoneNumber) (tenants.PhoneNumber, error)
}

// QualityPoller reconciles wabsp's quality state with the Graph API: it
// subscribes WABAs to webhooks and polls their numbers and templates. Its
// methods are the task handlers' bodies, callable without a queue.
type QualityPoller struct {
	Log     *slog.Logger
	Quality *quality.Service
	Tenants qualityTenants
	Graph   *graph.Client
	// Now dates polls; default time.Now.
	Now func() time.Time
	// FailureBackoff is how long a WABA whose poll failed for good is left
	// alone (default one hour).
	FailureBackoff time.Duration
}

func (p *QualityPoller) now() time.Time {
	if p.Now != nil {
		return p.Now()
	}
	return time.Now()
}

func (p *QualityPoller) log() *slog.Logger {
	if p.Log != nil {
		return p.Log
	}
	return slog.New(slog.DiscardHandler)
}

// wabaAccess is a WABA with the token to call Meta about it.
type wabaAccess struct {
	tenantID uuid.UUID
	ref      uuid.UUID
	wabaID   string
	token    string
}

func (p *QualityPoller) access(ctx context.Context, tenantID, ref uuid.UUID) (wabaAccess, error) {
	w, err := p.Tenants.GetWABA(ctx, tenantID, ref)
	if err != nil {
		return wabaAccess{}, err
	}
	token, err := p.Tenants.AccessToken(ctx, tenantID, ref)
	if err != nil {
		return wabaAccess{}, err
	}
	return wabaAccess{tenantID: tenantID, ref: ref, wabaID: w.WABAID, token: token}, nil
}

// Onboard subscribes wabsp's app to the WABA's webhooks and polls its
// numbers and templates for the first time.
func (p *QualityPoller) Onboard(ctx context.Context, tenantID, ref uuid.UUID) error {
	a, err := p.access(ctx, tenantID, ref)
	if err != nil {
		return err
	}
	if err := p.Graph.Subscribe(ctx, a.token, a.wabaID); err != nil {
		return p.failed(ctx, a, err)
	}
	if err := p.Quality.MarkSubscribed(ctx, tenantID, a.wabaID, p.now()); err != nil {
		return err
	}
	if _, err := p.reconcileNumbers(ctx, a); err != nil {
		return err
	}
	_, err = p.reconcileTemplates(ctx, a)
	return err
}

// Reconcile polls the WABA's numbers or templates and applies what differs.
func (p *QualityPoller) Reconcile(ctx context.Context, tenantID, ref uuid.UUID, what string) (quality.PollResult, error) {
	a, err := p.access(ctx, tenantID, ref)
	if err != nil {
		return quality.PollResult{}, err
	}
	switch what {
	case ReconcileNumbers:
		return p.reconcileNumbers(ctx, a)
	case ReconcileTemplates:
		return p.reconcileTemplates(ctx, a)
	}
	return quality.PollResult{}, apperr.InvalidField("what", "must be numbers or templates")
}

func (p *QualityPoller) reconcileNumbers(ctx context.Context, a wabaAccess) (quality.PollResult, error) {
	numbers, err := p.Graph.PhoneNumbers(ctx, a.token, a.wabaID)
	if err != nil {
		return quality.PollResult{}, p.failed(ctx, a, err)
	}
	polls := make([]quality.NumberPoll, len(numbers))
	for i, n := range numbers {
		polls[i] = quality.NumberPoll{
			PhoneNumberID: n.ID, DisplayPhoneNumber: n.DisplayPhoneNumber, VerifiedName: n.VerifiedName,
			QualityRating: n.QualityRating, Status: n.Status, NameStatus: n.NameStatus, Throughput: n.Throughput.Level,
			MessagingLimitTier: n.MessagingLimitTier, MessagingLimit: n.MessagingLimit,
		}
		p.register(ctx, a, n)
	}
	return p.Quality.ApplyNumberPoll(ctx, a.tenantID, a.wabaID, p.now(), polls)
}

// register onboards a number Meta lists under the WABA into the tenant's
// numbers, so webhooks naming it route by its id. A number some tenant has
// registered already is left as it is.
func (p *QualityPoller) register(ctx context.Context, a wabaAccess, n graph.PhoneNumber) {
	_, err := p.Tenants.CreatePhoneNumber(ctx, tenants.System("quality reconcile"), a.tenantID, tenants.NewPhoneNumber{
		WABARef: a.ref, PhoneNumberID: n.ID, DisplayPhoneNumber: n.DisplayPhoneNumber, VerifiedName: n.VerifiedName,
	})
	if err != nil && !apperr.Is(err, apperr.Conflict) {
		p.log().Warn("quality: cannot register polled number", "tenant_id", a.tenantID, "waba_id", a.wabaID,
			"phone_number_id", n.ID, "err", err)
	}
}

func (p *QualityPoller) reconcileTemplates(ctx context.Context, a wabaAccess) (quality.PollResult, error) {
	list, err := p.Graph.Templates(ctx, a.token, a.wabaID)
	if err != nil {
		return quality.PollResult{}, p.failed(ctx, a, err)
	}
	polls := make([]quality.TemplatePoll, len(list))
	for i, t := range list {
		polls[i] = quality.TemplatePoll{
			ID: string(t.ID), Name: t.Name, Language: t.Language, Status: t.Status, Category: t.Category,
			QualityScore: t.QualityScore.Score, RejectedReason: t.RejectedReason,
		}
		if t.QualityScore.Date > 0 {
			polls[i].QualityAt = time.Unix(t.QualityScore.Date, 0).UTC()
		}
	}
	return p.Quality.ApplyTemplatePoll(ctx, a.tenantID, a.wabaID, p.now(), polls)
}

// failed decides what a Graph failure means. A rate limit is returned as is
// (the task comes back after the advised wait). An error Meta calls
// transient is returned for a normal retry. Anything else will not heal by
// retrying: it is recorded on the account, the WABA is left alone for
// FailureBackoff and the task is not retried.
func (p *QualityPoller) failed(ctx context.Context, a wabaAccess, err error) error {
	if _, limited := graph.RetryAfter(err); limited {
		return err
	}
	var gerr *graph.Error
	if !errors.As(err, &gerr) || gerr.Temporary() {
		return err
	}
	backoff := p.FailureBackoff
	if backoff <= 0 {
		backoff = time.Hour
	}
	reason := fmt.Sprintf("graph error %d/%d (trace %s): %s", gerr.Code, gerr.Subcode, gerr.FBTraceID, gerr.Message)
	if rerr := p.Quality.RecordPollFailure(ctx, a.tenantID, a.wabaID, reason, p.now().Add(backoff)); rerr != nil {
		return errors.Join(err, rerr)
	}
	return fmt.Errorf("%w: %w", err, asynq.SkipRetry)
}

// errGraphWait marks a task held back by Meta's call budget: it is not a
// failure and comes back after the wait (see NewServer).
type errGraphWait struct {
	wait time.Duration
	err  error
}

func (e *errGraphWait) Error() string {
	return fmt.Sprintf("graph budget: retry in %s: %v", e.wait, e.err)
}
func (e *errGraphWait) Unwrap() error { return e.err }

// graphWait reports the wait of a task held back by the Graph budget.
func graphWait(err error) (time.Duration, bool) {
	var w *errGraphWait
	if errors.As(err, &w) {
		return w.wait, true
	}
	return 0, false
}

// taskError maps a poll's error to asynq's retry semantics: budget waits
// come back after the wait without spending a retry; input that can never
// succeed (no token stored, the WABA deleted) is not retried.
func taskError(err error) error {
	if err == nil {
		return nil
	}
	if wait, limited := graph.RetryAfter(err); limited {
		return &errGraphWait{wait: wait, err: err}
	}
	switch apperr.CodeOf(err) {
	case apperr.NotFound, apperr.FailedPrecondition, apperr.Invalid:
		return fmt.Errorf("%w: %w", err, asynq.SkipRetry)
	}
	return err
}

// QualityTasks are the asynq handlers of quality polling.
type QualityTasks struct {
	Poller *QualityPoller
	// Client queues the polls the scheduler finds due.
	Client *asynq.Client
	// NumbersEvery and TemplatesEvery are the poll intervals (default one
	// and six hours).
	NumbersEvery, TemplatesEvery time.Duration
}

// Register adds the quality handlers to mux.
func (q *QualityTasks) Register(mux *asynq.ServeMux) {
	mux.HandleFunc(TypeQualityOnboard, q.handleOnboard)
	mux.HandleFunc(TypeQualityReconcile, q.handleReconcile)
	mux.HandleFunc(TypeQualitySchedule, q.handleSchedule)
}

func (q *QualityTasks) handleOnboard(ctx context.Context, t *asynq.Task) error {
	var p QualityOnboardPayload
	if err := json.Unmarshal(t.Payload(), &p); err != nil {
		return fmt.Errorf("%s: decode: %v: %w", t.Type(), err, asynq.SkipRetry)
	}
	return taskError(q.Poller.Onboard(ctx, p.TenantID, p.WABARef))
}

func (q *QualityTasks) handleReconcile(ctx context.Context, t *asynq.Task) error {
	var p QualityReconcilePayload
	if err := json.Unmarshal(t.Payload(), &p); err != nil {
		return fmt.Errorf("%s: decode: %v: %w", t.Type(), err, asynq.SkipRetry)
	}
	_, err := q.Poller.Reconcile(ctx, p.TenantID, p.WABARef, p.What)
	return taskError(err)
}

func (q *QualityTasks) intervals() (numbers, templates time.Duration) {
	numbers, templates = q.NumbersEvery, q.TemplatesEvery
	if numbers <= 0 {
		numbers = time.Hour
	}
	if templates <= 0 {
		templates = 6 * time.Hour
	}
	return numbers, templates
}

// scheduleBatch bounds one scheduling pass; the rest is found next minute.
const scheduleBatch = 1000

// handleSchedule queues the polls that are due: onboarding for WABAs never
// subscribed, reconciles for the rest. Each is delayed by a random jitter
// of up to a twentieth of its interval (at most five minutes), so WABAs
// onboarded together do not poll in lockstep; task ids keep a WABA's polls
// from piling up.
func (q *QualityTasks) handleSchedule(ctx context.Context, _ *asynq.Task) error {
	numbersEvery, templatesEvery := q.intervals()
	due, err := q.Poller.Quality.DuePolls(ctx, q.Poller.now(), numbersEvery, templatesEvery, scheduleBatch)
	if err != nil {
		return err
	}
	for _, d := range due {
		var tasks []*asynq.Task
		var jitters []time.Duration
		if !d.Subscribed {
			task, err := NewQualityOnboardTask(QualityOnboardPayload{TenantID: d.TenantID, WABARef: d.WABARef})
			if err != nil {
				return err
			}
			tasks, jitters = append(tasks, task), append(jitters, 0)
		} else {
			for _, w := range []struct {
				due   bool
				what  string
				every time.Duration
			}{{d.Numbers, ReconcileNumbers, numbersEvery}, {d.Templates, ReconcileTemplates, templatesEvery}} {
				if !w.due {
					continue
				}
				task, err := NewQualityReconcileTask(QualityReconcilePayload{TenantID: d.TenantID, WABARef: d.WABARef, What: w.what})
				if err != nil {
					return err
				}
				tasks, jitters = append(tasks, task), append(jitters, jitter(w.every))
			}
		}
		for i, task := range tasks {
			if err := enqueueOnce(ctx, q.Client, task, asynq.ProcessIn(jitters[i])); err != nil {
				return fmt.Errorf("enqueue %s for WABA %s: %w", task.Type(), d.WABAID, err)
			}
		}
	}
	return nil
}

func jitter(every time.Duration) time.Duration {
	limit := min(every/20, 5*time.Minute)
	if limit <= 0 {
		return 0
	}
	return rand.N(limit)
}

// WABAOnboarder queues a WABA's onboarding; the HTTP API calls it when a
// WABA is created.
type WABAOnboarder struct {
	Client *asynq.Client
}

// OnboardWABA queues the subscription and first polls of a new WABA.
func (o WABAOnboarder) OnboardWABA(ctx context.Context, tenantID, wabaRef uuid.UUID) error {
	task, err := NewQualityOnboardTask(QualityOnboardPayload{TenantID: tenantID, WABARef: wabaRef})
	if err != nil {
		return err
	}
	if err := enqueueOnce(ctx, o.Client, task); err != nil {
		return fmt.Errorf("enqueue onboarding of WABA %s: %w", wabaRef, err)
	}
	return nil
}
