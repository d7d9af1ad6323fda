package main

import (
	"context"
	"sync"
	"time"
)

// sample is one reading, taken at offset At from the start of the load.
type sample struct {
	At time.Duration
	V  float64
}

// series collects the readings of one figure; safe for concurrent use.
type series struct {
	mu    sync.Mutex
	start time.Time
	s     []sample
}

func newSeries(start time.Time) *series { return &series{start: start} }

func (s *series) add(v float64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.s = append(s.s, sample{At: time.Since(s.start), V: v})
}

func (s *series) samples() []sample {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]sample(nil), s.s...)
}

// window is what the samples of one reporting interval come to.
type window struct {
	From             time.Duration
	Peak, Mean, Last float64
	N                int
}

// summarise reduces samples to one window starting at from.
func summarise(from time.Duration, samples []sample) window {
	w := window{From: from, N: len(samples)}
	if len(samples) == 0 {
		return w
	}
	sum := 0.0
	for i, s := range samples {
		if i == 0 || s.V > w.Peak {
			w.Peak = s.V
		}
		sum += s.V
	}
	w.Mean, w.Last = sum/float64(len(samples)), samples[len(samples)-1].V
	return w
}

// windows cuts samples, in the order they were taken, into consecutive
// intervals of length every from offset 0. An interval without samples is
// kept, empty, so that window i always starts at i*every.
func windows(samples []sample, every time.Duration) []window {
	if len(samples) == 0 || every <= 0 {
		return nil
	}
	var out []window
	for i := 0; i < len(samples); {
		k := len(out)
		from, to := time.Duration(k)*every, time.Duration(k+1)*every
		j := i
		for j < len(samples) && samples[j].At < to {
			j++
		}
		out = append(out, summarise(from, samples[i:j]))
		i = j
	}
	return out
}

// peakOf is the highest peak among ws, ignoring empty windows.
func peakOf(ws []window) float64 {
	p := 0.0
	for _, w := range ws {
		if w.N > 0 && w.Peak > p {
			p = w.Peak
		}
	}
	return p
}

// reportInterval is the interval the soak figures are reported by: a
// minute for runs of five minutes or more, else a sixth of the run in
// whole seconds, so a short trial still shows a trend and its intervals
// start on the second.
func reportInterval(run, asked time.Duration) time.Duration {
	switch {
	case asked > 0:
		return asked
	case run >= 5*time.Minute:
		return time.Minute
	default:
		return max((run / 6).Round(time.Second), time.Second)
	}
}

// queueSampleEvery is how often the rows and the queues are read: ten
// times per reporting interval, but at most every 5 s, because counting
// millions of rows costs the machine under test, and at least every second.
func queueSampleEvery(interval time.Duration) time.Duration {
	return min(max(interval/10, time.Second), 5*time.Second)
}

// repeat calls fn now and then every d until ctx ends or stop is called;
// stop returns once the last call has finished.
func repeat(ctx context.Context, d time.Duration, fn func(context.Context)) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(d)
		defer t.Stop()
		for {
			fn(ctx)
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	return func() { cancel(); <-done }
}
