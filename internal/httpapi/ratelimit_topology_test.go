package httpapi

import (
	"io"
	"log/slog"
	"net/http/httptest"
	"testing"

	"github.com/gofiber/fiber/v2"
	"github.com/redis/go-redis/v9"

	"github.com/wabsp/wabsp/internal/redistest"
)

// TestRateLimitOnEveryTopology runs the limiter against a single node and
// a Redis Cluster: two requests pass, the third waits for its token.
func TestRateLimitOnEveryTopology(t *testing.T) {
	redistest.Each(t, func(t *testing.T, rdb redis.UniversalClient) {
		log := slog.New(slog.NewTextHandler(io.Discard, nil))
		app := fiber.New(fiber.Config{ErrorHandler: errorHandler(log)})
		app.Use(rateLimit(rdb, 0.001, 2, log))
		app.Get("/", func(c *fiber.Ctx) error { return c.SendStatus(fiber.StatusNoContent) })
		wants := []struct {
			status    int
			remaining string
		}{{fiber.StatusNoContent, "1"}, {fiber.StatusNoContent, "0"}, {fiber.StatusTooManyRequests, "0"}}
		for i, want := range wants {
			res, err := app.Test(httptest.NewRequest("GET", "/", nil))
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != want.status || res.Header.Get("RateLimit-Remaining") != want.remaining {
				t.Fatalf("request %d: status %d, remaining %q; want %d, %q", i, res.StatusCode,
					res.Header.Get("RateLimit-Remaining"), want.status, want.remaining)
			}
		}
	})
}
