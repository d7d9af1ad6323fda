package console

import (
	"context"
	"slices"
	"strings"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/wabsp/wabsp/billing"
	"github.com/wabsp/wabsp/webhooks"
	"github.com/wabsp/wabsp/webhooks/outbound"
)

// Intake reads the webhook archive's health.
type Intake interface {
	IntakeHealth(ctx context.Context, from, to time.Time) (webhooks.IntakeHealth, error)
}

// Outbound reads the outbound webhooks' delivery health.
type Outbound interface {
	Health(ctx context.Context, f outbound.HealthFilter, p outbound.Page) (outbound.List[outbound.EndpointHealth], outbound.HealthSummary, error)
}

// Margins reads the BSP's margin per tenant and month.
type Margins interface {
	Margins(ctx context.Context, month billing.Month, limit int, cursor string) (billing.MarginPage, error)
}

// intakeWindow is how far back the intake chart reaches.
const intakeWindow = 24 * time.Hour

// The metric names the panels read from the process's registry.
// The Meta webhook endpoint keeps its own counter by outcome: its POSTs
// skip the generic HTTP middleware, so the HTTP histogram never sees them.
const (
	metricMetaRequests = "wabsp_meta_webhook_requests_total"
	metricBodies       = "wabsp_webhook_bodies_total"
	metricQueueSize    = "asynq_queue_size"
	metricQueueLag     = "asynq_queue_latency_seconds"
)

// health is the admin home's panels; a nil part was not configured.
type health struct {
	Intake    *webhooks.IntakeHealth
	ChartData *chartData
	Requests  *requestCounts
	Queues    []queueState
	Outbound  *outbound.HealthSummary
	Margins   []currencyMargin
	// MarginsAt is when Margins were computed; MarginsPending is set while
	// the month's are first computed.
	MarginsAt      time.Time
	MarginsPending bool
	Month          string
}

// requestCounts are the Meta webhook endpoint's answers since the process
// started, by status.
type requestCounts struct {
	Total, Unauthorized, TooLarge, Unavailable, Poison int
}

type queueState struct {
	Name string
	Size int
	Lag  time.Duration
}

// currencyMargin totals the month's margins in one currency.
type currencyMargin struct {
	Currency                 string
	MetaCost, Revenue, Total billing.Micros
	Tenants                  int
}

func (c *console) health(ctx context.Context) (health, error) {
	var h health
	now := c.cfg.Now()
	if c.cfg.Intake != nil {
		in, err := c.cfg.Intake.IntakeHealth(ctx, now.Add(-intakeWindow), now)
		if err != nil {
			return h, err
		}
		h.Intake, h.ChartData = &in, intakeChart(in)
	}
	if c.cfg.Metrics != nil {
		fams, err := c.cfg.Metrics.Gather()
		if err != nil {
			return h, err
		}
		h.Requests, h.Queues = readRequests(fams), readQueues(fams)
	}
	if c.cfg.Outbound != nil {
		_, sum, err := c.cfg.Outbound.Health(ctx, outbound.HealthFilter{}, outbound.Page{Limit: 1})
		if err != nil {
			return h, err
		}
		h.Outbound = &sum
	}
	if c.cfg.Margins != nil {
		month := billing.MonthOf(now.UTC())
		m, at, ok := c.cachedMargins(month)
		h.Margins, h.MarginsAt, h.MarginsPending, h.Month = m, at, !ok, month.String()
	}
	return h, nil
}

// intakeChart is the data island static/charts.js draws: bodies per hour.
func intakeChart(in webhooks.IntakeHealth) *chartData {
	c := newChart("lines", "Bodies per hour", "bodies")
	for _, hc := range in.Hours {
		c.add(hc.Hour.Unix(), num(hc.Bodies))
	}
	return c
}

func (c *console) monthMargins(ctx context.Context, month billing.Month) ([]currencyMargin, error) {
	by := map[string]*currencyMargin{}
	cursor := ""
	for {
		page, err := c.cfg.Margins.Margins(ctx, month, billing.MaxLimit, cursor)
		if err != nil {
			return nil, err
		}
		for _, m := range page.Items {
			cm := by[m.Currency]
			if cm == nil {
				cm = &currencyMargin{Currency: m.Currency}
				by[m.Currency] = cm
			}
			cm.MetaCost += m.MetaCost
			cm.Revenue += m.Revenue
			cm.Total += m.Margin
			cm.Tenants++
		}
		if cursor = page.NextCursor; cursor == "" {
			break
		}
	}
	out := make([]currencyMargin, 0, len(by))
	for _, cm := range by {
		out = append(out, *cm)
	}
	slices.SortFunc(out, func(a, b currencyMargin) int { return strings.Compare(a.Currency, b.Currency) })
	return out, nil
}

func readRequests(fams []*dto.MetricFamily) *requestCounts {
	rc := &requestCounts{}
	for _, f := range fams {
		switch f.GetName() {
		case metricMetaRequests:
			for _, m := range f.GetMetric() {
				n := int(m.GetCounter().GetValue())
				rc.Total += n
				switch label(m, "outcome") {
				case "bad_signature":
					rc.Unauthorized += n
				case "too_large":
					rc.TooLarge += n
				case "unavailable":
					rc.Unavailable += n
				}
			}
		case metricBodies:
			for _, m := range f.GetMetric() {
				if label(m, "outcome") == "poison" {
					rc.Poison += int(m.GetCounter().GetValue())
				}
			}
		}
	}
	return rc
}

func readQueues(fams []*dto.MetricFamily) []queueState {
	by := map[string]*queueState{}
	get := func(name string) *queueState {
		if q := by[name]; q != nil {
			return q
		}
		by[name] = &queueState{Name: name}
		return by[name]
	}
	for _, f := range fams {
		switch f.GetName() {
		case metricQueueSize:
			for _, m := range f.GetMetric() {
				get(label(m, "queue")).Size = int(m.GetGauge().GetValue())
			}
		case metricQueueLag:
			for _, m := range f.GetMetric() {
				get(label(m, "queue")).Lag = time.Duration(m.GetGauge().GetValue() * float64(time.Second)).Round(time.Second)
			}
		}
	}
	out := make([]queueState, 0, len(by))
	for _, q := range by {
		out = append(out, *q)
	}
	slices.SortFunc(out, func(a, b queueState) int { return strings.Compare(a.Name, b.Name) })
	return out
}

func label(m *dto.Metric, name string) string {
	for _, l := range m.GetLabel() {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}
