package console

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/wabsp/wabsp/internal/apperr"
	"github.com/wabsp/wabsp/quality"
)

// QualityPages is the part of the quality domain the tenant pages read.
type QualityPages interface {
	GetNumber(ctx context.Context, tenantID, id uuid.UUID) (quality.NumberView, error)
	NumberDaily(ctx context.Context, tenantID, id uuid.UUID, from, to time.Time) (quality.Rollup, error)
	NumberHistory(ctx context.Context, tenantID, id uuid.UUID, f quality.HistoryFilter, p quality.Page) (quality.List[quality.HistoryEntry], error)
	ListAlerts(ctx context.Context, tenantID uuid.UUID, f quality.AlertFilter, p quality.Page) (quality.List[quality.Alert], error)
	AcknowledgeAlert(ctx context.Context, tenantID, id uuid.UUID, by string) (quality.Alert, error)
	ListTemplates(ctx context.Context, tenantID uuid.UUID, f quality.TemplateFilter, p quality.Page) (quality.List[quality.TemplateView], error)
	GetTemplate(ctx context.Context, tenantID uuid.UUID, templateID string) (quality.TemplateView, error)
	TemplateDaily(ctx context.Context, tenantID uuid.UUID, templateID string, from, to time.Time) (quality.Rollup, error)
	TemplateHistory(ctx context.Context, tenantID uuid.UUID, templateID string, f quality.HistoryFilter, p quality.Page) (quality.List[quality.HistoryEntry], error)
}

// historyRows bounds the change tables under a timeline; the API pages
// further back.
const historyRows = 200

// ratingLevel places a rating on the timeline's y axis; unknown ratings
// leave a gap.
func ratingLevel(r string) *float64 {
	switch r {
	case quality.Green:
		return num(3)
	case quality.Yellow:
		return num(2)
	case quality.Red:
		return num(1)
	}
	return nil
}

func timelineOf(r quality.Rollup) *chartData {
	c := newChart("rating", "Daily "+strings.ReplaceAll(r.Attribute, "_", " "), "Lowest", "End of day")
	for _, d := range r.Days {
		day, err := time.Parse(time.DateOnly, d.Date)
		if err != nil {
			continue
		}
		c.add(day.Unix(), ratingLevel(d.Lowest), ratingLevel(d.Last))
	}
	return c
}

// dayRange reads ?days= (the span ending today in the tenant's zone) for
// the timelines: any span up to the tenant's retention.
func (c *console) dayRange(ctx *fiber.Ctx, zone string, retention int) (from time.Time, days int, err error) {
	days = quality.DefaultRollupDays
	if v := ctx.Query("days"); v != "" {
		n, perr := strconv.Atoi(v)
		if perr != nil || n < 1 {
			return time.Time{}, 0, apperr.InvalidField("days", "must be a positive whole number")
		}
		days = min(n, retention)
	}
	loc, lerr := time.LoadLocation(zone)
	if lerr != nil {
		loc = time.UTC
	}
	today := c.cfg.Now().In(loc)
	return time.Date(today.Year(), today.Month(), today.Day()-(days-1), 12, 0, 0, 0, loc), days, nil
}

func (c *console) numberPage(ctx *fiber.Ctx) error {
	t := scopedTenant(ctx)
	id, err := uuid.Parse(ctx.Params("number_id"))
	if err != nil {
		return c.notFound(ctx)
	}
	q := c.cfg.QualityPages
	n, err := q.GetNumber(ctx.UserContext(), t.ID, id)
	if err != nil {
		return c.notFoundOr(ctx, err)
	}
	data := map[string]any{"Number": n}
	if err := c.ratingSections(ctx, data, func(from time.Time) (quality.Rollup, error) {
		return q.NumberDaily(ctx.UserContext(), t.ID, id, from, time.Time{})
	}); err != nil {
		return err
	}
	hist, err := q.NumberHistory(ctx.UserContext(), t.ID, id, quality.HistoryFilter{}, quality.Page{Limit: historyRows})
	if err != nil {
		return err
	}
	data["History"] = hist.Items
	return c.renderTenant(ctx, "number.html", n.DisplayPhoneNumber, data)
}

