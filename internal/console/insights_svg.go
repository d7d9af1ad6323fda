package console

import (
	"fmt"
	"math"

	"github.com/wabsp/wabsp/insights"
)

// The funnel, heatmap and intervals are drawn on the server as SVG: they
// have no time axis to zoom, and so show without JavaScript.

// bar is one horizontal bar of the funnel, its width a share of the
// first step.
type bar struct {
	Label string
	Count int64
	Y     int
	Width float64
}

const funnelWidth = 600

func funnelBars(f insights.FunnelCounts) []bar {
	steps := []struct {
		label string
		n     int64
	}{{"Messages", f.Messages}, {"Sent", f.Sent}, {"Delivered", f.Delivered}, {"Read", f.Read}, {"Replied", f.Replied}}
	top := max(f.Messages, 1)
	out := make([]bar, len(steps))
	for i, s := range steps {
		out[i] = bar{Label: s.label, Count: s.n, Y: i * 30, Width: math.Max(1, funnelWidth*float64(s.n)/float64(top))}
	}
	return out
}

// cell is one hour of the heatmap, shaded by its share of the busiest.
type cell struct {
	X, Y    int
	Opacity string
	Title   string
}

type heatmap struct {
	Cells    []cell
	Weekdays []dayLabel
	Hours    []hourLabel
}

type dayLabel struct {
	Y    int
	Name string
}

type hourLabel struct {
	X    int
	Hour int
}

const cellSize = 24

func heatmapOf(h insights.BusiestHours) heatmap {
	row := map[string]int{}
	var out heatmap
	for i, d := range []string{"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"} {
		row[d] = i
		out.Weekdays = append(out.Weekdays, dayLabel{Y: i*cellSize + 16, Name: d[:3]})
	}
	for hr := 0; hr < 24; hr += 3 {
		out.Hours = append(out.Hours, hourLabel{X: 40 + hr*cellSize, Hour: hr})
	}
	var peak int64 = 1
	for _, c := range h.Hours {
		peak = max(peak, c.Inbound+c.Outbound)
	}
	for _, c := range h.Hours {
		y, ok := row[c.Weekday]
		if !ok || c.Hour < 0 || c.Hour > 23 {
			continue
		}
		n := c.Inbound + c.Outbound
		out.Cells = append(out.Cells, cell{X: 40 + c.Hour*cellSize, Y: y * cellSize,
			Opacity: fmt.Sprintf("%.2f", 0.08+0.92*float64(n)/float64(peak)),
			Title:   fmt.Sprintf("%s %02d:00 — %d in, %d out", c.Weekday, c.Hour, c.Inbound, c.Outbound)})
	}
	return out
}

// interval is a metric's difference from control with its 95% interval,
// in pixels on an axis from -span to +span around zero.
type interval struct {
	Metric, Variant   string
	Difference        float64
	Low, High         float64
	Significant       bool
	X1, X2, XMid, Row int
}

const (
	intervalWidth = 500
	intervalRow   = 22
)

func intervalsOf(ms []insights.MetricResult) []interval {
	span := 0.01
	for _, m := range ms {
		if c := m.Comparison; c != nil {
			span = math.Max(span, math.Max(math.Abs(c.CILow), math.Abs(c.CIHigh)))
		}
	}
	x := func(v float64) int {
		return int(math.Round(float64(intervalWidth)/2 + v/span*float64(intervalWidth)/2*0.95))
	}
	var out []interval
	for _, m := range ms {
		c := m.Comparison
		if c == nil {
			continue
		}
		out = append(out, interval{Metric: m.Metric, Variant: m.Variant, Difference: c.Difference, Low: c.CILow, High: c.CIHigh,
			Significant: c.Significant, X1: x(c.CILow), X2: x(c.CIHigh), XMid: x(c.Difference), Row: len(out)*intervalRow + 10})
	}
	return out
}
