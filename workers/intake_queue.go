package workers

import (
	"context"
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
type IntakeQueue struct {
	client       *asynq.Client
	reqs         chan *pendingBody
	quit         chan struct{}
	closed       atomic.Bool
	wg           sync.WaitGroup
	maxBodies    int
	maxBytes     int
	writeTimeout time.Duration
	flushers     int

	batchSize  prometheus.Histogram
	writeTime  prometheus.Histogram
	writeFails prometheus.Counter
}

type pendingBody struct {
	body webhooks.Body
	done chan error // buffered: the flusher never blocks on an abandoned request
}

// IntakeOptions tunes the group commit. Zero values take the defaults.
type IntakeOptions struct {
	// MaxBodies and MaxBytes bound one write (defaults 256 bodies, 4 MiB).
	MaxBodies int
	MaxBytes  int
	// WriteTimeout bounds one Redis write (default 800ms).
	WriteTimeout time.Duration
	// Flushers is the number of writes that may be in flight at once (default 2).
	Flushers int
}

// NewIntakeQueue returns a started queue writing through client.
func NewIntakeQueue(client *asynq.Client, reg prometheus.Registerer, o IntakeOptions) *IntakeQueue {
	q := &IntakeQueue{
		client:       client,
		reqs:         make(chan *pendingBody, 4096),
		quit:         make(chan struct{}),
		maxBodies:    orDefault(o.MaxBodies, 256),
		maxBytes:     orDefault(o.MaxBytes, 4<<20),
		writeTimeout: o.WriteTimeout,
		flushers:     orDefault(o.Flushers, 2),
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
	}
	if q.writeTimeout <= 0 {
		q.writeTimeout = 800 * time.Millisecond
	}
	if reg != nil {
		reg.MustRegister(q.batchSize, q.writeTime, q.writeFails)
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

// Enqueue returns nil once b is durable in Redis. It returns an Unavailable
// error when Redis did not take it before ctx ended, so the caller answers
// 503 and Meta retries; a body that was written after all is then archived
// once, because the archive is unique by body hash.
func (q *IntakeQueue) Enqueue(ctx context.Context, b webhooks.Body) error {
	if q.closed.Load() {
		return apperr.New(apperr.Unavailable, "intake is shutting down")
	}
	p := &pendingBody{body: b, done: make(chan error, 1)}
	select {
	case q.reqs <- p:
	case <-ctx.Done():
		return apperr.Wrap(ctx.Err(), apperr.Unavailable, "intake queue is full")
	}
	select {
	case err := <-p.done:
		if err != nil {
			return apperr.Wrap(err, apperr.Unavailable, "queue unavailable")
		}
		return nil
	case <-ctx.Done():
		return apperr.Wrap(ctx.Err(), apperr.Unavailable, "queue did not confirm in time")
	}
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
	for {
		var first *pendingBody
		select {
		case first = <-q.reqs:
		case <-q.quit:
			q.drainOnQuit(batch)
			return
		}
		batch = q.collect(append(batch[:0], first))
		q.write(batch)
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

func (q *IntakeQueue) drainOnQuit(batch []*pendingBody) {
	for {
		select {
		case p := <-q.reqs:
			q.write(q.collect(append(batch[:0], p)))
		default:
			return
		}
	}
}

func (q *IntakeQueue) write(batch []*pendingBody) {
	bodies := make([]webhooks.Body, len(batch))
	for i, p := range batch {
		bodies[i] = p.body
	}
	ctx, cancel := context.WithTimeout(context.Background(), q.writeTimeout)
	start := time.Now()
	_, err := q.client.EnqueueContext(ctx, NewMetaIntakeTask(bodies))
	cancel()
	q.writeTime.Observe(time.Since(start).Seconds())
	q.batchSize.Observe(float64(len(batch)))
	if err != nil {
		q.writeFails.Inc()
	}
	for _, p := range batch {
		p.done <- err
	}
}
