package main

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"time"
)

// The targets the intake is held to on a 2-core machine, load generator
// included.
const (
	targetIntakeRatio = 0.60
	targetIntakeP99   = 15 * time.Millisecond
	targetE2ERate     = 20000.0
	targetWorkerRSS   = 256 << 20
)

type report struct {
	machine string
	opts    options
	ceiling loadResult
	intake  loadResult
	rounds  []float64 // intake/ceiling per round
	e2e     e2eResult
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond)) }

func verdict(ok bool) string {
	if ok {
		return "meets target"
	}
	return "BELOW TARGET"
}

func failures(r loadResult) string {
	var parts []string
	if r.Errors > 0 {
		parts = append(parts, fmt.Sprintf("%d transport errors", r.Errors))
	}
	codes := make([]int, 0, len(r.Non200))
	for c := range r.Non200 {
		codes = append(codes, c)
	}
	sort.Ints(codes)
	for _, c := range codes {
		parts = append(parts, fmt.Sprintf("%d × HTTP %d", r.Non200[c], c))
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

// write prints the results as the Markdown docs/PERFORMANCE.md keeps.
func (r report) write(w io.Writer) {
	o := r.opts
	fmt.Fprintf(w, "Machine: %s\n", r.machine)
	fmt.Fprintf(w, "Run: %s, %d connections for (a)/(b), %s each after a 2 s warm-up, alternating in %d rounds\n\n",
		time.Now().UTC().Format(time.RFC3339), o.conc, o.intakeFor, max(1, o.rounds))
	if r.ceiling.Requests > 0 || r.intake.Requests > 0 {
		fmt.Fprintln(w, "| measurement | req/s | p50 | p99 | max | failures |")
		fmt.Fprintln(w, "|---|---:|---:|---:|---:|---|")
	}
	for _, row := range []struct {
		name string
		r    loadResult
	}{{"(a) ceiling: bare Fiber 200", r.ceiling}, {"(b) wabsp intake", r.intake}} {
		if row.r.Requests == 0 {
			continue
		}
		fmt.Fprintf(w, "| %s | %.0f | %s | %s | %s | %s |\n", row.name, row.r.PerSecond, ms(row.r.P50), ms(row.r.P99), ms(row.r.Max), failures(row.r))
	}
	if r.ceiling.PerSecond > 0 && r.intake.PerSecond > 0 {
		ratio := r.intake.PerSecond / r.ceiling.PerSecond
		fmt.Fprintf(w, "\nIntake / ceiling: %.1f%% (target ≥ %.0f%%: %s); intake p99 %s (target ≤ %s: %s)\n",
			100*ratio, 100*targetIntakeRatio, verdict(ratio >= targetIntakeRatio),
			ms(r.intake.P99), ms(targetIntakeP99), verdict(r.intake.P99 <= targetIntakeP99))
		parts := make([]string, len(r.rounds))
		for i, x := range r.rounds {
			parts[i] = fmt.Sprintf("%.1f%%", 100*x)
		}
		fmt.Fprintf(w, "Intake / ceiling by round: %s\n", strings.Join(parts, ", "))
	}
	r.writeE2E(w)
}

// writeE2E prints (c), when it ran.
func (r report) writeE2E(w io.Writer) {
	o, e := r.opts, r.e2e
	if e.Load.Requests == 0 {
		return
	}
	traffic := "each status a new message's sent"
	if o.lifecycle {
		traffic = "each message sent, delivered 1 s and read 10 s later"
	}
	fmt.Fprintf(w, "\n(c) end to end, %s at %.0f status events/s offered (%s), %d statuses per body, %d tenants, %d connections, %s:\n\n",
		o.e2eFor, e.Offered, traffic, o.perBody, o.tenants, o.e2eConc, e.Layout)
	fmt.Fprintln(w, "| figure | value |")
	fmt.Fprintln(w, "|---|---:|")
	fmt.Fprintf(w, "| statuses accepted (HTTP 200) | %d |\n", e.Sent)
	fmt.Fprintf(w, "| rows in Postgres when the load stopped | %d |\n", e.LandedInRun)
	fmt.Fprintf(w, "| sustained rate during the run | %.0f status events/s |\n", e.SustainedRate)
	fmt.Fprintf(w, "| rows at the end / drain after the load | %d / %s |\n", e.Landed, e.Drain.Round(time.Millisecond))
	fmt.Fprintf(w, "| overall rate, first POST to last row | %.0f status events/s |\n", e.OverallRate)
	fmt.Fprintf(w, "| POST p50 / p99 under this load | %s / %s |\n", ms(e.Load.P50), ms(e.Load.P99))
	fmt.Fprintf(w, "| failures | %s |\n", failures(e.Load))
	for i, r := range e.Soak.RSSRun {
		fmt.Fprintf(w, "| work-%d RSS peak / mean / at the end (%d samples) | %s / %s / %s |\n", i, r.N, mib(r.Peak), mib(r.Mean), mib(r.Last))
	}
	fmt.Fprintf(w, "\nEnd to end: %.0f status events/s sustained (target ≥ %.0f: %s); every accepted status landed: %v\n",
		e.SustainedRate, targetE2ERate, verdict(e.SustainedRate >= targetE2ERate), e.Landed == e.Sent)
	peak := peakOf(e.Soak.RSSRun)
	fmt.Fprintf(w, "Worker RSS peak %s (target < %s: %s)\n", mib(peak), mib(targetWorkerRSS), verdict(peak < targetWorkerRSS))
	writeSoak(w, e.Soak, e.Offered)
}
