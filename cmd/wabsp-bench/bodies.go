package main

import (
	"runtime"
	"sync"
)

// preparedBodiesBudget bounds the memory (c) spends on bodies built ahead.
const preparedBodiesBudget = 768 << 20

// e2eBodies returns (c)'s body source for a run of about n bodies. The load
// generator shares the machine's cores with the processes it measures, and
// building and signing a body of 50 statuses takes about 0.24 ms, a twentieth
// of a core at 22,000 events/s that Meta's own servers would spend, not
// ours. So when the run's bodies fit in preparedBodiesBudget they are built
// before the load starts; past it, as in a long soak at a modest rate, and
// for any body past n, they are built as they are sent.
func (e *benchEnv) e2eBodies(n int64) func(i int64) ([]byte, string) {
	live := func(i int64) ([]byte, string) {
		b := e.e2eBody(i)
		return b.raw, b.sig
	}
	if n <= 0 || n*int64(len(e.e2eBody(0).raw)) > preparedBodiesBudget {
		return live
	}
	ready := make([]signedBody, n)
	var wg sync.WaitGroup
	workers := int64(runtime.NumCPU())
	for w := range workers {
		wg.Go(func() {
			for i := w; i < n; i += workers {
				ready[i] = e.e2eBody(i)
			}
		})
	}
	wg.Wait()
	return func(i int64) ([]byte, string) {
		if i < 0 || i >= n {
			return live(i)
		}
		return ready[i].raw, ready[i].sig
	}
}
