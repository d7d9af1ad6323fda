package httpapi

import (
	"errors"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"
	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// httpMetrics measures every request by route pattern, never by raw path:
// ids in paths would make one time series per tenant and resource.
type httpMetrics struct {
	duration *prometheus.HistogramVec
	inFlight prometheus.Gauge
}

func newHTTPMetrics(reg prometheus.Registerer) (*httpMetrics, error) {
	m := &httpMetrics{
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "wabsp_http_request_duration_seconds",
			Help:    "Time to answer an HTTP request, by route pattern, method and status.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"route", "method", "status"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "wabsp_http_requests_in_flight",
			Help: "HTTP requests being served.",
		}),
	}
	var err error
	if m.duration, err = register(reg, m.duration); err != nil {
		return nil, err
	}
	if m.inFlight, err = register(reg, m.inFlight); err != nil {
		return nil, err
	}
	return m, nil
}

// register registers c, or returns the collector already registered under
// its name, so two apps sharing one registry (tests, `all`) share metrics.
func register[C prometheus.Collector](reg prometheus.Registerer, c C) (C, error) {
	if err := reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if existing, ok := are.ExistingCollector.(C); ok {
				return existing, nil
			}
		}
		return c, err
	}
	return c, nil
}

func (m *httpMetrics) handler(c *fiber.Ctx) error {
	m.inFlight.Inc()
	defer m.inFlight.Dec()
	start := time.Now()
	err := c.Next()
	m.duration.WithLabelValues(routeLabel(c), methodLabel(c.Method()), strconv.Itoa(c.Response().StatusCode())).
		Observe(time.Since(start).Seconds())
	return err
}

// methodLabel returns a constant for the request's method. Fiber's
// c.Method() (like c.Path(), c.Get() and c.Params()) points into fasthttp's
// request buffers, which the next request on the same context overwrites;
// a metric keeps its label values for the life of the process, so a raw
// "GET" stored there later read "POS" and /metrics failed with duplicate
// series. Mapping to literals costs no allocation on every request, where
// copying would, and an arbitrary method cannot add series.
//
// Values from the context are copied (strings.Clone) wherever they outlive
// the request: here, the request id, and the webhook body. The app does not
// set fiber.Config.Immutable, which would copy every header, path and
// parameter of every request, Meta's webhook POSTs included, to protect
// the few values that are kept.
func methodLabel(method string) string {
	for _, m := range labelledMethods {
		if m == method {
			return m
		}
	}
	return "other"
}

var labelledMethods = [...]string{
	fiber.MethodGet, fiber.MethodPost, fiber.MethodPut, fiber.MethodPatch,
	fiber.MethodDelete, fiber.MethodHead, fiber.MethodOptions,
}

// routeLabel names the route that served the request: the API operation
// when the request was for one (even if middleware refused it before the
// handler ran), else the pattern of the hand-written route. A request that
// matched no route ends on one of the app's middleware prefixes and is
// "unmatched", so probing random paths cannot grow the series. Every value
// is the app's own string, never the request's.
func routeLabel(c *fiber.Ctx) string {
	if op, ok := operationOf(c); ok {
		return op.route
	}
	if r := c.Route(); r != nil && !middlewarePrefixes[r.Path] {
		return r.Path
	}
	return "unmatched"
}

// middlewarePrefixes are the paths NewApp mounts middleware on.
var middlewarePrefixes = map[string]bool{"/": true, "/v1": true}

// fiberPath writes an OpenAPI path template the way Fiber names routes.
func fiberPath(template string) string {
	r := strings.NewReplacer("{", ":", "}", "")
	return r.Replace(template)
}

// registerRuntimeCollectors adds the Go runtime and process collectors and,
// when inspector is set, the asynq queue collector (tasks per queue and
// state, latency, sizes).
func registerRuntimeCollectors(reg prometheus.Registerer, inspector *asynq.Inspector, log *slog.Logger) error {
	cs := []prometheus.Collector{
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	}
	if inspector != nil {
		cs = append(cs, newQueueCollector(inspector, log))
	}
	for _, c := range cs {
		if _, err := register(reg, c); err != nil {
			return err
		}
	}
	return nil
}

// metricsHandler serves the registry in the Prometheus exposition format.
func metricsHandler(g prometheus.Gatherer) fiber.Handler {
	return adaptor.HTTPHandler(promhttp.HandlerFor(g, promhttp.HandlerOpts{}))
}
