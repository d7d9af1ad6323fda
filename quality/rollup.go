package quality

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/wabsp/wabsp/internal/apperr"
	"github.com/wabsp/wabsp/internal/pg"
)

// DefaultRollupDays is the range of a roll-up asked for without one, the
// span WhatsApp Manager shows.
const DefaultRollupDays = 30

// Day is one calendar day of a roll-up, in the tenant's time zone.
type Day struct {
	Date string `json:"date"`
	// Lowest is the lowest rating in effect at any moment of the day, like
	// WhatsApp Manager's insight; "" before the first observation.
	Lowest      string `json:"lowest"`
	LowestLabel string `json:"lowest_label"`
	// Last is the rating at the end of the day.
	Last string `json:"last"`
	// Changes counts the observed changes during the day.
	Changes int `json:"changes"`
}

// Rollup is a daily roll-up of one rating.
type Rollup struct {
	TimeZone  string `json:"time_zone"`
	Attribute string `json:"attribute"`
	From      string `json:"from"`
	To        string `json:"to"`
	Days      []Day  `json:"days"`
}

// NumberDaily rolls a number's quality rating up by day, from and to being
// calendar dates (inclusive) in the tenant's time zone. Zero dates mean the
// last DefaultRollupDays days. Any range within the tenant's retention is
// served, not only Meta's thirty days.
func (s *Service) NumberDaily(ctx context.Context, tenantID, id uuid.UUID, from, to time.Time) (Rollup, error) {
	return s.daily(ctx, tenantID, KindNumber, id.String(), "quality_rating",
		`SELECT true FROM quality_numbers WHERE tenant_id = $1 AND id = $2::uuid`, "phone number", from, to)
}

// TemplateDaily rolls a template's quality score up by day, like
// NumberDaily.
func (s *Service) TemplateDaily(ctx context.Context, tenantID uuid.UUID, templateID string, from, to time.Time) (Rollup, error) {
	if !isDigits(templateID) {
		return Rollup{}, errNoTemplate
	}
	return s.daily(ctx, tenantID, KindTemplate, templateID, "quality_score",
		`SELECT true FROM quality_templates WHERE tenant_id = $1 AND template_id = $2`, "template", from, to)
}

func (s *Service) daily(ctx context.Context, tenantID uuid.UUID, kind, subjectID, attr, exists, what string, from, to time.Time) (Rollup, error) {
	var out Rollup
	err := s.db.InTenantTx(ctx, tenantID, func(tx pgx.Tx) error {
		var ok bool
		if err := tx.QueryRow(ctx, exists, tenantID, subjectID).Scan(&ok); err != nil {
			return pg.Translate(err, what)
		}
		var tz string
		var retention int
		if err := tx.QueryRow(ctx, `SELECT time_zone, retention_days FROM tenants WHERE id = $1`, tenantID).Scan(&tz, &retention); err != nil {
			return pg.Translate(err, "tenant")
		}
		loc, err := time.LoadLocation(tz)
		if err != nil {
			loc, tz = time.UTC, "UTC"
		}
		first, last, err := dayRange(from, to, s.now().In(loc), retention)
		if err != nil {
			return err
		}
		end := last.AddDate(0, 0, 1)
		ratings, err := ratingHistory(ctx, tx, tenantID, kind, subjectID, attr, first, end)
		if err != nil {
			return err
		}
		out = Rollup{TimeZone: tz, Attribute: attr, From: first.Format(time.DateOnly), To: last.Format(time.DateOnly),
			Days: rollDays(ratings, first, end)}
		return nil
	})
	return out, err
}

// dayRange resolves a requested range to midnights in today's zone and
// checks it against the tenant's retention.
func dayRange(from, to, today time.Time, retention int) (first, last time.Time, err error) {
	loc := today.Location()
	midnight := func(t time.Time) time.Time { return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, loc) }
	todayStart := midnight(today)
	last = todayStart
	if !to.IsZero() {
		last = midnight(to)
	}
	first = last.AddDate(0, 0, -(DefaultRollupDays - 1))
	if !from.IsZero() {
		first = midnight(from)
	}
	earliest := todayStart.AddDate(0, 0, -(retention - 1))
	switch {
	case last.After(todayStart):
		return first, last, apperr.InvalidField("to", "must not be after today in the tenant's time zone")
	case first.After(last):
		return first, last, apperr.InvalidField("from", "must not be after to")
	case first.Before(earliest):
		return first, last, apperr.InvalidField("from", fmt.Sprintf("is beyond the tenant's retention of %d days (earliest %s)",
			retention, earliest.Format(time.DateOnly)))
	}
	return first, last, nil
}

// rollDays walks the ratings (the one in effect at first, then every
// change, oldest first) day by day from first until end.
func rollDays(ratings []RatingAt, first, end time.Time) []Day {
	cur, i := "", 0
	for i < len(ratings) && !ratings[i].At.After(first) {
		cur = ratings[i].Rating
		i++
	}
	var days []Day
	for d := first; d.Before(end); d = d.AddDate(0, 0, 1) {
		next := d.AddDate(0, 0, 1)
		day := Day{Date: d.Format(time.DateOnly), Lowest: cur}
		for i < len(ratings) && ratings[i].At.Before(next) {
			cur = ratings[i].Rating
			day.Lowest = worseRating(day.Lowest, cur)
			day.Changes++
			i++
		}
		day.Last = cur
		if day.Lowest != "" {
			day.LowestLabel = RatingLabel(day.Lowest)
		}
		days = append(days, day)
	}
	return days
}
