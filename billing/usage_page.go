package billing

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/wabsp/wabsp/internal/apperr"
	"github.com/wabsp/wabsp/internal/paging"
)

// Usage answers hold at most MaxUsageGroups groups (DefaultUsageGroups
// unless asked otherwise); the rest follow through Usage.NextCursor. The
// totals always cover the whole range. By every dimension a quarter of a
// busy tenant is tens of thousands of groups, which no single answer should
// carry.
const (
	DefaultUsageGroups = 5000
	MaxUsageGroups     = 10000
)

// usageCursor is the key of the last group of a page, in compareGroups
// order: day (empty when not grouped), phone number, market, category,
// pricing type.
type usageCursor [5]string

func (c usageCursor) group() UsageGroup {
	g := UsageGroup{PhoneNumberID: c[1], Market: c[2], Category: c[3], PricingType: c[4]}
	if c[0] != "" {
		if d, err := time.Parse(time.DateOnly, c[0]); err == nil {
			g.Day = &d
		}
	}
	return g
}

func cursorOf(g UsageGroup) string {
	var c usageCursor
	if g.Day != nil {
		c[0] = g.Day.Format(time.DateOnly)
	}
	c[1], c[2], c[3], c[4] = g.PhoneNumberID, g.Market, g.Category, g.PricingType
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

// pageOf reads the limit and cursor of q.
func pageOf(q UsageQuery) (limit int, after *UsageGroup, err error) {
	limit = q.Limit
	switch {
	case limit == 0:
		limit = DefaultUsageGroups
	case limit < 0 || limit > MaxUsageGroups:
		return 0, nil, apperr.InvalidField("limit", fmt.Sprintf("must be between 1 and %d", MaxUsageGroups))
	}
	if q.Cursor == "" {
		return limit, nil, nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(q.Cursor)
	var c usageCursor
	if err != nil || json.Unmarshal(raw, &c) != nil {
		return 0, nil, paging.ErrBadCursor
	}
	if c[0] != "" {
		if _, err := time.Parse(time.DateOnly, c[0]); err != nil {
			return 0, nil, paging.ErrBadCursor
		}
	}
	g := c.group()
	return limit, &g, nil
}

// page keeps the groups after the cursor, at most limit of them, and names
// the last one in NextCursor when more follow. more says that a query
// already stopped short of the end.
func (u *Usage) page(limit int, after *UsageGroup, more bool) {
	if after != nil {
		u.Groups = slices.DeleteFunc(u.Groups, func(g UsageGroup) bool { return compareGroups(g, *after) <= 0 })
	}
	if len(u.Groups) > limit {
		u.Groups, more = u.Groups[:limit], true
	}
	if more && len(u.Groups) > 0 {
		u.NextCursor = cursorOf(u.Groups[len(u.Groups)-1])
	}
}