// ratingSections adds a daily roll-up chart for the ?days= span, or the
// reason the span was refused.
func (c *console) ratingSections(ctx *fiber.Ctx, data map[string]any, daily func(from time.Time) (quality.Rollup, error)) error {
	t := scopedTenant(ctx)
	from, days, err := c.dayRange(ctx, t.TimeZone, t.RetentionDays)
	data["Days"], data["Retention"] = days, t.RetentionDays
	if err == nil {
		var r quality.Rollup
		if r, err = daily(from); err == nil {
			data["Rollup"], data["Chart"] = r, timelineOf(r)
			return nil
		}
	}
	if apperr.Is(err, apperr.Invalid) {
		data["Error"] = err.Error()
		return nil
	}
	return err
}

// alertStates are the alert list's filter choices.
var alertStates = []string{quality.AlertStateOpen, quality.AlertStateResolved, "all"}

func (c *console) alertsPage(ctx *fiber.Ctx) error {
	t := scopedTenant(ctx)
	state := ctx.Query("state", quality.AlertStateOpen)
	if state == "all" {
		state = ""
	}
	list, err := c.cfg.QualityPages.ListAlerts(ctx.UserContext(), t.ID, quality.AlertFilter{State: state}, quality.Page{Limit: historyRows})
	data := map[string]any{"State": ctx.Query("state", quality.AlertStateOpen), "States": alertStates}
	switch {
	case apperr.Is(err, apperr.Invalid):
		data["Error"] = err.Error()
	case err != nil:
		return err
	default:
		data["Alerts"] = list.Items
	}
	return c.renderTenant(ctx, "alerts.html", "Alerts", data)
}

// ackAlert records who in the console saw an alert, then goes back to the
// list (post, redirect, get), so a reload does not post again.
func (c *console) ackAlert(ctx *fiber.Ctx) error {
	s, _ := session(ctx)
	t := scopedTenant(ctx)
	id, err := uuid.Parse(ctx.Params("alert_id"))
	if err != nil {
		return c.notFound(ctx)
	}
	if _, err := c.cfg.QualityPages.AcknowledgeAlert(ctx.UserContext(), t.ID, id, "console:"+s.User.Email); err != nil {
		return c.notFoundOr(ctx, err)
	}
	return ctx.Redirect("/console/tenants/"+t.ID.String()+"/alerts", fiber.StatusSeeOther)
}

func (c *console) templatesPage(ctx *fiber.Ctx) error {
	t := scopedTenant(ctx)
	list, err := c.cfg.QualityPages.ListTemplates(ctx.UserContext(), t.ID, quality.TemplateFilter{}, quality.Page{Limit: tenantListLimit})
	if err != nil {
		return err
	}
	return c.renderTenant(ctx, "templates.html", "Templates", map[string]any{"Templates": list.Items})
}

func (c *console) templatePage(ctx *fiber.Ctx) error {
	t := scopedTenant(ctx)
	id := ctx.Params("template_id")
	q := c.cfg.QualityPages
	tv, err := q.GetTemplate(ctx.UserContext(), t.ID, id)
	if err != nil {
		return c.notFoundOr(ctx, err)
	}
	data := map[string]any{"Template": tv}
	if err := c.ratingSections(ctx, data, func(from time.Time) (quality.Rollup, error) {
		return q.TemplateDaily(ctx.UserContext(), t.ID, id, from, time.Time{})
	}); err != nil {
		return err
	}
	hist, err := q.TemplateHistory(ctx.UserContext(), t.ID, id, quality.HistoryFilter{}, quality.Page{Limit: historyRows})
	if err != nil {
		return err
	}
	data["History"] = hist.Items
	return c.renderTenant(ctx, "template.html", tv.Label(), data)
}
