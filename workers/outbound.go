package workers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/wabsp/wabsp/webhooks/outbound"
)

// Outbound subscriptions run on a queue of their own, served by a server of
// their own (NewOutboundServer): deliveries wait on tenants' endpoints, and
// however slow those are, the intake's workers never wait with them.
const (
	QueueOutbound       = "outbound"
	TypeOutboundPump    = "outbound:pump"
	TypeOutboundDeliver = "outbound:deliver"
)

// OutboundService is what the outbound tasks need of the outbound domain.
type OutboundService interface {
	Pump(ctx context.Context, limit int) (outbound.PumpResult, error)
	Due(ctx context.Context, limit int) ([]uuid.UUID, error)
	Deliver(ctx context.Context, subID uuid.UUID, budget time.Duration) (outbound.RunResult, error)
}

var _ OutboundService = (*outbound.Service)(nil)

// DeliverPayload names the subscription whose due deliveries a task sends.
type DeliverPayload struct {
	SubscriptionID uuid.UUID `json:"subscription_id"`
}

// deliverTimeout bounds one delivery task: a batch to an endpoint answering
// just under the attempt timeout, one in-flight slot at a time, fits.
const deliverTimeout = 10 * time.Minute

// NewOutboundPumpTask asks for new outbox events to be fanned out and due
// endpoints to be woken. It is unique for its period, so a scheduler firing
// while a pump is queued adds nothing.
func NewOutboundPumpTask() *asynq.Task {
	return asynq.NewTask(TypeOutboundPump, nil, asynq.Queue(QueueOutbound), asynq.MaxRetry(0),
		asynq.Timeout(time.Minute))
}

// NewOutboundDeliverTask builds a delivery run for one subscription.
func NewOutboundDeliverTask(p DeliverPayload) (*asynq.Task, error) {
	b, err := json.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("marshal %s: %w", TypeOutboundDeliver, err)
	}
	return asynq.NewTask(TypeOutboundDeliver, b, asynq.Queue(QueueOutbound), asynq.MaxRetry(5),
		asynq.Timeout(deliverTimeout)), nil
}

// OutboundOptions tunes the outbound tasks; zero values take the defaults.
type OutboundOptions struct {
	// RunBudget is how long one delivery task keeps sending before it hands
	// over to a fresh task, so endpoints with deep queues take turns with
	// the others (default 10s).
	RunBudget time.Duration
	// PumpBatch is how many events one pump round reads (default 1000).
	PumpBatch int
	// PumpBudget is how long one pump task keeps pumping (default 5s).
	PumpBudget time.Duration
}

// Outbound runs the outbound subscription tasks and wakes delivery runs. It
// implements outbound.Waker.
type Outbound struct {
	svc    OutboundService
	client *asynq.Client
	runs   runState
	log    *slog.Logger
	opt    OutboundOptions
}

var _ outbound.Waker = (*Outbound)(nil)

// NewOutbound returns the outbound task handlers.
func NewOutbound(svc OutboundService, client *asynq.Client, rdb redis.UniversalClient, log *slog.Logger, o OutboundOptions) *Outbound {
	if o.RunBudget <= 0 {
		o.RunBudget = 10 * time.Second
	}
	if o.PumpBatch <= 0 {
		o.PumpBatch = 1000
	}
	if o.PumpBudget <= 0 {
		o.PumpBudget = 5 * time.Second
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Outbound{svc: svc, client: client, runs: runState{rdb: rdb, ttl: deliverTimeout + time.Minute}, log: log, opt: o}
}

// Register adds the outbound handlers to mux.
func (o *Outbound) Register(mux *asynq.ServeMux) {
	mux.HandleFunc(TypeOutboundPump, o.HandlePump)
	mux.HandleFunc(TypeOutboundDeliver, o.HandleDeliver)
}

// Wake starts a delivery run for each subscription that has none queued or
// running, and tells running ones to look again before they stop.
func (o *Outbound) Wake(ctx context.Context, ids ...uuid.UUID) error {
	if len(ids) == 0 {
		return nil
	}
	start, err := o.runs.notifyMany(ctx, ids)
	if err != nil {
		return fmt.Errorf("wake %d delivery runs: %w", len(ids), err)
	}
	// Enqueues are independent round trips; a few at a time keep a wake of
	// thousands of endpoints short.
	errs := make([]error, len(start))
	sem := make(chan struct{}, 8)
	var wg sync.WaitGroup
	for i, id := range start {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			errs[i] = o.enqueueRun(ctx, id)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// enqueueRun queues a delivery run whose queued state is already recorded;
// when the enqueue fails the state is cleared so the next wake tries again.
func (o *Outbound) enqueueRun(ctx context.Context, id uuid.UUID) error {
	task, err := NewOutboundDeliverTask(DeliverPayload{SubscriptionID: id})
	if err == nil {
		_, err = o.client.EnqueueContext(ctx, task)
	}
	if err != nil {
		o.runs.clear(context.WithoutCancel(ctx), id, queuedState) //nolint:errcheck // the state expires anyway
		return fmt.Errorf("enqueue delivery run for %s: %w", id, err)
	}
	return nil
}

// HandlePump fans new events out into deliveries, wakes the subscriptions
// that got some, then wakes every subscription with deliveries due.
func (o *Outbound) HandlePump(ctx context.Context, _ *asynq.Task) error {
	stop := time.Now().Add(o.opt.PumpBudget)
	for {
		res, err := o.svc.Pump(ctx, o.opt.PumpBatch)
		if err != nil {
			return err
		}
		if err := o.Wake(ctx, res.Woken...); err != nil {
			o.log.Warn("waking delivery runs failed; the next sweep retries", "err", err)
		}
		if !res.More || time.Now().After(stop) {
			break
		}
	}
	due, err := o.svc.Due(ctx, 5000)
	if err != nil {
		return err
	}
	if err := o.Wake(ctx, due...); err != nil {
		o.log.Warn("waking due delivery runs failed; the next sweep retries", "err", err)
	}
	return nil
}

// HandleDeliver runs one subscription's deliveries while it holds the
// subscription's run. A task that finds the run held by another only marks
// it to look again, so at most one task sends to an endpoint at a time.
func (o *Outbound) HandleDeliver(ctx context.Context, t *asynq.Task) error {
	var p DeliverPayload
	if err := json.Unmarshal(t.Payload(), &p); err != nil || p.SubscriptionID == uuid.Nil {
		return fmt.Errorf("%s: bad payload: %v: %w", t.Type(), err, asynq.SkipRetry)
	}
	holder, _ := asynq.GetTaskID(ctx)
	if holder == "" {
		holder = uuid.NewString()
	}
	got, err := o.runs.begin(ctx, p.SubscriptionID, holder)
	if err != nil || !got {
		return err
	}
	for {
		res, err := o.svc.Deliver(ctx, p.SubscriptionID, o.opt.RunBudget)
		if err != nil {
			o.runs.clear(context.WithoutCancel(ctx), p.SubscriptionID, holder) //nolint:errcheck // the state expires anyway
			return err
		}
		if res.More {
			return o.handOver(ctx, p.SubscriptionID, holder)
		}
		again, err := o.runs.end(ctx, p.SubscriptionID, holder)
		if err != nil || !again {
			return err
		}
	}
}

// handOver passes the run to a fresh task at the back of the queue, giving
// the other endpoints' runs their turn.
func (o *Outbound) handOver(ctx context.Context, id uuid.UUID, holder string) error {
	ok, err := o.runs.requeue(ctx, id, holder)
	if err != nil || !ok {
		return err
	}
	return o.enqueueRun(ctx, id)
}
