package billing

import (
	"fmt"
	"sync"
	"time"

	"github.com/wabsp/wabsp/internal/apperr"
)

// Dates are calendar days, held as time.Time at midnight UTC (what pgx reads
// a date column as). A day belongs to no time zone by itself: ledger days are
// the tenant's days, rate cards take effect on days.

// DateLayout is how days are written on the wire and in CSV.
const DateLayout = "2006-01-02"

// ParseDate reads a YYYY-MM-DD day.
func ParseDate(s string) (time.Time, error) {
	d, err := time.Parse(DateLayout, s)
	if err != nil {
		return time.Time{}, apperr.New(apperr.Invalid, "%q is not a date (YYYY-MM-DD)", s)
	}
	return d, nil
}

// dayIn returns the calendar day of t in loc.
func dayIn(t time.Time, loc *time.Location) time.Time {
	y, m, d := t.In(loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// Month is a calendar month of a tenant's time zone.
type Month struct {
	Year  int
	Month time.Month
}

// ParseMonth reads YYYY-MM.
func ParseMonth(s string) (Month, error) {
	t, err := time.Parse("2006-01", s)
	if err != nil {
		return Month{}, apperr.New(apperr.Invalid, "%q is not a month (YYYY-MM)", s)
	}
	return Month{Year: t.Year(), Month: t.Month()}, nil
}

// MonthOf returns the month a day falls in.
func MonthOf(day time.Time) Month { return Month{Year: day.Year(), Month: day.Month()} }

// String formats m as YYYY-MM.
func (m Month) String() string { return fmt.Sprintf("%04d-%02d", m.Year, int(m.Month)) }

// First returns the month's first day.
func (m Month) First() time.Time { return time.Date(m.Year, m.Month, 1, 0, 0, 0, 0, time.UTC) }

// Next returns the following month.
func (m Month) Next() Month { return MonthOf(m.First().AddDate(0, 1, 0)) }

// Prev returns the preceding month.
func (m Month) Prev() Month { return MonthOf(m.First().AddDate(0, -1, 0)) }

// Before reports whether m is earlier than o.
func (m Month) Before(o Month) bool { return m.First().Before(o.First()) }

// IsZero reports whether m is unset.
func (m Month) IsZero() bool { return m.Year == 0 }

// locations caches loaded time zones; tenants share a handful of them.
var locations sync.Map

// location loads a tenant's time zone. An unknown name (the tenants domain
// validates them, so only a zone database missing on this machine) falls back
// to UTC rather than failing every apply.
func location(name string) *time.Location {
	if l, ok := locations.Load(name); ok {
		return l.(*time.Location)
	}
	l, err := time.LoadLocation(name)
	if err != nil {
		l = time.UTC
	}
	locations.Store(name, l)
	return l
}
