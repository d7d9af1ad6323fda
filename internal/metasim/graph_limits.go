package metasim

import (
	"encoding/json"
	"slices"
	"time"
)

// admit charges one call to the WABA's rolling-window budget, or reports that
// the budget is spent. Rejected calls are not charged, so a client backing off
// regains access once the oldest admitted calls leave the window. Runs with
// g.mu held.
func (g *Graph) admit(ws *wabaState, now time.Time) bool {
	cutoff := now.Add(-g.window)
	ws.calls = slices.DeleteFunc(ws.calls, func(t time.Time) bool { return !t.After(cutoff) })
	if len(ws.calls) >= g.budget {
		return false
	}
	ws.calls = append(ws.calls, now)
	return true
}

type bucUsage struct {
	Type                        string `json:"type"`
	CallCount                   int    `json:"call_count"`
	TotalCPUTime                int    `json:"total_cputime"`
	TotalTime                   int    `json:"total_time"`
	EstimatedTimeToRegainAccess int    `json:"estimated_time_to_regain_access"`
}

// usageHeader renders X-Business-Use-Case-Usage for the WABA. The first three
// values are percentages of the budget. The simulator has no cost model, so
// the CPU and time shares follow the call share at fixed fractions, leaving
// call_count the binding dimension, as it is for a polling client. Runs with
// g.mu held.
func (g *Graph) usageHeader(ws *wabaState, now time.Time) string {
	used := len(ws.calls)
	pct := used * 100 / g.budget
	u := bucUsage{
		Type:         "whatsapp_business_management",
		CallCount:    pct,
		TotalCPUTime: pct / 4,
		TotalTime:    pct / 2,
	}
	if used >= g.budget {
		sorted := slices.SortedFunc(slices.Values(ws.calls), func(a, b time.Time) int { return a.Compare(b) })
		// Access returns when the call that keeps the window full expires.
		free := sorted[used-g.budget].Add(g.window).Sub(now)
		u.EstimatedTimeToRegainAccess = int((free + time.Minute - 1) / time.Minute)
	}
	b, _ := json.Marshal(map[string][]bucUsage{ws.ID: {u}})
	return string(b)
}
