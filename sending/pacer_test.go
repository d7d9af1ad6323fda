package sending

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/wabsp/wabsp/internal/redistest"
)

func TestPacerHoldsNumberThroughput(t *testing.T) {
	redistest.Each(t, testPacerHoldsNumberThroughput)
}

func testPacerHoldsNumberThroughput(t *testing.T, rdb redis.UniversalClient) {
	p := NewPacer(rdb, "test:")
	var admitted, waited atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 50 {
				wait, err := p.Take(t.Context(), "1001", fmt.Sprintf("u%d-%d", w, i), 80)
				if err != nil {
					t.Error(err)
					return
				}
				if wait == 0 {
					admitted.Add(1)
				} else {
					waited.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	// The bucket holds 8 and refills at 72 a second while the burst
	// runs: no more than that may pass, and the burst itself passes.
	ceiling := 8 + int64(72*time.Since(start).Seconds()) + 1
	if n := admitted.Load(); n < 8 || n > ceiling {
		t.Errorf("admitted %d of 400 in a burst, want 8-%d", n, ceiling)
	}
	if waited.Load() == 0 {
		t.Error("no send was told to wait")
	}
	if wait, _ := p.Take(t.Context(), "1002", "u", 80); wait != 0 {
		t.Errorf("another number waits %v", wait)
	}
}

func TestPacerPairRate(t *testing.T) {
	redistest.Each(t, testPacerPairRate)
}

func testPacerPairRate(t *testing.T, rdb redis.UniversalClient) {
	p := NewPacer(rdb, "test:")
	for i := range PairBurst {
		if wait, err := p.Take(t.Context(), "1001", "u", 1000); err != nil || wait != 0 {
			t.Fatalf("send %d of the burst: wait %v, %v", i, wait, err)
		}
	}
	wait, err := p.Take(t.Context(), "1001", "u", 1000)
	if err != nil || wait <= 0 || wait > PairPause {
		t.Fatalf("past the burst: wait %v, %v; want up to %v", wait, err, PairPause)
	}
	if wait, _ := p.Take(t.Context(), "1001", "v", 1000); wait != 0 {
		t.Errorf("another user waits %v", wait)
	}
}
