package httpapi

import (
	"log/slog"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/wabsp/wabsp/internal/auth"
)

// accessLog writes one JSON line per request. It renders a handler's error
// itself, through the app's error handler, so that the line and the metrics
// around it see the status the client gets rather than Fiber's default 200.
func accessLog(log *slog.Logger, onError fiber.ErrorHandler) fiber.Handler {
	return func(c *fiber.Ctx) error {
		start := time.Now()
		if err := c.Next(); err != nil {
			if herr := onError(c, err); herr != nil {
				return herr
			}
		}
		status := c.Response().StatusCode()
		level := accessLevel(routeLabel(c), status)
		if !log.Enabled(c.UserContext(), level) {
			return nil
		}
		attrs := []any{
			"request_id", requestIDOf(c),
			"method", c.Method(),
			"route", routeLabel(c),
			"path", c.Path(),
			"status", status,
			"duration_ms", float64(time.Since(start).Microseconds()) / 1000,
			"bytes_in", len(c.Request().Body()),
			"bytes_out", len(c.Response().Body()),
			"ip", c.IP(),
		}
		if p, ok := auth.PrincipalFrom(c.UserContext()); ok {
			attrs = append(attrs, "client_id", p.ClientID.String(), "client_role", string(p.Role))
			if p.TenantID != uuid.Nil {
				attrs = append(attrs, "tenant_id", p.TenantID.String())
			}
		}
		log.Log(c.UserContext(), level, "http request", attrs...)
		return nil
	}
}

// quietRoutes are answered thousands of times a second in normal operation
// (Meta's webhooks) or polled by infrastructure; their successes are logged
// at debug so that the log shows what deserves a look.
var quietRoutes = map[string]bool{
	"/webhooks/meta": true,
	"/healthz":       true,
	"/readyz":        true,
	"/metrics":       true,
}

func accessLevel(route string, status int) slog.Level {
	switch {
	case status >= 500:
		return slog.LevelError
	case status < 400 && quietRoutes[route]:
		return slog.LevelDebug
	default:
		return slog.LevelInfo
	}
}
