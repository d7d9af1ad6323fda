package sending

import (
	"fmt"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wabsp/wabsp/internal/graph"
	"github.com/wabsp/wabsp/internal/metasim"
	"github.com/wabsp/wabsp/internal/redistest"
)

// BenchmarkPacedDelivery sends from numbers numbers, each paced at
// DefaultThroughput by the Redis pacer, through the Graph client to the
// simulator for window, and reports delivered sends a second against the
// numbers' combined limit. The simulator refusing any send with 130429
// fails the run: the pacer must hold every number under its limit.
func BenchmarkPacedDelivery(b *testing.B) {
	const numbers, senders = 4, 8
	window := 2 * time.Second
	_, rdb := redistest.New(b)
	sim := metasim.NewGraph()
	if err := sim.AddWABA(metasim.WABA{ID: "111", AccessToken: "tok"}); err != nil {
		b.Fatal(err)
	}
	var phones []string
	for i := range numbers {
		p, err := sim.AddPhoneNumber(metasim.PhoneNumber{WABAID: "111", DisplayPhoneNumber: fmt.Sprintf("1555%07d", i)})
		if err != nil {
			b.Fatal(err)
		}
		phones = append(phones, p.ID)
	}
	srv := httptest.NewServer(sim)
	b.Cleanup(srv.Close)
	client, err := graph.New(srv.URL, "v25.0")
	if err != nil {
		b.Fatal(err)
	}
	// One pacer for every round: its buckets carry over, as the
	// simulator's one-second windows do.
	pacer := NewPacer(rdb, "bench:")
	for b.Loop() {
		var delivered atomic.Int64
		deadline := time.Now().Add(window)
		var wg sync.WaitGroup
		for i := range numbers * senders {
			wg.Add(1)
			go func() {
				defer wg.Done()
				phone := phones[i%numbers]
				for n := 0; time.Now().Before(deadline); n++ {
					to := fmt.Sprintf("1650%03d%04d", i, n)
					wait, err := pacer.Take(b.Context(), phone, to, DefaultThroughput)
					if err != nil {
						b.Error(err)
						return
					}
					if wait > 0 {
						time.Sleep(wait)
						continue
					}
					body := fmt.Appendf(nil, `{"messaging_product":"whatsapp","to":%q,"type":"text","text":{"body":"x"}}`, to)
					if _, err := client.SendMessage(b.Context(), "tok", phone, body); err != nil {
						b.Error(err)
						return
					}
					delivered.Add(1)
				}
			}()
		}
		wg.Wait()
		rate := float64(delivered.Load()) / window.Seconds()
		b.ReportMetric(rate, "delivered/s")
		b.ReportMetric(rate/float64(numbers*DefaultThroughput), "ratio")
	}
	if n := sim.Refused()[130429]; n > 0 {
		b.Errorf("simulator refused %d sends for throughput", n)
	}
	for _, p := range phones {
		if m := sim.MaxPerSecond(p); m > DefaultThroughput {
			b.Errorf("number %s: %d sends in one second", p, m)
		}
		b.ReportMetric(float64(sim.MaxPerSecond(p)), "max/s/number")
	}
}
