package workers

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/wabsp/wabsp/internal/apperr"
	"github.com/wabsp/wabsp/webhooks"
)

// IntakeQueue makes webhook bodies durable in Redis with group commit: the
// bodies that arrive while one Redis write is in flight are written together
// as one intake task in the next round trip, and each request is answered only
// once the write holding its own body has succeeded. No timer is involved: an
// idle queue writes a lone body at once, a busy one batches by itself.
//
// Nor does a request arm a timer of its own to bound its wait: the queue
// bounds it instead. A body that waited longer than queueWait for a write to
// take it is answered Unavailable without being written, and a write is given
// writeTimeout, so every Enqueue returns within MaxWait.
type IntakeQueue struct {
	client       *asynq.Client
	reqs         chan *pendingBody
	quit         chan struct{}
	closed       atomic.Bool
	wg           sync.WaitGroup
	pending      sync.Pool
	maxBodies    int
	maxBytes     int
	writeTimeout time.Duration
	queueWait    time.Duration
	flushers     int
	durable      func(context.Context) error
	groups       intakeGroupCursor

	batchSize  prometheus.Histogram
	writeTime  prometheus.Histogram
	writeFails prometheus.Counter
	expired    prometheus.Counter
}

type pendingBody struct {
	body   webhooks.Body
	queued time.Time
	done   chan error // buffered: the flusher never waits for its caller to receive
	// state settles who may touch body.Raw: the flusher copies it only
	// after taking the body, and a caller that gives up may leave (and
	// reuse its buffer) only if the flusher had not taken it yet.
	state atomic.Int32
}

const (
	bodyQueued int32 = iota
	bodyTaken
	bodyAbandoned
)

var errWaitedTooLong = errors.New("no Redis write took the body in time")

// IntakeOptions tunes the group commit. Zero values take the defaults.
type IntakeOptions struct {
	// MaxBodies and MaxBytes bound one write (defaults 256 bodies, 4 MiB).
	MaxBodies int
	MaxBytes  int
	// MaxWait bounds an Enqueue (default 800ms): half of it for waiting
	// to be taken by a write, half for the write.
	MaxWait time.Duration
	// Flushers is the number of writes that may be in flight at once
	// (default 1). One is enough: while its write is in flight the next batch
	// grows by itself, and on two cores a second writer only split the same
	// bodies into more, smaller writes (56–58% of the bare handler's rate
	// with one against 52–55% with two, measured alternately).
	Flushers int
	// Durable, when set, runs after each write and the write counts only
	// if it returns nil (see ReplicaFence).
	Durable func(context.Context) error
}

// NewIntakeQueue returns a started queue writing through client, whose Redis
// connection must honour context deadlines (go-redis ContextTimeoutEnabled)
// for a hung Redis to be answered within MaxWait.
func NewIntakeQueue(client *asynq.Client, reg prometheus.Registerer, o IntakeOptions) *IntakeQueue {
	q := &IntakeQueue{
		client:    client,
		reqs:      make(chan *pendingBody, 4096),
		quit:      make(chan struct{}),
		maxBodies: orDefault(o.MaxBodies, 256),
		maxBytes:  orDefault(o.MaxBytes, 4<<20),
		flushers:  orDefault(o.Flushers, 1),
		durable:   o.Durable,
		batchSize: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "wabsp_intake_batch_bodies", Help: "Webhook bodies made durable per Redis write.",
			Buckets: []float64{1, 2, 4, 8, 16, 32, 64, 128, 256},
		}),
		writeTime: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "wabsp_intake_write_seconds", Help: "Duration of one group-commit write to Redis.",
			Buckets: prometheus.ExponentialBuckets(0.0001, 2, 14),
		}),
		writeFails: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "wabsp_intake_write_failures_total", Help: "Group-commit writes Redis did not take.",
		}),
		expired: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "wabsp_intake_bodies_expired_total", Help: "Webhook bodies answered 503 because no write took them in time.",
		}),
	}
	maxWait := o.MaxWait
	if maxWait <= 0 {
		maxWait = 800 * time.Millisecond
	}
	q.writeTimeout, q.queueWait = maxWait/2, maxWait-maxWait/2
	q.pending.New = func() any { return &pendingBody{done: make(chan error, 1)} }
	if reg != nil {
		reg.MustRegister(q.batchSize, q.writeTime, q.writeFails, q.expired)
	}
	for range q.flushers {
		q.wg.Add(1)
		go q.flush()
	}
	return q
}

func orDefault(v, d int) int {
	if v > 0 {
		return v
	}
	return d
}

