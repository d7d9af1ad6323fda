package graph

import (
	"encoding/json"
	"fmt"
	"time"
)

// UsageHeader is the header Meta reports business-use-case usage in.
const UsageHeader = "X-Business-Use-Case-Usage"

// Usage is one entry of X-Business-Use-Case-Usage: the shares of the budget
// used, in percent, and how long until a throttled caller regains access.
type Usage struct {
	Type         string `json:"type"`
	CallCount    int    `json:"call_count"`
	TotalCPUTime int    `json:"total_cputime"`
	TotalTime    int    `json:"total_time"`
	// RegainMinutes is estimated_time_to_regain_access, in minutes.
	RegainMinutes int `json:"estimated_time_to_regain_access"`
}

// Percent is the binding share: Meta throttles when any of the three
// reaches 100.
func (u Usage) Percent() int { return max(u.CallCount, u.TotalCPUTime, u.TotalTime) }

// ParseUsage decodes X-Business-Use-Case-Usage: business object id → its
// usage entries.
func ParseUsage(header string) (map[string][]Usage, error) {
	out := map[string][]Usage{}
	if header == "" {
		return out, nil
	}
	if err := json.Unmarshal([]byte(header), &out); err != nil {
		return nil, fmt.Errorf("graph: %s: %w", UsageHeader, err)
	}
	return out, nil
}

// pace is what the client knows of one WABA's budget.
type pace struct {
	percent  int
	seen     time.Time
	lastCall time.Time
	blocked  time.Time
}

// admit lets a call for key go ahead or says how long to wait. Below the
// slow-down threshold calls go freely. Above it, calls are spaced by a gap
// that grows with usage (one minute at the threshold, plus the window's
// share of every point beyond it: 15 minutes at 90% of an hourly budget),
// so a poller never runs a WABA's budget dry. A usage reading older than
// the window is stale and ignored.
func (c *Client) admit(key string) error {
	if key == "" {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	p := c.usage[key]
	if p == nil {
		p = &pace{}
		c.usage[key] = p
	}
	if now.Before(p.blocked) {
		return &RateLimitError{Key: key, RetryAfter: p.blocked.Sub(now), Usage: p.percent}
	}
	if p.percent >= c.slowAt && now.Sub(p.seen) < c.window {
		gap := time.Minute + c.window*time.Duration(p.percent-c.slowAt)/100
		if next := p.lastCall.Add(gap); now.Before(next) {
			return &RateLimitError{Key: key, RetryAfter: next.Sub(now), Usage: p.percent}
		}
	}
	p.lastCall = now
	return nil
}

// record keeps the usage a response reported for key and returns Meta's
// estimate of the time to regain access (0 when not throttled).
func (c *Client) record(key, header string) time.Duration {
	usage, err := ParseUsage(header)
	if err != nil {
		c.log.Warn("graph: unreadable usage header", "header", header, "err", err)
		return 0
	}
	entries, ok := usage[key]
	if !ok {
		// The header names business objects; when the WABA is not among
		// them, the highest share is the safe reading.
		for _, e := range usage {
			entries = append(entries, e...)
		}
	}
	if len(entries) == 0 {
		return 0
	}
	pct, regain := 0, 0
	for _, e := range entries {
		pct, regain = max(pct, e.Percent()), max(regain, e.RegainMinutes)
	}
	wait := time.Duration(regain) * time.Minute
	if key == "" {
		return wait
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	p := c.usage[key]
	if p == nil {
		p = &pace{}
		c.usage[key] = p
	}
	now := c.now()
	p.percent, p.seen = pct, now
	if wait > 0 && now.Add(wait).After(p.blocked) {
		p.blocked = now.Add(wait)
	}
	return wait
}

// block keeps the client away from key for d.
func (c *Client) block(key string, d time.Duration) {
	if key == "" {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	p := c.usage[key]
	if p == nil {
		p = &pace{}
		c.usage[key] = p
	}
	if until := c.now().Add(d); until.After(p.blocked) {
		p.blocked = until
	}
}

// UsagePercent returns the last usage share seen for key, for metrics and
// tests.
func (c *Client) UsagePercent(key string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if p := c.usage[key]; p != nil {
		return p.percent
	}
	return 0
}
