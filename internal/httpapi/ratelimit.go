package httpapi

import (
	"log/slog"
	"math"
	"strconv"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/gofiber/fiber/v2"
	"github.com/redis/go-redis/v9"

	"github.com/wabsp/wabsp/internal/apperr"
	"github.com/wabsp/wabsp/internal/auth"
)

// rateLimit limits each client (each source address before it holds a
// token) to rate requests per second with bursts of burst, with a GCRA
// bucket in Redis shared by every API process. Every answer carries the
// RateLimit-* headers; one over the limit is a 429 with Retry-After.
//
// If Redis cannot answer, the request goes through: an outage of the limiter
// should not become an outage of the API.
func rateLimit(rdb redis.UniversalClient, rate float64, burst int, log *slog.Logger) fiber.Handler {
	if rdb == nil || rate <= 0 || burst < 1 {
		return func(c *fiber.Ctx) error { return c.Next() }
	}
	limiter := redis_rate.NewLimiter(rdb)
	// One request per emission interval is the same rate for any rate,
	// including fractional ones such as one request every ten seconds.
	limit := redis_rate.Limit{Rate: 1, Burst: burst, Period: time.Duration(float64(time.Second) / rate)}
	return func(c *fiber.Ctx) error {
		key := "wabsp:ratelimit:ip:" + c.IP()
		if p, ok := auth.PrincipalFrom(c.UserContext()); ok {
			key = "wabsp:ratelimit:client:" + p.ClientID.String()
		}
		res, err := limiter.Allow(c.UserContext(), key, limit)
		if err != nil {
			log.Warn("rate limiter unavailable; request let through", "request_id", requestIDOf(c), "err", err.Error())
			return c.Next()
		}
		c.Set("RateLimit-Limit", strconv.Itoa(burst))
		c.Set("RateLimit-Remaining", strconv.Itoa(max(res.Remaining, 0)))
		c.Set("RateLimit-Reset", seconds(res.ResetAfter))
		if res.Allowed == 0 {
			retry := seconds(res.RetryAfter)
			c.Set(fiber.HeaderRetryAfter, retry)
			return apperr.New(apperr.RateLimited, "rate limit exceeded; retry in %s s", retry)
		}
		return c.Next()
	}
}

// seconds rounds d up to whole seconds, so a client waiting that long is
// never early.
func seconds(d time.Duration) string {
	if d <= 0 {
		return "0"
	}
	return strconv.Itoa(int(math.Ceil(d.Seconds())))
}
