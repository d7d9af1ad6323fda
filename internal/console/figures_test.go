package console

import (
	"testing"
	"time"

	"github.com/wabsp/wabsp/billing"
	"github.com/wabsp/wabsp/insights"
)

func TestUsageByDay(t *testing.T) {
	day := func(s string) *time.Time { d, _ := time.Parse(time.DateOnly, s); return &d }
	first, last := *day("2026-12-01"), *day("2026-12-03")
	u := billing.Usage{Groups: []billing.UsageGroup{
		{Day: day("2026-12-01"), Category: "service", PricingType: "free_customer_service", Counts: billing.Counts{Messages: 3}},
		{Day: day("2026-12-01"), Category: "marketing", PricingType: "regular", Counts: billing.Counts{Messages: 2}},
		{Day: day("2026-12-03"), Category: "marketing", PricingType: "regular", Counts: billing.Counts{Messages: 5}},
		{Day: day("2026-11-30"), Category: "marketing", PricingType: "regular", Counts: billing.Counts{Messages: 7}},
	}}
	chart, rows := usageByDay(u, first, last)
	tests := []struct {
		name  string
		day   int
		class string
		want  int64
	}{
		{"session on the first", 0, billing.ClassSession, 3},
		{"template on the first", 0, billing.ClassTemplate, 2},
		{"a day without messages is there, empty", 1, billing.ClassTemplate, 0},
		{"template on the last", 2, billing.ClassTemplate, 5},
	}
	if len(rows) != 3 || len(chart.X) != 3 {
		t.Fatalf("%d rows, %d chart days; want 3 (days outside the period dropped)", len(rows), len(chart.X))
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := -1
			for i, c := range usageClasses {
				if c == tt.class {
					k = i
				}
			}
			if got := rows[tt.day].ByClass[k]; got != tt.want {
				t.Errorf("table: %d, want %d", got, tt.want)
			}
			if got := *chart.Y[k][tt.day]; got != float64(tt.want) {
				t.Errorf("chart: %v, want %d", got, tt.want)
			}
		})
	}
}

func TestIntervalsOf(t *testing.T) {
	ms := []insights.MetricResult{
		{Metric: "read_rate", Variant: "plain"},
		{Metric: "read_rate", Variant: "emoji", Comparison: &insights.Comparison{Difference: 0.1, CILow: 0.05, CIHigh: 0.15, Significant: true}},
		{Metric: "reply_rate", Variant: "emoji", Comparison: &insights.Comparison{Difference: -0.02, CILow: -0.3, CIHigh: 0.26}},
	}
	got := intervalsOf(ms)
	if len(got) != 2 {
		t.Fatalf("%d intervals, want 2 (the control has no comparison)", len(got))
	}
	zero := intervalWidth / 2
	tests := []struct {
		name string
		ok   bool
	}{
		{"a positive interval lies right of zero", got[0].X1 > zero && got[0].X2 > got[0].X1},
		{"an interval across zero spans it", got[1].X1 < zero && got[1].X2 > zero},
		{"the widest bound stays inside the axis", got[1].X1 >= 0 && got[1].X2 <= intervalWidth},
		{"the point sits inside its interval", got[0].XMid >= got[0].X1 && got[0].XMid <= got[0].X2},
		{"rows do not overlap", got[1].Row-got[0].Row == intervalRow},
	}
	for _, tt := range tests {
		if !tt.ok {
			t.Errorf("%s: %+v", tt.name, got)
		}
	}
}

func TestHeatmapOf(t *testing.T) {
	h := heatmapOf(insights.BusiestHours{Hours: []insights.HourCell{
		{Weekday: "monday", Hour: 9, Inbound: 10, Outbound: 10},
		{Weekday: "sunday", Hour: 23, Inbound: 1},
		{Weekday: "someday", Hour: 1, Inbound: 1},
		{Weekday: "monday", Hour: 24, Inbound: 1},
	}})
	if len(h.Cells) != 2 {
		t.Fatalf("%d cells, want 2 (unknown weekdays and hours left out)", len(h.Cells))
	}
	tests := []struct {
		name    string
		c       cell
		x, y    int
		opacity string
	}{
		{"the busiest hour is full", h.Cells[0], 40 + 9*cellSize, 0, "1.00"},
		{"a quiet hour is faint", h.Cells[1], 40 + 23*cellSize, 6 * cellSize, "0.13"},
	}
	for _, tt := range tests {
		if tt.c.X != tt.x || tt.c.Y != tt.y || tt.c.Opacity != tt.opacity {
			t.Errorf("%s: %+v, want x %d y %d opacity %s", tt.name, tt.c, tt.x, tt.y, tt.opacity)
		}
	}
}
