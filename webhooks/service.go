package webhooks

import (
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/wabsp/wabsp/internal/pg"
)

// Service archives, routes and persists Meta webhooks. It is safe for
// concurrent use; Register handlers before the first Apply.
type Service struct {
	db       *pg.DB
	log      *slog.Logger
	metrics  *metrics
	resolver *resolver
	defaults Handler

	mu       sync.RWMutex
	handlers map[string][]Handler
}

// Option adjusts a Service.
type Option func(*options)

type options struct {
	hitTTL, missTTL time.Duration
}

// WithLookupTTL sets how long tenant lookups are cached: found ids for hit,
// unknown ids for miss. Routing runs for every change, so hits are cached for
// tens of seconds; misses only briefly, so a newly onboarded number starts
// routing at once. A zero miss TTL disables negative caching.
func WithLookupTTL(hit, miss time.Duration) Option {
	return func(o *options) { o.hitTTL, o.missTTL = hit, miss }
}

// NewService returns a Service writing through db. Metrics are registered on
// reg when it is not nil.
func NewService(db *pg.DB, reg prometheus.Registerer, log *slog.Logger, opts ...Option) (*Service, error) {
	if db == nil {
		return nil, errors.New("webhooks: nil database")
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	o := options{hitTTL: 30 * time.Second, missTTL: 2 * time.Second}
	for _, opt := range opts {
		opt(&o)
	}
	m, err := newMetrics(reg)
	if err != nil {
		return nil, err
	}
	return &Service{
		db:       db,
		log:      log,
		metrics:  m,
		resolver: newResolver(db, o.hitTTL, o.missTTL),
		defaults: &defaultHandler{metrics: m},
		handlers: map[string][]Handler{},
	}, nil
}
