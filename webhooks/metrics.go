package webhooks

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the intake's Prometheus series.
type metrics struct {
	// unknown counts fields and enum values the decoders do not know. They are
	// stored all the same; the counter is how drift in Meta's payloads gets
	// noticed.
	unknown *prometheus.CounterVec
	bodies  *prometheus.CounterVec
	orphans *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		unknown: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "wabsp_webhook_unknown_total",
			Help: "Webhook fields or enum values not known to the decoders (stored anyway).",
		}, []string{"field", "kind"}),
		bodies: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "wabsp_webhook_bodies_total",
			Help: "Webhook bodies seen by Archive, by outcome (archived, retried, duplicate, poison).",
		}, []string{"outcome"}),
		orphans: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "wabsp_webhook_orphans_total",
			Help: "Webhook changes stored for lack of an owning tenant, and later adopted.",
		}, []string{"event"}),
	}
	if reg == nil {
		return m, nil
	}
	var err error
	if m.unknown, err = register(reg, m.unknown); err != nil {
		return nil, err
	}
	if m.bodies, err = register(reg, m.bodies); err != nil {
		return nil, err
	}
	if m.orphans, err = register(reg, m.orphans); err != nil {
		return nil, err
	}
	return m, nil
}

// register registers c, or returns the collector already registered under the
// same name so that two services sharing a registry share their series.
func register(reg prometheus.Registerer, c *prometheus.CounterVec) (*prometheus.CounterVec, error) {
	err := reg.Register(c)
	if err == nil {
		return c, nil
	}
	var are prometheus.AlreadyRegisteredError
	if errors.As(err, &are) {
		if existing, ok := are.ExistingCollector.(*prometheus.CounterVec); ok {
			return existing, nil
		}
	}
	return nil, err
}
