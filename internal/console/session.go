package console

import (
	"crypto/subtle"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/wabsp/wabsp/tenants"
)

// CookieName is the session cookie. The __Host- prefix makes browsers
// refuse it unless it is Secure, host-only and for path /, so it is used
// only outside dev mode.
const (
	CookieName    = "__Host-wabsp_console"
	devCookieName = "wabsp_console"
	sessionKey    = "console.session"
	csrfField     = "csrf_token"
)

func (c *console) cookieName() string {
	if c.cfg.Dev {
		return devCookieName
	}
	return CookieName
}

// loadSession puts the request's live session, if any, in the locals.
func (c *console) loadSession(ctx *fiber.Ctx) error {
	id := ctx.Cookies(c.cookieName())
	if id == "" {
		return ctx.Next()
	}
	sess, err := c.cfg.Users.LookupSession(ctx.UserContext(), id, c.cfg.Now())
	if err == nil {
		ctx.Locals(sessionKey, sess)
	}
	return ctx.Next()
}

func session(ctx *fiber.Ctx) (tenants.Session, bool) {
	s, ok := ctx.Locals(sessionKey).(tenants.Session)
	return s, ok
}

// startSession creates a session, sets its cookie and makes it the
// request's session.
func (c *console) startSession(ctx *fiber.Ctx, userID uuid.UUID) error {
	sess, err := c.cfg.Users.StartSession(ctx.UserContext(), userID, c.cfg.Now())
	if err != nil {
		return err
	}
	c.setCookie(ctx, sess.ID, sess.ExpiresAt)
	ctx.Locals(sessionKey, sess)
	return nil
}

func (c *console) setCookie(ctx *fiber.Ctx, value string, expires time.Time) {
	ctx.Cookie(&fiber.Cookie{
		Name: c.cookieName(), Value: value, Path: "/", Expires: expires,
		HTTPOnly: true, Secure: !c.cfg.Dev, SameSite: fiber.CookieSameSiteLaxMode,
	})
}

// requireUser sends visitors without a logged-in session to the login page.
func (c *console) requireUser(ctx *fiber.Ctx) error {
	if s, ok := session(ctx); ok && s.User != nil {
		return ctx.Next()
	}
	if ctx.Method() != fiber.MethodGet {
		return ctx.Status(fiber.StatusUnauthorized).SendString("log in first")
	}
	return ctx.Redirect("/console/login", fiber.StatusSeeOther)
}

// requireCSRF refuses a form post whose token is not its session's.
// SameSite=Lax already keeps other sites' posts from carrying the cookie;
// the token is the second lock, and it covers the login form too, whose
// token lives in an anonymous session.
func (c *console) requireCSRF(ctx *fiber.Ctx) error {
	s, ok := session(ctx)
	got := ctx.FormValue(csrfField)
	if !ok || got == "" || subtle.ConstantTimeCompare([]byte(got), []byte(s.CSRFToken)) != 1 {
		return ctx.Status(fiber.StatusForbidden).SendString("the form has expired or did not come from this site; reload it and try again")
	}
	return ctx.Next()
}
