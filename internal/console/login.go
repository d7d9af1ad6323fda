package console

import (
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/wabsp/wabsp/internal/apperr"
	"github.com/wabsp/wabsp/tenants"
)

// The login rate limit per client address and email, on top of the
// account lockout: it slows one address guessing at many accounts'
// lockout thresholds without letting it lock a victim out for long.
const (
	loginAttempts = 10
	loginWindow   = 10 * time.Minute
)

func (c *console) loginForm(ctx *fiber.Ctx) error {
	if s, ok := session(ctx); ok && s.User != nil {
		return ctx.Redirect("/console/", fiber.StatusSeeOther)
	}
	if _, ok := session(ctx); !ok {
		if err := c.startSession(ctx, uuid.Nil); err != nil {
			return err
		}
	}
	return c.render(ctx, fiber.StatusOK, "login.html", map[string]any{"Title": "Log in"})
}

func (c *console) login(ctx *fiber.Ctx) error {
	email, password := ctx.FormValue("email"), ctx.FormValue("password")
	data := map[string]any{"Title": "Log in", "Email": email}
	if !c.limiter.allow(ctx.IP()+"\x00"+email, c.cfg.Now()) {
		data["Error"] = "Too many attempts. Wait a few minutes and try again."
		return c.render(ctx, fiber.StatusTooManyRequests, "login.html", data)
	}
	u, err := c.cfg.Users.Login(ctx.UserContext(), email, password, c.cfg.Now())
	if apperr.Is(err, apperr.Unauthenticated) {
		data["Error"] = "Email or password is wrong, or the account is locked."
		return c.render(ctx, fiber.StatusUnauthorized, "login.html", data)
	}
	if err != nil {
		return err
	}
	// A new session id at login: whatever id the browser had before is
	// dropped on the server, so a planted id never becomes logged in.
	if old, ok := session(ctx); ok {
		if err := c.cfg.Users.EndSession(ctx.UserContext(), old.ID); err != nil {
			return err
		}
	}
	if err := c.startSession(ctx, u.ID); err != nil {
		return err
	}
	return ctx.Redirect("/console/", fiber.StatusSeeOther)
}

func (c *console) logout(ctx *fiber.Ctx) error {
	s, _ := session(ctx)
	if err := c.cfg.Users.EndSession(ctx.UserContext(), s.ID); err != nil {
		return err
	}
	c.setCookie(ctx, "", time.Unix(0, 0))
	return ctx.Redirect("/console/login", fiber.StatusSeeOther)
}

func (c *console) resetForm(ctx *fiber.Ctx) error {
	if _, ok := session(ctx); !ok {
		if err := c.startSession(ctx, uuid.Nil); err != nil {
			return err
		}
	}
	return c.render(ctx, fiber.StatusOK, "reset.html", map[string]any{"Title": "Set your password",
		"Action": "/console/reset/" + url.PathEscape(ctx.Params("token"))})
}

func (c *console) reset(ctx *fiber.Ctx) error {
	data := map[string]any{"Title": "Set your password", "Action": "/console/reset/" + url.PathEscape(ctx.Params("token"))}
	password := ctx.FormValue("password")
	if password != ctx.FormValue("confirm") {
		data["Error"] = "The two passwords differ."
		return c.render(ctx, fiber.StatusBadRequest, "reset.html", data)
	}
	err := c.cfg.Users.ResetPassword(ctx.UserContext(), ctx.Params("token"), password, c.cfg.Now())
	switch {
	case apperr.Is(err, apperr.Invalid):
		data["Error"] = "The password needs at least " + strconv.Itoa(tenants.MinPasswordLength) + " characters."
		return c.render(ctx, fiber.StatusBadRequest, "reset.html", data)
	case apperr.Is(err, apperr.NotFound):
		data["Error"] = "This link is unknown, already used or expired. Ask an admin for a new one."
		return c.render(ctx, fiber.StatusNotFound, "reset.html", data)
	case err != nil:
		return err
	}
	return ctx.Redirect("/console/login", fiber.StatusSeeOther)
}

// loginLimiter is a fixed-window counter per key, in process: each API
// process limits on its own, which bounds guessing well enough next to
// the account lockout kept in Postgres.
type loginLimiter struct {
	max    int
	window time.Duration
	mu     sync.Mutex
	seen   map[string]*window
}

type window struct {
	start time.Time
	n     int
}

func newLoginLimiter(max int, w time.Duration) *loginLimiter {
	return &loginLimiter{max: max, window: w, seen: map[string]*window{}}
}

func (l *loginLimiter) allow(key string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.seen) > 100000 {
		for k, w := range l.seen {
			if now.Sub(w.start) > l.window {
				delete(l.seen, k)
			}
		}
	}
	w, ok := l.seen[key]
	if !ok || now.Sub(w.start) > l.window {
		w = &window{start: now}
		l.seen[key] = w
	}
	w.n++
	return w.n <= l.max
}
