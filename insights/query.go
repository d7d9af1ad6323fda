package insights

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/wabsp/wabsp/internal/apperr"
)

// Range is a span of tenant-zone calendar days: From inclusive, To
// exclusive, both midnights as dates (their zone is ignored).
type Range struct {
	From, To time.Time
}

// MaxRangeDays bounds a query's range.
const MaxRangeDays = 800

// DefaultRangeDays is the range a query without one covers: the last 30
// days of the tenant's zone, today included.
const DefaultRangeDays = 30

// span resolves a range: a missing To is tomorrow in the tenant's zone (so
// today is in), a missing From DefaultRangeDays before To.
func (s *Service) span(ctx context.Context, tenantID uuid.UUID, r Range) (date, date, error) {
	if r.From.IsZero() || r.To.IsZero() {
		var loc *time.Location
		err := s.readTenant(ctx, tenantID, func(tx pgx.Tx) error {
			var err error
			_, loc, err = zone(ctx, tx, tenantID)
			return err
		})
		if err != nil {
			return 0, 0, err
		}
		if r.To.IsZero() {
			r.To = (civil(s.now().In(loc)) + 1).time()
		}
		if r.From.IsZero() {
			r.From = (civil(r.To) - DefaultRangeDays).time()
		}
	}
	return r.validate()
}

func (r Range) validate() (date, date, error) {
	from, to := civil(r.From), civil(r.To)
	switch {
	case r.From.IsZero() || r.To.IsZero():
		return 0, 0, apperr.InvalidField("from", "from and to are required")
	case to <= from:
		return 0, 0, apperr.InvalidField("to", "must be after from")
	case to-from > MaxRangeDays:
		return 0, 0, apperr.InvalidField("to", fmt.Sprintf("at most %d days after from", MaxRangeDays))
	}
	return from, to, nil
}

// civil is the calendar date of t as written, whatever its zone.
func civil(t time.Time) date {
	return dateOf(time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC))
}

// Period groupings shared by the time-series reads.
const (
	ByDay   = "day"
	ByWeek  = "week"
	ByMonth = "month"
)

// periodExpr is the SQL for the start of the period of col (a date).
func periodExpr(by, col string) (string, bool) {
	switch by {
	case ByDay:
		return col, true
	case ByWeek:
		return "date_trunc('week', " + col + ")::date", true
	case ByMonth:
		return "date_trunc('month', " + col + ")::date", true
	}
	return "", false
}

// zone reads the tenant's time zone.
func zone(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID) (string, *time.Location, error) {
	var name string
	if err := tx.QueryRow(ctx, `SELECT time_zone FROM tenants WHERE id = $1`, tenantID).Scan(&name); err != nil {
		return "", nil, fmt.Errorf("insights: read tenant zone: %w", err)
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return name, time.UTC, nil
	}
	return name, loc, nil
}

// instant is the moment a tenant-zone date begins.
func instant(d date, loc *time.Location) time.Time {
	t := d.time()
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, loc).UTC()
}

// where accumulates SQL conditions with numbered arguments.
type where struct {
	conds []string
	args  []any
}

func (w *where) add(cond string, arg any) {
	w.args = append(w.args, arg)
	w.conds = append(w.conds, strings.ReplaceAll(cond, "?", fmt.Sprintf("$%d", len(w.args))))
}

func (w *where) sql() string { return strings.Join(w.conds, " AND ") }

// ratio is num/den, nil when den is zero.
func ratio(num, den int64) *float64 {
	if den == 0 {
		return nil
	}
	r := float64(num) / float64(den)
	return &r
}

var errGrain = apperr.InvalidField("grain", "day, week or month")
