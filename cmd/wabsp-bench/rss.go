package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// rssSampler records a process's resident set size (VmRSS in
// /proc/PID/status) at a fixed interval until stopped.
type rssSampler struct {
	mu   sync.Mutex
	peak int64 // bytes
	last int64
	n    int
	sum  int64
	// minutes holds the peak of each whole minute, to show whether the
	// resident set stays flat over a long run.
	minutes []int64
	start   time.Time
	done    chan struct{}
}

func sampleRSS(ctx context.Context, pid int, every time.Duration) (*rssSampler, func()) {
	s := &rssSampler{done: make(chan struct{}), start: time.Now()}
	ctx, cancel := context.WithCancel(ctx)
	go func() {
		defer close(s.done)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			if rss, err := readRSS(pid); err == nil {
				s.add(rss)
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	return s, func() { cancel(); <-s.done }
}

func (s *rssSampler) add(rss int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.peak, s.last, s.sum, s.n = max(s.peak, rss), rss, s.sum+rss, s.n+1
	m := int(time.Since(s.start) / time.Minute)
	for len(s.minutes) <= m {
		s.minutes = append(s.minutes, 0)
	}
	s.minutes[m] = max(s.minutes[m], rss)
}

// rssFigures is what the report prints: peak, mean and the last sample.
type rssFigures struct {
	Peak, Mean, Last int64
	Samples          int
	ByMinute         []int64
}

func (s *rssSampler) figures() rssFigures {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := rssFigures{Peak: s.peak, Last: s.last, Samples: s.n, ByMinute: append([]int64(nil), s.minutes...)}
	if s.n > 0 {
		f.Mean = s.sum / int64(s.n)
	}
	return f
}

func readRSS(pid int) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:")
		if !ok {
			continue
		}
		kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("VmRSS %q: %w", rest, err)
		}
		return kb * 1024, nil
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	return 0, fmt.Errorf("no VmRSS in /proc/%d/status", pid)
}

func mib(b int64) string { return fmt.Sprintf("%.0f MiB", float64(b)/(1<<20)) }
