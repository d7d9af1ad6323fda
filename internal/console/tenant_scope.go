package console

import (
	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/wabsp/wabsp/internal/apperr"
	"github.com/wabsp/wabsp/internal/auth"
	"github.com/wabsp/wabsp/tenants"
)

const tenantKey = "console.tenant"

// mountTenantPages registers the pages under one tenant. Each section is
// left out when its domain service is not configured.
func (c *console) mountTenantPages(g fiber.Router) {
	t := g.Group("/tenants/:tenant_id", c.requireUser, c.tenantScope)
	if c.cfg.QualityPages != nil {
		t.Get("/numbers/:number_id", c.numberPage)
		t.Get("/alerts", c.alertsPage)
		t.Post("/alerts/:alert_id/ack", c.requireCSRF, c.ackAlert)
		t.Get("/templates", c.templatesPage)
		t.Get("/templates/:template_id", c.templatePage)
	}
	if c.cfg.Billing != nil {
		t.Get("/usage", c.usagePage)
		t.Get("/usage/invoice.csv", c.invoiceCSV)
	}
	if c.cfg.Consent != nil {
		t.Get("/consent", c.consentPage)
		t.Get("/consent/contacts/:contact_id", c.contactPage)
		t.Get("/consent/eligibility", c.eligibilityPage)
	}
	if c.cfg.Insights != nil {
		t.Get("/insights", c.insightsPage)
	}
}

// tenantScope resolves :tenant_id for the pages under it. A tenant the user
// may not act for answers 404, as an unknown one does, so a user cannot
// probe which tenants exist.
func (c *console) tenantScope(ctx *fiber.Ctx) error {
	s, _ := session(ctx)
	id, err := uuid.Parse(ctx.Params("tenant_id"))
	if err != nil {
		return c.notFound(ctx)
	}
	err = auth.MayActFor(ctx.UserContext(), s.User.Principal(), id, false, c.cfg.Users.PartnerHasTenant)
	if apperr.Is(err, apperr.Forbidden) {
		return c.notFound(ctx)
	}
	if err != nil {
		return err
	}
	t, err := c.cfg.Users.GetTenant(ctx.UserContext(), id)
	if apperr.Is(err, apperr.NotFound) {
		return c.notFound(ctx)
	}
	if err != nil {
		return err
	}
	ctx.Locals(tenantKey, t)
	return ctx.Next()
}

func scopedTenant(ctx *fiber.Ctx) tenants.Tenant {
	t, _ := ctx.Locals(tenantKey).(tenants.Tenant)
	return t
}

// renderTenant renders a page of the scoped tenant, with its section
// navigation.
func (c *console) renderTenant(ctx *fiber.Ctx, name, title string, data map[string]any) error {
	t := scopedTenant(ctx)
	data["Title"] = title + " · " + t.Name
	data["Tenant"] = t
	data["Sections"] = c.sections()
	return c.render(ctx, fiber.StatusOK, name, data)
}

type section struct{ Path, Name string }

func (c *console) sections() []section {
	var out []section
	if c.cfg.QualityPages != nil {
		out = append(out, section{"alerts", "Alerts"}, section{"templates", "Templates"})
	}
	if c.cfg.Billing != nil {
		out = append(out, section{"usage", "Usage"})
	}
	if c.cfg.Consent != nil {
		out = append(out, section{"consent", "Consent"})
	}
	if c.cfg.Insights != nil {
		out = append(out, section{"insights", "Insights"})
	}
	return out
}

// notFoundOr answers the not-found page for a subject the tenant does not
// have, and passes any other error on.
func (c *console) notFoundOr(ctx *fiber.Ctx, err error) error {
	if apperr.Is(err, apperr.NotFound) {
		return c.notFound(ctx)
	}
	return err
}
