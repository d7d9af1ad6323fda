package main

import (
	"fmt"
	"strings"
)

// What a soak must show. The second interval is the reference because the
// first holds the start-up: connection pools filling, the heap growing to
// its working size, the first merged apply tasks.
const (
	// rssGrowthLimit: a work process's resident set is flat when its peak
	// in the last interval of the load is at most this multiple of its
	// peak in the second interval.
	rssGrowthLimit = 1.25
	// lagBoundSeconds: the rows may be behind the accepted statuses by at
	// most this many seconds of offered traffic at any sample. Intake tasks
	// and then apply tasks each wait up to 2 s to be merged, so a
	// keeping-up worker is 4–5 s behind.
	lagBoundSeconds = 7.0
	// lagGrowthSeconds: the lag is not growing when the peak lag of the
	// last interval of the load exceeds the second interval's by at most
	// this many seconds of traffic. An absolute slack, because the lag
	// swings by a merge delay from sample to sample and a ratio of two
	// small numbers would call that noise growth.
	lagGrowthSeconds = 1.0
	// minJudgedWindows is the fewest intervals under load for a trend:
	// the start-up, the reference, and at least one after it.
	minJudgedWindows = 3
)

// finding is one soak verdict and the figures it rests on.
type finding struct {
	Judged bool // false: too few intervals under load to say
	OK     bool
	Detail string
}

func (f finding) String() string {
	switch {
	case !f.Judged:
		return "not judged: " + f.Detail
	case f.OK:
		return "yes: " + f.Detail
	default:
		return "NO: " + f.Detail
	}
}

// rssFlat judges every work process's windows; loadWindows is how many
// of the leading windows were under load.
func rssFlat(workers [][]window, loadWindows int) finding {
	if loadWindows < minJudgedWindows || len(workers) == 0 {
		return finding{Detail: fmt.Sprintf("needs %d intervals under load, had %d", minJudgedWindows, loadWindows)}
	}
	f := finding{Judged: true, OK: true}
	parts := make([]string, 0, len(workers))
	for i, ws := range workers {
		if len(ws) < loadWindows || ws[1].N == 0 || ws[loadWindows-1].N == 0 {
			return finding{Detail: fmt.Sprintf("work-%d has no samples in an interval judged", i)}
		}
		ref, last := ws[1].Peak, ws[loadWindows-1].Peak
		ok := last <= rssGrowthLimit*ref
		f.OK = f.OK && ok
		parts = append(parts, fmt.Sprintf("work-%d %s → %s (%.2f×)", i, mib(ref), mib(last), last/ref))
	}
	f.Detail = fmt.Sprintf("last-interval peak ≤ %.2f× the second interval's; %s", rssGrowthLimit, strings.Join(parts, ", "))
	return f
}

// lagBounded judges the lag windows (in events) against the offered rate
// (events per second): bounded at every sample and not growing.
func lagBounded(lag []window, loadWindows int, rate float64) finding {
	if loadWindows < minJudgedWindows || len(lag) < loadWindows || rate <= 0 {
		return finding{Detail: fmt.Sprintf("needs %d intervals under load, had %d", minJudgedWindows, min(loadWindows, len(lag)))}
	}
	if lag[1].N == 0 || lag[loadWindows-1].N == 0 {
		return finding{Detail: "no lag samples in an interval judged"}
	}
	maxS := peakOf(lag) / rate
	ref, last := lag[1].Peak/rate, lag[loadWindows-1].Peak/rate
	bounded, steady := maxS <= lagBoundSeconds, last <= ref+lagGrowthSeconds
	return finding{
		Judged: true,
		OK:     bounded && steady,
		Detail: fmt.Sprintf("max %.1f s of traffic (limit %.0f s: %s); last-interval peak %.1f s vs second interval's %.1f s (may exceed it by %.0f s: %s)",
			maxS, lagBoundSeconds, okWord(bounded), last, ref, lagGrowthSeconds, okWord(steady)),
	}
}

func okWord(ok bool) string {
	if ok {
		return "ok"
	}
	return "exceeded"
}
