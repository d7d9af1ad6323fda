package outbound

import (
	"math/rand/v2"
	"time"
)

// RetryPolicy is when failed deliveries are tried again: the delay doubles
// from First up to Max, each with ±25% jitter so endpoints that failed
// together do not all come back in the same second, and a delivery is tried
// for Horizon after it was created before it becomes a dead letter.
type RetryPolicy struct {
	First   time.Duration
	Max     time.Duration
	Horizon time.Duration
}

// DefaultRetry retries for three days: after 5s, 10s, 20s, ... then every
// 6 hours or so, about 20 attempts in all.
var DefaultRetry = RetryPolicy{First: 5 * time.Second, Max: 6 * time.Hour, Horizon: 72 * time.Hour}

// delay is the pause after the n-th failed attempt (n >= 1), before jitter.
func (p RetryPolicy) delay(n int) time.Duration {
	d := p.First
	for i := 1; i < n && d < p.Max; i++ {
		d *= 2
	}
	return min(d, p.Max)
}

// next returns when to try again after the n-th failed attempt at now, or
// ok=false when the delivery has expired. A receiver's Retry-After is
// honoured when it asks for longer than the backoff would wait. The last try
// lands on the expiry time rather than being skipped.
func (p RetryPolicy) next(n int, now, expires time.Time, retryAfter time.Duration) (time.Time, bool) {
	if !now.Before(expires) {
		return time.Time{}, false
	}
	d := p.delay(n)
	d += time.Duration((rand.Float64() - 0.5) * 0.5 * float64(d))
	d = max(d, min(retryAfter, p.Max))
	at := now.Add(d)
	if at.After(expires) {
		at = expires
	}
	return at, true
}
