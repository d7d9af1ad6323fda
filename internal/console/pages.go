package console

import (
	"github.com/gofiber/fiber/v2"

	"github.com/wabsp/wabsp/internal/auth"
	"github.com/wabsp/wabsp/quality"
	"github.com/wabsp/wabsp/tenants"
)

// tenantListLimit bounds the home page's tenant table.
const tenantListLimit = 200

// home lists the tenants an admin or partner oversees; a tenant user goes
// straight to its own page.
func (c *console) home(ctx *fiber.Ctx) error {
	s, _ := session(ctx)
	p := s.User.Principal()
	if p.Role == auth.RoleTenant {
		return ctx.Redirect("/console/tenants/"+p.TenantID.String(), fiber.StatusSeeOther)
	}
	data := map[string]any{"Title": "Tenants"}
	if c.cfg.Risks != nil {
		rows, err := c.riskRows(ctx.UserContext(), p)
		if err != nil {
			return err
		}
		data["Risks"] = rows
	} else {
		f := tenants.TenantFilter{}
		if p.Role == auth.RolePartner {
			f.PartnerID = p.PartnerID
		}
		list, err := c.cfg.Users.ListTenants(ctx.UserContext(), f, tenants.Page{Limit: tenantListLimit})
		if err != nil {
			return err
		}
		data["Tenants"] = list.Items
	}
	if p.Role == auth.RoleAdmin {
		h, err := c.health(ctx.UserContext())
		if err != nil {
			return err
		}
		data["Health"] = h
	}
	return c.render(ctx, fiber.StatusOK, "home.html", data)
}

// tenantPage shows one tenant, resolved by tenantScope.
func (c *console) tenantPage(ctx *fiber.Ctx) error {
	t := scopedTenant(ctx)
	id := t.ID
	data := map[string]any{"Title": t.Name, "Tenant": t, "Sections": c.sections()}
	if c.cfg.Quality != nil {
		nums, err := c.cfg.Quality.ListNumbers(ctx.UserContext(), id, quality.NumberFilter{}, quality.Page{Limit: tenantListLimit})
		if err != nil {
			return err
		}
		data["Numbers"] = nums.Items
	}
	return c.render(ctx, fiber.StatusOK, "tenant.html", data)
}

func (c *console) notFound(ctx *fiber.Ctx) error {
	return c.render(ctx, fiber.StatusNotFound, "notfound.html", map[string]any{"Title": "Not found"})
}
