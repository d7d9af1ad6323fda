package workers

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/wabsp/wabsp/webhooks/outbound"
)

// BenchmarkOutboundDeliveries measures signed deliveries per second through
// the whole outbound path (pump, asynq delivery runs, HTTP, attempt log) to
// a local receiver behind 1,000 endpoints that all subscribe to every event.
// Each iteration emits a round of events and waits until every endpoint has
// every one: rounds of 10 events leave each delivery run 10 messages (the
// per-run costs weigh most), rounds of 50 leave it 50.
//
//	go test ./workers -run '^$' -bench OutboundDeliveries -benchtime 3x
func BenchmarkOutboundDeliveries(b *testing.B) {
	for _, perRound := range []int{10, 50} {
		b.Run(fmt.Sprintf("endpoints=1000/events=%d", perRound), func(b *testing.B) {
			benchmarkDeliveries(b, 1000, perRound)
		})
	}
}

func benchmarkDeliveries(b *testing.B, endpoints, perRound int) {
	allow := outbound.AddressPolicy{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}}
	r := newOutboundRig(b, outbound.Options{
		Client: outbound.NewHTTPClient(allow, outbound.ClientOptions{IdleConnsPerHost: 512}),
	})
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	}))
	b.Cleanup(recv.Close)
	subs := make([]uuid.UUID, endpoints)
	for i := range subs {
		subs[i] = r.subscribe(b, recv.URL+"/ep/"+strconv.Itoa(i))
	}
	r.start(b, 64)
	time.Sleep(10 * time.Millisecond) // events must be younger than the subscriptions

	b.ResetTimer()
	start := time.Now()
	for i := range b.N {
		r.emit(b, perRound)
		r.waitDelivered(b, perRound*(i+1), subs...)
	}
	elapsed := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(b.N*perRound*endpoints)/elapsed.Seconds(), "deliveries/s")
}
