package console

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wabsp/wabsp/billing"
)

// countedMargins counts the reads that reach the billing service, and fails
// them while fail is set.
type countedMargins struct {
	inner Margins
	n     atomic.Int32
	fail  atomic.Bool
}

func (c *countedMargins) Margins(ctx context.Context, month billing.Month, limit int, cursor string) (billing.MarginPage, error) {
	c.n.Add(1)
	if c.fail.Load() {
		return billing.MarginPage{}, errors.New("database unavailable")
	}
	return c.inner.Margins(ctx, month, limit, cursor)
}

func TestMarginCache(t *testing.T) {
	f := setup(t)
	cfg := f.fullConfig(t)
	counted := &countedMargins{inner: cfg.Margins}
	cfg.Margins = counted
	c := &console{cfg: cfg}
	month := billing.MonthOf(f.clock.UTC())
	steps := []struct {
		name    string
		advance time.Duration
		month   billing.Month
		fail    bool
		ok      bool
		reads   int32
	}{
		{"first view does not wait and starts a refresh", 0, month, false, false, 1},
		{"computed value is served", 0, month, false, true, 1},
		{"fresh value is reused", marginTTL / 2, month, false, true, 1},
		{"stale value is served and refreshed", marginTTL, month, false, true, 2},
		{"refreshed value is reused", marginTTL / 2, month, false, true, 2},
		{"failed refresh keeps the stale value", marginTTL, month, true, true, 3},
		{"refresh is tried again after a failure", 0, month, false, true, 4},
		{"another month is pending, not waited for", 0, month.Next(), false, false, 5},
	}
	for _, s := range steps {
		*f.clock = f.clock.Add(s.advance)
		counted.fail.Store(s.fail)
		got, _, ok := c.cachedMargins(s.month)
		if ok != s.ok {
			t.Errorf("%s: ok %v, want %v", s.name, ok, s.ok)
		}
		if ok && (len(got) != 1 || got[0].Tenants != 2) {
			t.Errorf("%s: margins %+v, want one currency over 2 tenants", s.name, got)
		}
		waitFor(t, func() bool { c.margins.mu.Lock(); defer c.margins.mu.Unlock(); return !c.margins.refreshing })
		if n := counted.n.Load(); n != s.reads {
			t.Errorf("%s: %d reads of the billing service, want %d", s.name, n, s.reads)
		}
	}
}

func TestKeepWarm(t *testing.T) {
	cases := []struct {
		name string
		fail bool
		ok   bool
	}{
		{"first view finds the margins computed", false, true},
		{"a failing computation is not fatal", true, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := setup(t)
			cfg := f.fullConfig(t)
			counted := &countedMargins{inner: cfg.Margins}
			counted.fail.Store(tc.fail)
			cfg.Margins = counted
			k := &Console{c: &console{cfg: cfg}}
			stop := startWarm(k)
			waitFor(t, func() bool {
				k.c.margins.mu.Lock()
				defer k.c.margins.mu.Unlock()
				return counted.n.Load() > 0 && !k.c.margins.refreshing
			})
			if _, _, ok := k.c.cachedMargins(billing.MonthOf(f.clock.UTC())); ok != tc.ok {
				t.Errorf("ok %v, want %v", ok, tc.ok)
			}
			waitFor(t, func() bool { k.c.margins.mu.Lock(); defer k.c.margins.mu.Unlock(); return !k.c.margins.refreshing })
			stop()
		})
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("timed out")
		}
	}
}

func TestMarginClaim(t *testing.T) {
	cases := []struct {
		name                      string
		force, viewed, refreshing bool
		want                      bool
	}{
		{"the start computes unviewed", true, false, false, true},
		{"a tick after a view computes", false, true, false, true},
		{"a tick with no view since leaves the database alone", false, false, false, false},
		{"one refresh at a time", true, true, true, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			mc := &marginCache{viewed: tc.viewed, refreshing: tc.refreshing}
			if got := mc.claim(tc.force); got != tc.want {
				t.Fatalf("claim = %v, want %v", got, tc.want)
			}
			if tc.want && (mc.viewed || !mc.refreshing) {
				t.Errorf("after a claim: viewed %v, refreshing %v; want false, true", mc.viewed, mc.refreshing)
			}
		})
	}
}
