// Package console is the web dashboard for BSP staff, partners and tenants,
// served by the same binary as the API under /console. Pages are rendered on
// the server with html/template and work without JavaScript. Users are the
// human console users of the tenants domain; each acts as the auth.Principal
// of its role, and tenant access is decided by auth.MayActFor, the rule the
// API uses.
package console

import (
	"context"
	"embed"
	"html/template"
	"log/slog"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/wabsp/wabsp/internal/auth"
	"github.com/wabsp/wabsp/quality"
	"github.com/wabsp/wabsp/tenants"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static/console.css
var stylesheet []byte

var pages = template.Must(template.New("").Funcs(pageFuncs).ParseFS(templateFS, "templates/*.html"))

// Users is the part of the tenants domain the console needs.
type Users interface {
	Login(ctx context.Context, email, password string, now time.Time) (tenants.User, error)
	StartSession(ctx context.Context, userID uuid.UUID, now time.Time) (tenants.Session, error)
	LookupSession(ctx context.Context, id string, now time.Time) (tenants.Session, error)
	EndSession(ctx context.Context, id string) error
	ResetPassword(ctx context.Context, token, password string, now time.Time) error
	PartnerHasTenant(ctx context.Context, partnerID, tenantID uuid.UUID) (bool, error)
	GetTenant(ctx context.Context, id uuid.UUID) (tenants.Tenant, error)
	ListTenants(ctx context.Context, f tenants.TenantFilter, p tenants.Page) (tenants.List[tenants.Tenant], error)
	ListPartners(ctx context.Context, p tenants.Page) (tenants.List[tenants.Partner], error)
	ListUsers(ctx context.Context, by auth.Principal) ([]tenants.User, error)
	InviteUser(ctx context.Context, by auth.Principal, n tenants.NewUser) (tenants.Invitation, error)
	IssuePasswordReset(ctx context.Context, by auth.Principal, userID uuid.UUID) (string, error)
}

// Numbers is the part of the quality domain the console reads.
type Numbers interface {
	ListNumbers(ctx context.Context, tenantID uuid.UUID, f quality.NumberFilter, p quality.Page) (quality.List[quality.NumberView], error)
}

// Config is what the console needs.
type Config struct {
	Log     *slog.Logger
	Users   Users
	Quality Numbers // nil leaves phone numbers out of tenant pages
	// QualityPages, Billing, Consent and Insights feed the tenant's
	// sections; a nil one leaves its section out.
	QualityPages QualityPages
	Billing      Billing
	Consent      Consent
	Insights     Insights
	// Risks and Limits rank the home page's tenants; nil Risks lists them
	// by name, nil Limits leaves limit headroom out.
	Risks  Risks
	Limits Limits
	// The admin home's health panels; each nil one is left out.
	Intake   Intake
	Metrics  prometheus.Gatherer
	Outbound Outbound
	Margins  Margins
	// Dev allows the session cookie without Secure, for the demo over
	// plain http on localhost. Never set it behind a public address.
	Dev bool
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

// Console is a mounted console. Its KeepWarm keeps what the pages show from
// slow reads computed ahead of the views.
type Console struct{ c *console }

// Mount registers the console's routes on app under /console.
func Mount(app fiber.Router, cfg Config) *Console {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	c := &console{cfg: cfg, limiter: newLoginLimiter(loginAttempts, loginWindow)}
	// Ahead of the group, so the stylesheet costs no session lookup.
	app.Get("/console/static/console.css", serveStylesheet)
	app.Get("/console/static/vendor/:file", serveVendor)
	app.Get("/console/static/charts.js", serveCharts)
	g := app.Group("/console", securityHeaders, c.loadSession)
	g.Get("/login", c.loginForm)
	g.Post("/login", c.requireCSRF, c.login)
	g.Get("/reset/:token", c.resetForm)
	g.Post("/reset/:token", c.requireCSRF, c.reset)
	g.Post("/logout", c.requireUser, c.requireCSRF, c.logout)
	g.Get("/", c.requireUser, c.home)
	g.Get("/tenants/:tenant_id", c.requireUser, c.tenantScope, c.tenantPage)
	c.mountTenantPages(g)
	g.Get("/users", c.requireUser, c.usersPage)
	g.Post("/users", c.requireUser, c.requireCSRF, c.invite)
	g.Post("/users/:user_id/reset", c.requireUser, c.requireCSRF, c.issueReset)
	return &Console{c: c}
}

type console struct {
	cfg     Config
	limiter *loginLimiter
	margins marginCache
}

// securityHeaders keeps pages out of frames and caches and confines
// scripts and styles to our own origin.
func securityHeaders(c *fiber.Ctx) error {
	c.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; frame-ancestors 'none'; form-action 'self'")
	c.Set("X-Frame-Options", "DENY")
	c.Set("X-Content-Type-Options", "nosniff")
	c.Set("Referrer-Policy", "same-origin")
	c.Set("Cache-Control", "no-store")
	return c.Next()
}

func (c *console) render(ctx *fiber.Ctx, status int, name string, data map[string]any) error {
	if sess, ok := ctx.Locals(sessionKey).(tenants.Session); ok {
		data["CSRF"] = sess.CSRFToken
		data["User"] = sess.User
	}
	ctx.Status(status).Type("html", "utf-8")
	return pages.ExecuteTemplate(ctx.Response().BodyWriter(), name, data)
}

func serveStylesheet(c *fiber.Ctx) error {
	c.Set("Cache-Control", "public, max-age=3600")
	c.Type("css", "utf-8")
	return c.Send(stylesheet)
}