// Enqueue returns nil once b is durable in Redis, within MaxWait. It
// returns an Unavailable error when the queue is full or Redis did not take
// the body in time, so the caller answers 503 and Meta retries; a body that
// was written after all is then archived once, because the archive is unique
// by body hash. ctx may end the wait early, unless a write has already taken
// the body: then Enqueue waits for that write, still within MaxWait.
//
// The queue copies b.Raw into its write and does not keep it: the caller
// may reuse the buffer once Enqueue returns, and must not change it before.
func (q *IntakeQueue) Enqueue(ctx context.Context, b webhooks.Body) error {
	if q.closed.Load() {
		return apperr.New(apperr.Unavailable, "intake is shutting down")
	}
	p := q.pending.Get().(*pendingBody)
	p.body, p.queued = b, time.Now()
	p.state.Store(bodyQueued)
	select {
	case q.reqs <- p:
	default:
		q.pending.Put(p)
		return apperr.New(apperr.Unavailable, "intake queue is full")
	}
	select {
	case err := <-p.done:
		return q.answered(p, err)
	case <-ctx.Done():
		if p.state.CompareAndSwap(bodyQueued, bodyAbandoned) {
			// The flusher will skip p without answering it, so it is
			// not reused.
			return apperr.Wrap(ctx.Err(), apperr.Unavailable, "queue did not confirm in time")
		}
		// A write is copying the body: the buffer is not ours to give
		// back before it ends.
		return q.answered(p, <-p.done)
	}
}

func (q *IntakeQueue) answered(p *pendingBody, err error) error {
	p.body = webhooks.Body{}
	q.pending.Put(p) // answered: the flusher is done with it
	if err != nil {
		return apperr.Wrap(err, apperr.Unavailable, "queue unavailable")
	}
	return nil
}

// Close stops accepting bodies, writes what is already queued and waits for
// the writes in flight.
func (q *IntakeQueue) Close() {
	if q.closed.Swap(true) {
		return
	}
	close(q.quit)
	q.wg.Wait()
}

func (q *IntakeQueue) flush() {
	defer q.wg.Done()
	batch := make([]*pendingBody, 0, q.maxBodies)
	// The payload buffer is reused from write to write: asynq copies it
	// into its own message before the write returns.
	var payload []byte
	for {
		var first *pendingBody
		select {
		case first = <-q.reqs:
		case <-q.quit:
			q.drainOnQuit(batch, payload)
			return
		}
		// Let the handlers that are runnable hand in their bodies before
		// the batch is cut: a yield, not a timer, so an idle queue still
		// writes a lone body at once, and busy ones write fewer, fuller
		// batches (on two cores 55–57% of the bare handler's rate against
		// 50–53% without, measured alternately).
		runtime.Gosched()
		batch = q.collect(append(batch[:0], first))
		payload = q.write(batch, payload)
	}
}

// collect adds whatever is already waiting, without waiting for more.
func (q *IntakeQueue) collect(batch []*pendingBody) []*pendingBody {
	size := len(batch[0].body.Raw)
	for len(batch) < q.maxBodies && size < q.maxBytes {
		select {
		case p := <-q.reqs:
			batch = append(batch, p)
			size += len(p.body.Raw)
		default:
			return batch
		}
	}
	return batch
}

func (q *IntakeQueue) drainOnQuit(batch []*pendingBody, payload []byte) {
	for {
		select {
		case p := <-q.reqs:
			payload = q.write(q.collect(append(batch[:0], p)), payload)
		default:
			return
		}
	}
}

// write makes batch durable as one intake task encoded into payload, and
// returns payload for the next write.
func (q *IntakeQueue) write(batch []*pendingBody, payload []byte) []byte {
	batch = q.take(batch)
	if len(batch) == 0 {
		return payload
	}
	// The bodies are copied straight from the requests' buffers, which
	// stay valid while their requests wait for this write to answer them.
	payload = append(payload[:0], intakeVersion)
	for _, p := range batch {
		payload = appendBody(payload, p.body)
	}
	ctx, cancel := context.WithTimeout(context.Background(), q.writeTimeout)
	start := time.Now()
	_, err := q.client.EnqueueContext(ctx, newIntakeTask(payload, q.groups.group()))
	if err == nil && q.durable != nil {
		err = q.durable(ctx)
	}
	cancel()
	q.writeTime.Observe(time.Since(start).Seconds())
	q.batchSize.Observe(float64(len(batch)))
	if err != nil {
		q.writeFails.Inc()
	}
	for _, p := range batch {
		p.done <- err
	}
	return payload
}

// take claims the bodies of batch for a write. It skips those whose
// requests gave up, answers those that waited too long to be taken, so that
// their requests still end within MaxWait, and returns the rest.
func (q *IntakeQueue) take(batch []*pendingBody) []*pendingBody {
	now := time.Now()
	kept := batch[:0]
	for _, p := range batch {
		if !p.state.CompareAndSwap(bodyQueued, bodyTaken) {
			continue
		}
		if now.Sub(p.queued) > q.queueWait {
			q.expired.Inc()
			p.done <- errWaitedTooLong
			continue
		}
		kept = append(kept, p)
	}
	return kept
}
