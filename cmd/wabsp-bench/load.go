package main

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/valyala/fasthttp"
)

// loadResult summarises one closed-loop load run.
type loadResult struct {
	Requests  int
	Non200    map[int]int
	Errors    int
	Elapsed   time.Duration
	P50, P99  time.Duration
	Max       time.Duration
	PerSecond float64
	lat       []time.Duration // sorted
}

// mergeLoads sums runs of the same load against the same server as if they
// were one run.
func mergeLoads(rs ...loadResult) loadResult {
	m := loadResult{Non200: map[int]int{}}
	for _, r := range rs {
		m.Errors += r.Errors
		m.Elapsed += r.Elapsed
		m.lat = append(m.lat, r.lat...)
		for k, v := range r.Non200 {
			m.Non200[k] += v
		}
	}
	slices.Sort(m.lat)
	m.summarise()
	return m
}

func (r *loadResult) summarise() {
	r.Requests = len(r.lat)
	if n := len(r.lat); n > 0 {
		r.P50, r.P99, r.Max = r.lat[n/2], r.lat[min(n-1, n*99/100)], r.lat[n-1]
		r.PerSecond = float64(n) / r.Elapsed.Seconds()
	}
}

// bodySource yields the request bodies and their signatures; i counts requests.
type bodySource func(i int64) (body []byte, signature string)

// loadSpec is one load run.
type loadSpec struct {
	// addrs are the servers; connection i goes to addrs[i%len(addrs)], as
	// a load balancer in front of them would spread connections.
	addrs []string
	path  string
	conc  int
	d     time.Duration
	next  bodySource
	// pace nil: closed loop, each connection sends its next request as
	// soon as the previous one is answered (peak throughput); otherwise
	// every request first takes a token from pace (open loop at its rate).
	pace <-chan struct{}
	// accepted, when set, counts the requests answered 200 as they are,
	// for samplers that run alongside.
	accepted *atomic.Int64
}

// runLoad keeps up to l.conc requests in flight for l.d.
func runLoad(ctx context.Context, l loadSpec) loadResult {
	clients := make([]*fasthttp.HostClient, len(l.addrs))
	perServer := (l.conc + len(l.addrs) - 1) / len(l.addrs)
	for i, a := range l.addrs {
		clients[i] = &fasthttp.HostClient{Addr: a, MaxConns: perServer, ReadTimeout: 5 * time.Second, WriteTimeout: 5 * time.Second}
	}
	ctx, cancel := context.WithTimeout(ctx, l.d)
	defer cancel()
	var (
		counter atomic.Int64
		mu      sync.Mutex
		lat     []time.Duration
		non200  = map[int]int{}
		errs    int
		wg      sync.WaitGroup
	)
	start := time.Now()
	for c := range l.conc {
		client, uri := clients[c%len(clients)], "http://"+l.addrs[c%len(clients)]+l.path
		wg.Add(1)
		go func() {
			defer wg.Done()
			local := make([]time.Duration, 0, 1<<14)
			localNon := map[int]int{}
			localErr := 0
			req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
			defer fasthttp.ReleaseRequest(req)
			defer fasthttp.ReleaseResponse(resp)
			for ctx.Err() == nil {
				if l.pace != nil {
					select {
					case <-l.pace:
					case <-ctx.Done():
						continue
					}
				}
				body, sig := l.next(counter.Add(1))
				req.Reset()
				req.SetRequestURI(uri)
				req.Header.SetMethod(fasthttp.MethodPost)
				req.Header.SetContentType("application/json")
				req.Header.Set("X-Hub-Signature-256", sig)
				req.SetBodyRaw(body)
				t0 := time.Now()
				err := client.Do(req, resp)
				took := time.Since(t0)
				switch {
				case err != nil:
					localErr++
				case resp.StatusCode() != fasthttp.StatusOK:
					localNon[resp.StatusCode()]++
				default:
					local = append(local, took)
					if l.accepted != nil {
						l.accepted.Add(1)
					}
				}
			}
			mu.Lock()
			lat = append(lat, local...)
			for k, v := range localNon {
				non200[k] += v
			}
			errs += localErr
			mu.Unlock()
		}()
	}
	wg.Wait()
	slices.Sort(lat)
	r := loadResult{Non200: non200, Errors: errs, Elapsed: time.Since(start), lat: lat}
	r.summarise()
	return r
}

// pacer emits rate tokens per second until ctx ends, in small bursts so a
// coarse timer still yields the rate.
func pacer(ctx context.Context, rate float64) <-chan struct{} {
	ch := make(chan struct{}, 1024)
	go func() {
		defer close(ch)
		const tick = 5 * time.Millisecond
		t := time.NewTicker(tick)
		defer t.Stop()
		start, sent := time.Now(), 0.0
		for {
			select {
			case <-ctx.Done():
				return
			case now := <-t.C:
				due := rate * now.Sub(start).Seconds()
				for ; sent < due; sent++ {
					select {
					case ch <- struct{}{}:
					case <-ctx.Done():
						return
					}
				}
			}
		}
	}()
	return ch
}
