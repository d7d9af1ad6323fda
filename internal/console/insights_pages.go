package console

import (
	"context"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"
	"golang.org/x/sync/errgroup"

	"github.com/wabsp/wabsp/insights"
)

// Insights is the part of the insights domain the insights page reads.
type Insights interface {
	Funnel(ctx context.Context, tenantID uuid.UUID, q insights.FunnelQuery) (insights.Funnel, error)
	ResponseTimes(ctx context.Context, tenantID uuid.UUID, q insights.ResponseQuery) (insights.ResponseTimes, error)
	BusiestHours(ctx context.Context, tenantID uuid.UUID, q insights.HoursQuery) (insights.BusiestHours, error)
	Journeys(ctx context.Context, tenantID uuid.UUID, p insights.Page) (insights.List[insights.Journey], error)
	JourneyResults(ctx context.Context, tenantID, id uuid.UUID, r insights.Range) (insights.JourneyResults, error)
	Experiments(ctx context.Context, tenantID uuid.UUID, p insights.Page) (insights.List[insights.Experiment], error)
	ExperimentResults(ctx context.Context, tenantID, id uuid.UUID, r insights.Range) (insights.ExperimentResults, error)
}

// insightsShown bounds the journeys and experiments the page computes
// results for; the API lists the rest.
const insightsShown = 10

// The page covers the domain's default range (the last DefaultRangeDays
// days), as the API does without from and to. Its five reads are
// independent and each waits on Postgres, so they run at once.
func (c *console) insightsPage(ctx *fiber.Ctx) error {
	t := scopedTenant(ctx)
	in := c.cfg.Insights
	var (
		funnel      insights.Funnel
		resp        insights.ResponseTimes
		hours       insights.BusiestHours
		journeys    []insights.JourneyResults
		experiments []experimentView
	)
	g, uc := errgroup.WithContext(ctx.UserContext())
	g.Go(func() (err error) { funnel, err = in.Funnel(uc, t.ID, insights.FunnelQuery{}); return })
	g.Go(func() (err error) {
		resp, err = in.ResponseTimes(uc, t.ID, insights.ResponseQuery{GroupBy: insights.ByDay})
		return
	})
	g.Go(func() (err error) { hours, err = in.BusiestHours(uc, t.ID, insights.HoursQuery{}); return })
	g.Go(func() (err error) { journeys, err = c.journeyResults(uc, t.ID); return })
	g.Go(func() (err error) { experiments, err = c.experimentResults(uc, t.ID); return })
	if err := g.Wait(); err != nil {
		return err
	}
	return c.renderTenant(ctx, "insights.html", "Insights", map[string]any{
		"Funnel": funnel, "FunnelBars": funnelBars(funnel.Total.FunnelCounts),
		"Responses": resp, "ResponseChart": responseChart(resp),
		"Hours": hours, "Heatmap": heatmapOf(hours),
		"Journeys": journeys, "Experiments": experiments,
	})
}

func (c *console) journeyResults(ctx context.Context, tenantID uuid.UUID) ([]insights.JourneyResults, error) {
	list, err := c.cfg.Insights.Journeys(ctx, tenantID, insights.Page{Limit: insightsShown})
	if err != nil {
		return nil, err
	}
	out := make([]insights.JourneyResults, 0, len(list.Items))
	for _, j := range list.Items {
		r, err := c.cfg.Insights.JourneyResults(ctx, tenantID, j.ID, insights.Range{})
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// experimentView is an experiment's results with each compared metric's
// interval placed on a shared axis.
type experimentView struct {
	insights.ExperimentResults
	Intervals []interval
	Height    int
}

func (c *console) experimentResults(ctx context.Context, tenantID uuid.UUID) ([]experimentView, error) {
	list, err := c.cfg.Insights.Experiments(ctx, tenantID, insights.Page{Limit: insightsShown})
	if err != nil {
		return nil, err
	}
	out := make([]experimentView, 0, len(list.Items))
	for _, e := range list.Items {
		r, err := c.cfg.Insights.ExperimentResults(ctx, tenantID, e.ID, insights.Range{})
		if err != nil {
			return nil, err
		}
		iv := intervalsOf(r.Metrics)
		out = append(out, experimentView{ExperimentResults: r, Intervals: iv, Height: len(iv)*intervalRow + 10})
	}
	return out, nil
}

// responseChart plots the median first response and response times by
// day, in minutes.
func responseChart(r insights.ResponseTimes) *chartData {
	c := newChart("lines", "Median response time by day (minutes, "+r.Clock+" clock)", "First response", "Any response")
	minutes := func(s *float64) *float64 {
		if s == nil {
			return nil
		}
		return num(*s / 60)
	}
	for _, g := range r.Groups {
		d, err := time.Parse(time.DateOnly, g.Period)
		if err != nil {
			continue
		}
		c.add(d.Unix(), minutes(g.FirstResponse.Median), minutes(g.Response.Median))
	}
	return c
}
