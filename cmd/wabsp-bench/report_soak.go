package main

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// writeSoak prints (c)'s figures by interval, their maxima and last values
// under load, and the two soak verdicts. rate is the offered status events
// per second, the unit of the lag in seconds of traffic.
func writeSoak(w io.Writer, f soakFigures, rate float64) {
	rows := len(f.Lag)
	for _, ws := range f.RSS {
		rows = max(rows, len(ws))
	}
	if rows == 0 {
		return
	}
	fmt.Fprintf(w, "\n(c) by %s interval from the first POST; the first %d under load, then the drain:\n\n", f.Every, f.LoadWindows)
	head := []string{"from", "phase"}
	for i := range f.RSS {
		head = append(head, fmt.Sprintf("work-%d RSS peak / mean", i))
	}
	head = append(head, "rows behind, peak / last", "peak, s of traffic")
	for _, q := range f.Queues {
		head = append(head, q.Name+" latency / pending / size, peak")
	}
	writeRow(w, head...)
	fmt.Fprintln(w, "|---|---|"+strings.Repeat("---:|", len(head)-2))
	for i := range rows {
		writeRow(w, soakRow(f, i, rate)...)
	}
	writeSoakSummary(w, f, rate)
}

func soakRow(f soakFigures, i int, rate float64) []string {
	phase := "load"
	if i >= f.LoadWindows {
		phase = "drain"
	}
	cells := []string{clock(time.Duration(i) * f.Every), phase}
	for _, ws := range f.RSS {
		cells = append(cells, cell(ws, i, func(x window) string { return fmt.Sprintf("%s / %s", mib(x.Peak), mib(x.Mean)) }))
	}
	cells = append(cells,
		cell(f.Lag, i, func(x window) string { return fmt.Sprintf("%.0f / %.0f", x.Peak, x.Last) }),
		cell(f.Lag, i, func(x window) string { return fmt.Sprintf("%.1f s", x.Peak/rate) }))
	for _, q := range f.Queues {
		cells = append(cells, queueCell(q, func(ws []window) (window, bool) { return at(ws, i) }))
	}
	return cells
}

// writeSoakSummary prints the maxima, the last interval under load and the
// verdicts.
func writeSoakSummary(w io.Writer, f soakFigures, rate float64) {
	last := f.LoadWindows - 1
	fmt.Fprintln(w)
	writeRow(w, "figure", "max over the run", "last interval under load")
	fmt.Fprintln(w, "|---|---:|---:|")
	for i, ws := range f.RSS {
		writeRow(w, fmt.Sprintf("work-%d RSS peak", i), mib(peakOf(ws)), cell(ws, last, func(x window) string { return mib(x.Peak) }))
	}
	lagCell := func(events float64) string {
		return fmt.Sprintf("%.0f events (%.1f s of traffic)", events, events/rate)
	}
	writeRow(w, "rows behind the accepted statuses", lagCell(peakOf(f.Lag)), cell(f.Lag, last, func(x window) string { return lagCell(x.Peak) }))
	for _, q := range f.Queues {
		writeRow(w, q.Name+" queue latency / pending / size",
			queueCell(q, func(ws []window) (window, bool) { return window{Peak: peakOf(ws), N: len(ws)}, len(ws) > 0 }),
			queueCell(q, func(ws []window) (window, bool) { return at(ws, last) }))
	}
	fmt.Fprintf(w, "\nRSS flat: %s\n", rssFlat(f.RSS, f.LoadWindows))
	fmt.Fprintf(w, "Lag bounded: %s\n", lagBounded(f.Lag, f.LoadWindows, rate))
}

// queueCell prints a queue's latency, pending and size as pick chooses
// a window of each.
func queueCell(q queueFigures, pick func([]window) (window, bool)) string {
	l, ok1 := pick(q.Latency)
	p, ok2 := pick(q.Pending)
	s, ok3 := pick(q.Size)
	if !ok1 || !ok2 || !ok3 {
		return "–"
	}
	return fmt.Sprintf("%.1f s / %.0f / %.0f", l.Peak, p.Peak, s.Peak)
}

func at(ws []window, i int) (window, bool) {
	if i < 0 || i >= len(ws) || ws[i].N == 0 {
		return window{}, false
	}
	return ws[i], true
}

func cell(ws []window, i int, show func(window) string) string {
	x, ok := at(ws, i)
	if !ok {
		return "–"
	}
	return show(x)
}

func writeRow(w io.Writer, cells ...string) {
	fmt.Fprintf(w, "| %s |\n", strings.Join(cells, " | "))
}

// clock prints an offset as m:ss.
func clock(d time.Duration) string {
	s := int(d.Round(time.Second) / time.Second)
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}
