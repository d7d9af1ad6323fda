package console

import (
	"context"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/wabsp/wabsp/billing"
	"github.com/wabsp/wabsp/internal/apperr"
	"github.com/wabsp/wabsp/internal/auth"
)

// Billing is the part of the billing domain the usage page reads.
type Billing interface {
	Usage(ctx context.Context, tenantID uuid.UUID, q billing.UsageQuery) (billing.Usage, error)
	Invoice(ctx context.Context, tenantID uuid.UUID, month billing.Month) (billing.Invoice, error)
	Estimate(ctx context.Context, tenantID uuid.UUID) (billing.Invoice, error)
}

// usageClasses are the bands of the usage chart, in stacking order.
var usageClasses = []string{billing.ClassSession, billing.ClassTemplate, billing.ClassFreeEntryPoint, billing.ClassUnpriced, billing.ClassOther}

// monthInvoice is ?month='s invoice, or the current month's draft.
func (c *console) monthInvoice(ctx *fiber.Ctx, tenantID uuid.UUID) (billing.Invoice, error) {
	m := ctx.Query("month")
	if m == "" {
		return c.cfg.Billing.Estimate(ctx.UserContext(), tenantID)
	}
	month, err := billing.ParseMonth(m)
	if err != nil {
		return billing.Invoice{}, err
	}
	return c.cfg.Billing.Invoice(ctx.UserContext(), tenantID, month)
}

func (c *console) usagePage(ctx *fiber.Ctx) error {
	t := scopedTenant(ctx)
	data := map[string]any{"Month": ctx.Query("month")}
	inv, err := c.monthInvoice(ctx, t.ID)
	if apperr.Is(err, apperr.Invalid) {
		data["Error"] = err.Error()
		return c.renderTenant(ctx, "usage.html", "Usage", data)
	}
	if err != nil {
		return err
	}
	u, err := c.cfg.Billing.Usage(ctx.UserContext(), t.ID, billing.UsageQuery{From: inv.PeriodStart, To: inv.PeriodEnd,
		GroupBy: []billing.Dimension{billing.DimDay, billing.DimCategory, billing.DimPricingType}})
	if err != nil {
		return err
	}
	chart, rows := usageByDay(u, inv.PeriodStart, inv.PeriodEnd)
	data["Month"], data["Invoice"], data["Usage"], data["Chart"], data["Days"] = inv.Month, inv, u, chart, rows
	data["Classes"] = usageClasses
	data["Digits"] = billing.MinorDigits(inv.Currency)
	return c.renderTenant(ctx, "usage.html", "Usage", data)
}

// usageDay is one day's messages by class, for the table beside the chart.
type usageDay struct {
	Day     string
	ByClass []int64
	Total   int64
}

// usageByDay sums the groups into one row per day of the period, every
// day present, by class.
func usageByDay(u billing.Usage, first, last time.Time) (*chartData, []usageDay) {
	idx := map[string]int{}
	var rows []usageDay
	for d := first; !d.After(last); d = d.AddDate(0, 0, 1) {
		idx[d.Format(time.DateOnly)] = len(rows)
		rows = append(rows, usageDay{Day: d.Format(time.DateOnly), ByClass: make([]int64, len(usageClasses))})
	}
	class := map[string]int{}
	for i, cl := range usageClasses {
		class[cl] = i
	}
	for _, g := range u.Groups {
		if g.Day == nil {
			continue
		}
		i, ok := idx[g.Day.Format(time.DateOnly)]
		if !ok {
			continue
		}
		k, ok := class[billing.ClassOf(g.Category, g.PricingType)]
		if !ok {
			k = class[billing.ClassOther]
		}
		rows[i].ByClass[k] += g.Messages
		rows[i].Total += g.Messages
	}
	chart := newChart("stacked", "Messages by day", usageClasses...)
	for _, r := range rows {
		day, _ := time.Parse(time.DateOnly, r.Day)
		ys := make([]*float64, len(r.ByClass))
		for k, n := range r.ByClass {
			ys[k] = num(n)
		}
		chart.add(day.Unix(), ys...)
	}
	return chart, rows
}

// invoiceCSV downloads the page's invoice; admins get Meta's cost too, as
// the API gives them.
func (c *console) invoiceCSV(ctx *fiber.Ctx) error {
	t := scopedTenant(ctx)
	s, _ := session(ctx)
	inv, err := c.monthInvoice(ctx, t.ID)
	if apperr.Is(err, apperr.Invalid) {
		return ctx.Status(fiber.StatusBadRequest).SendString(err.Error())
	}
	if err != nil {
		return err
	}
	ctx.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
	ctx.Set(fiber.HeaderContentDisposition, `attachment; filename="invoice-`+t.Slug+"-"+inv.Month+`.csv"`)
	return inv.WriteCSV(ctx.Response().BodyWriter(), s.User.Principal().Role == auth.RoleAdmin)
}
