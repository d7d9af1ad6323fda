package quality

import (
	"errors"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/wabsp/wabsp/internal/pg"
)

// Service is the quality domain. It is safe for concurrent use.
type Service struct {
	db      *pg.DB
	log     *slog.Logger
	metrics *metrics
	now     func() time.Time
}

// Option adjusts a Service.
type Option func(*Service)

// WithClock replaces time.Now, for polls and for the legacy rule's day
// count in tests.
func WithClock(now func() time.Time) Option {
	return func(s *Service) { s.now = now }
}

// NewService returns a Service on db. Metrics are registered on reg when it
// is not nil.
func NewService(db *pg.DB, reg prometheus.Registerer, log *slog.Logger, opts ...Option) (*Service, error) {
	if db == nil {
		return nil, errors.New("quality: nil database")
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	m, err := newMetrics(reg)
	if err != nil {
		return nil, err
	}
	s := &Service{db: db, log: log, metrics: m, now: time.Now}
	for _, o := range opts {
		o(s)
	}
	return s, nil
}

// metrics are the domain's Prometheus series.
type metrics struct {
	// missed counts polled values that differed from the stored state: a
	// webhook Meta never sent or wabsp never received.
	missed *prometheus.CounterVec
	// changes counts applied state changes by subject kind and source.
	changes *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		missed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "wabsp_quality_missed_webhooks_total",
			Help: "Polled values that differed from the state webhooks had left (a missed webhook).",
		}, []string{"subject", "attribute"}),
		changes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "wabsp_quality_changes_total",
			Help: "Quality state changes applied, by subject kind and source.",
		}, []string{"subject", "source"}),
	}
	if reg == nil {
		return m, nil
	}
	for _, c := range []**prometheus.CounterVec{&m.missed, &m.changes} {
		if err := reg.Register(*c); err != nil {
			var are prometheus.AlreadyRegisteredError
			if !errors.As(err, &are) {
				return nil, err
			}
			*c = are.ExistingCollector.(*prometheus.CounterVec)
		}
	}
	return m, nil
}
