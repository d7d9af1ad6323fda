package console

import (
	"context"
	"sync"
	"time"

	"github.com/wabsp/wabsp/billing"
)

// marginTTL is how old the margin panel may be. Margins are computed from
// every tenant's draft invoice, which takes about a second at 200 tenants:
// too slow for a view of the home page to wait for, and they move slowly
// anyway.
const marginTTL = time.Minute

// marginRefreshEvery is how often KeepWarm recomputes the margins while the
// home is being viewed: well inside marginTTL, so a value served to a
// returning viewer is never stale.
const marginRefreshEvery = marginTTL / 2

// marginRefreshTimeout bounds one computation, so a stuck database cannot
// hold the refresh forever.
const marginRefreshTimeout = 30 * time.Second

// marginCache keeps the current month's margins. No page view computes
// them: a view serves what the cache holds and, when that is missing or
// stale, starts one refresh in the background.
type marginCache struct {
	mu         sync.Mutex
	month      billing.Month
	value      []currencyMargin
	at         time.Time
	refreshing bool
	// viewed is set by a view and cleared by a refresh, so that KeepWarm
	// leaves the database alone while no one looks at the home.
	viewed bool
	// base is KeepWarm's context, under which views start their refreshes
	// too, so that a server shutting down cancels them; nil without it.
	base context.Context
}

// cachedMargins returns the month's margins and when they were computed,
// without waiting for them. ok is false while the month has none computed
// yet; the panel then says so.
func (c *console) cachedMargins(month billing.Month) (value []currencyMargin, at time.Time, ok bool) {
	mc := &c.margins
	mc.mu.Lock()
	defer mc.mu.Unlock()
	mc.viewed = true
	have := mc.month == month && !mc.at.IsZero()
	fresh := have && c.cfg.Now().Sub(mc.at) < marginTTL
	if !fresh && mc.claimLocked(true) {
		// Detached from the request, which does not wait for it.
		base := mc.base
		if base == nil {
			base = context.Background()
		}
		go c.refreshMargins(base, month)
	}
	if !have {
		return nil, time.Time{}, false
	}
	return mc.value, mc.at, true
}

// KeepWarm computes the admin home's margins at once, so that no view waits
// for them, the first after start included, and then every
// marginRefreshEvery if the home was viewed since the last computation, so
// that views keep finding them fresh. A failed computation is logged and
// tried again at the next tick. It returns when ctx ends.
func (k *Console) KeepWarm(ctx context.Context) {
	c := k.c
	if c.cfg.Margins == nil {
		return
	}
	c.margins.mu.Lock()
	c.margins.base = ctx
	c.margins.mu.Unlock()
	tick := time.NewTicker(marginRefreshEvery)
	defer tick.Stop()
	for first := true; ; first = false {
		if c.margins.claim(first) {
			c.refreshMargins(ctx, billing.MonthOf(c.cfg.Now().UTC()))
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// claim marks a refresh as running unless one already is or, when not
// forced, the home was not viewed since the last one.
func (mc *marginCache) claim(force bool) bool {
	mc.mu.Lock()
	defer mc.mu.Unlock()
	return mc.claimLocked(force)
}

// claimLocked is claim for a caller that holds mc.mu.
func (mc *marginCache) claimLocked(force bool) bool {
	if mc.refreshing || !(force || mc.viewed) {
		return false
	}
	mc.refreshing, mc.viewed = true, false
	return true
}

// refreshMargins computes the month's margins into the cache; the caller
// has claimed the refresh.
func (c *console) refreshMargins(parent context.Context, month billing.Month) {
	ctx, cancel := context.WithTimeout(parent, marginRefreshTimeout)
	defer cancel()
	m, err := c.monthMargins(ctx, month)
	mc := &c.margins
	mc.mu.Lock()
	defer mc.mu.Unlock()
	mc.refreshing = false
	if err != nil {
		// A server shutting down is no failure worth a warning.
		if parent.Err() == nil {
			c.cfg.Log.Warn("console: refresh margins", "month", month.String(), "err", err)
		}
		return
	}
	mc.month, mc.value, mc.at = month, m, c.cfg.Now()
}
