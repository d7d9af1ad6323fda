package console

import (
	"context"
	"sync"
	"time"

	"github.com/wabsp/wabsp/billing"
)

// marginTTL is how old the margin panel may be. Margins are computed from
// every tenant's draft invoice, which takes about a second at 200 tenants:
// too slow for each view of the home page, and they move slowly anyway.
const marginTTL = time.Minute

// marginCache keeps the current month's margins. A stale value is served
// while one refresh runs in the background; only the first view waits.
type marginCache struct {
	mu         sync.Mutex
	month      billing.Month
	value      []currencyMargin
	at         time.Time
	refreshing bool
}

func (c *console) cachedMargins(ctx context.Context, month billing.Month) ([]currencyMargin, error) {
	mc := &c.margins
	now := c.cfg.Now()
	mc.mu.Lock()
	fresh := mc.month == month && now.Sub(mc.at) < marginTTL
	have := mc.month == month && !mc.at.IsZero()
	value := mc.value
	if fresh || (have && mc.refreshing) {
		mc.mu.Unlock()
		return value, nil
	}
	if have {
		mc.refreshing = true
		mc.mu.Unlock()
		go c.refreshMargins(month)
		return value, nil
	}
	mc.mu.Unlock()
	m, err := c.monthMargins(ctx, month)
	if err != nil {
		return nil, err
	}
	mc.store(month, m, now)
	return m, nil
}

// refreshMargins runs detached from the request that found the value
// stale, which does not wait for it.
func (c *console) refreshMargins(month billing.Month) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	m, err := c.monthMargins(ctx, month)
	mc := &c.margins
	if err != nil {
		c.cfg.Log.Warn("console: refresh margins", "err", err)
		mc.mu.Lock()
		mc.refreshing = false
		mc.mu.Unlock()
		return
	}
	mc.store(month, m, c.cfg.Now())
}

func (mc *marginCache) store(month billing.Month, m []currencyMargin, at time.Time) {
	mc.mu.Lock()
	defer mc.mu.Unlock()
	mc.month, mc.value, mc.at, mc.refreshing = month, m, at, false
}
