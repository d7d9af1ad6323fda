package console

import (
	"strconv"
	"time"
)

// chartData is a chart's data island, read by static/charts.js: x values
// (unix seconds) and one y series per name, null where there is no value.
type chartData struct {
	Kind   string       `json:"kind"`
	Label  string       `json:"label"`
	X      []int64      `json:"x"`
	Y      [][]*float64 `json:"y"`
	Series []string     `json:"series"`
}

func newChart(kind, label string, series ...string) *chartData {
	return &chartData{Kind: kind, Label: label, X: []int64{}, Y: make([][]*float64, len(series)), Series: series}
}

// add appends one x with a value per series.
func (c *chartData) add(x int64, ys ...*float64) {
	c.X = append(c.X, x)
	for i := range c.Y {
		c.Y[i] = append(c.Y[i], ys[i])
	}
}

func num[T int | int64 | float64](v T) *float64 {
	f := float64(v)
	return &f
}

// pageFuncs format the domain's optional figures for the tables.
var pageFuncs = map[string]any{
	// pct shows a ratio as a percentage, "–" when it has no denominator.
	"pct": func(r *float64) string {
		if r == nil {
			return "–"
		}
		return strconv.FormatFloat(*r*100, 'f', 1, 64) + "%"
	},
	// secs shows a duration in seconds the way people read it.
	"secs": func(s *float64) string {
		if s == nil {
			return "–"
		}
		return (time.Duration(*s) * time.Second).Round(time.Second).String()
	},
	// signed shows a difference of rates in percentage points.
	"points": func(v float64) string { return strconv.FormatFloat(v*100, 'f', 1, 64) + " pp" },
}
