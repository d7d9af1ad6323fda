package console

import (
	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/wabsp/wabsp/internal/apperr"
	"github.com/wabsp/wabsp/internal/auth"
	"github.com/wabsp/wabsp/tenants"
)

// usersPage lists the users an admin or partner manages, with the invite
// form. Tenant users get the 404 of a page that is not theirs.
func (c *console) usersPage(ctx *fiber.Ctx) error {
	return c.renderUsers(ctx, fiber.StatusOK, map[string]any{})
}

func (c *console) renderUsers(ctx *fiber.Ctx, status int, data map[string]any) error {
	s, _ := session(ctx)
	p := s.User.Principal()
	if p.Role != auth.RoleAdmin && p.Role != auth.RolePartner {
		return c.notFound(ctx)
	}
	users, err := c.cfg.Users.ListUsers(ctx.UserContext(), p)
	if err != nil {
		return err
	}
	f := tenants.TenantFilter{}
	if p.Role == auth.RolePartner {
		f.PartnerID = p.PartnerID
	}
	ts, err := c.cfg.Users.ListTenants(ctx.UserContext(), f, tenants.Page{Limit: tenantListLimit})
	if err != nil {
		return err
	}
	data["Title"], data["Users"], data["Tenants"] = "Users", users, ts.Items
	data["IsAdmin"] = p.Role == auth.RoleAdmin
	tenantNames, partnerNames := map[uuid.UUID]string{}, map[uuid.UUID]string{}
	for _, t := range ts.Items {
		tenantNames[t.ID] = t.Name
	}
	if p.Role == auth.RoleAdmin {
		ps, err := c.cfg.Users.ListPartners(ctx.UserContext(), tenants.Page{Limit: tenantListLimit})
		if err != nil {
			return err
		}
		data["Partners"] = ps.Items
		for _, pt := range ps.Items {
			partnerNames[pt.ID] = pt.Name
		}
	}
	data["TenantNames"], data["PartnerNames"] = tenantNames, partnerNames
	return c.render(ctx, status, "users.html", data)
}

// invite creates a user and shows its set-password link once: wabsp sends
// no mail, the inviter passes the link on.
func (c *console) invite(ctx *fiber.Ctx) error {
	s, _ := session(ctx)
	n := tenants.NewUser{Email: ctx.FormValue("email"), Role: auth.Role(ctx.FormValue("role"))}
	switch n.Role {
	case auth.RoleTenant:
		n.TenantID, _ = uuid.Parse(ctx.FormValue("tenant_id"))
	case auth.RolePartner:
		n.PartnerID, _ = uuid.Parse(ctx.FormValue("partner_id"))
	}
	inv, err := c.cfg.Users.InviteUser(ctx.UserContext(), s.User.Principal(), n)
	if msg, status, ok := formError(err); ok {
		return c.renderUsers(ctx, status, map[string]any{"Error": msg, "Email": n.Email})
	}
	if err != nil {
		return err
	}
	return c.renderUsers(ctx, fiber.StatusCreated, map[string]any{
		"Link": ctx.BaseURL() + "/console/reset/" + inv.Token, "LinkFor": inv.User.Email})
}

// issueReset gives an admin a new set-password link for a user.
func (c *console) issueReset(ctx *fiber.Ctx) error {
	s, _ := session(ctx)
	id, err := uuid.Parse(ctx.Params("user_id"))
	if err != nil || s.User.Role != auth.RoleAdmin {
		return c.notFound(ctx)
	}
	token, err := c.cfg.Users.IssuePasswordReset(ctx.UserContext(), s.User.Principal(), id)
	if apperr.Is(err, apperr.NotFound) {
		return c.notFound(ctx)
	}
	if err != nil {
		return err
	}
	return c.renderUsers(ctx, fiber.StatusOK, map[string]any{
		"Link": ctx.BaseURL() + "/console/reset/" + token, "LinkFor": ctx.FormValue("email")})
}

// formError turns a domain refusal into the message the form shows.
func formError(err error) (string, int, bool) {
	e, ok := apperr.As(err)
	if !ok {
		return "", 0, false
	}
	switch e.Code {
	case apperr.Invalid:
		return "Check the form: " + e.Message + ".", fiber.StatusBadRequest, true
	case apperr.Conflict:
		return "A user with this email already exists.", fiber.StatusConflict, true
	case apperr.Forbidden:
		return "You may not invite this user: " + e.Message + ".", fiber.StatusForbidden, true
	}
	return "", 0, false
}
