package console

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wabsp/wabsp/billing"
)

// countedMargins counts the reads that reach the billing service.
type countedMargins struct {
	inner Margins
	n     atomic.Int32
}

func (c *countedMargins) Margins(ctx context.Context, month billing.Month, limit int, cursor string) (billing.MarginPage, error) {
	c.n.Add(1)
	return c.inner.Margins(ctx, month, limit, cursor)
}

func TestMarginCache(t *testing.T) {
	f := setup(t)
	cfg := f.fullConfig(t)
	counted := &countedMargins{inner: cfg.Margins}
	cfg.Margins = counted
	c := &console{cfg: cfg}
	ctx := context.Background()
	month := billing.MonthOf(f.clock.UTC())
	steps := []struct {
		name    string
		advance time.Duration
		month   billing.Month
		reads   int32
	}{
		{"first view reads", 0, month, 1},
		{"fresh value is reused", marginTTL / 2, month, 1},
		{"stale value is served and refreshed", marginTTL, month, 2},
		{"refreshed value is reused", marginTTL / 2, month, 2},
		{"another month reads at once (none begun)", 0, month.Next(), 3},
	}
	for _, s := range steps {
		*f.clock = f.clock.Add(s.advance)
		got, err := c.cachedMargins(ctx, s.month)
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if s.month == month && (len(got) != 1 || got[0].Tenants != 2) {
			t.Errorf("%s: margins %+v, want one currency over 2 tenants", s.name, got)
		}
		waitFor(t, func() bool { c.margins.mu.Lock(); defer c.margins.mu.Unlock(); return !c.margins.refreshing })
		if n := counted.n.Load(); n != s.reads {
			t.Errorf("%s: %d reads of the billing service, want %d", s.name, n, s.reads)
		}
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
