package insights

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/wabsp/wabsp/internal/apperr"
)

// BusinessHours are a tenant's weekly opening hours in its time zone. With
// them set, every response time is also measured counting only the time the
// business was open.
type BusinessHours struct {
	Intervals []Interval `json:"intervals"`
}

// Interval is one opening interval: a weekday ("monday" … "sunday") from
// Open to Close, as "15:04" in the tenant's zone ("24:00" closes at
// midnight).
type Interval struct {
	Day   string `json:"day"`
	Open  string `json:"open"`
	Close string `json:"close"`
}

var weekdays = map[string]time.Weekday{"sunday": time.Sunday, "monday": time.Monday, "tuesday": time.Tuesday,
	"wednesday": time.Wednesday, "thursday": time.Thursday, "friday": time.Friday, "saturday": time.Saturday}

func (h BusinessHours) set() bool { return len(h.Intervals) > 0 }

// clock parses "15:04" (or "24:00") into minutes after midnight.
func clock(s string) (int, bool) {
	if s == "24:00" {
		return 24 * 60, true
	}
	t, err := time.Parse("15:04", s)
	if err != nil {
		return 0, false
	}
	return t.Hour()*60 + t.Minute(), true
}

func (h BusinessHours) validate() error {
	if len(h.Intervals) > 70 {
		return apperr.InvalidField("intervals", "at most 70 intervals")
	}
	for i, iv := range h.Intervals {
		field := fmt.Sprintf("intervals[%d]", i)
		if _, ok := weekdays[strings.ToLower(iv.Day)]; !ok {
			return apperr.InvalidField(field+".day", "a weekday name such as monday")
		}
		o, ok1 := clock(iv.Open)
		c, ok2 := clock(iv.Close)
		if !ok1 || !ok2 || o >= c {
			return apperr.InvalidField(field, "open and close as HH:MM with open before close")
		}
	}
	return nil
}

// between is how much of [a, b) falls inside the opening hours, walking the
// zone's calendar days so daylight-saving shifts are honoured.
func (h BusinessHours) between(a, b time.Time, loc *time.Location) time.Duration {
	if !b.After(a) {
		return 0
	}
	var total time.Duration
	la := a.In(loc)
	d := time.Date(la.Year(), la.Month(), la.Day(), 0, 0, 0, 0, loc)
	for i := 0; i < 3700 && d.Before(b); i++ {
		for _, iv := range h.Intervals {
			if weekdays[strings.ToLower(iv.Day)] != d.Weekday() {
				continue
			}
			o, _ := clock(iv.Open)
			c, _ := clock(iv.Close)
			start := time.Date(d.Year(), d.Month(), d.Day(), o/60, o%60, 0, 0, loc)
			end := time.Date(d.Year(), d.Month(), d.Day(), c/60, c%60, 0, 0, loc)
			if start.Before(a) {
				start = a
			}
			if end.After(b) {
				end = b
			}
			if end.After(start) {
				total += end.Sub(start)
			}
		}
		d = time.Date(d.Year(), d.Month(), d.Day()+1, 0, 0, 0, 0, loc)
	}
	return total
}

// BusinessHours returns the tenant's opening hours (no intervals when none
// are set).
func (s *Service) BusinessHours(ctx context.Context, tenantID uuid.UUID) (BusinessHours, error) {
	var h BusinessHours
	err := s.inTenant(ctx, tenantID, func(tx pgx.Tx) error {
		var raw []byte
		err := tx.QueryRow(ctx, `SELECT business_hours FROM insight_settings WHERE tenant_id = $1`, tenantID).Scan(&raw)
		if errors.Is(err, pgx.ErrNoRows) || (err == nil && raw == nil) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("insights: read business hours: %w", err)
		}
		return json.Unmarshal(raw, &h)
	})
	if h.Intervals == nil {
		h.Intervals = []Interval{}
	}
	return h, err
}

// SetBusinessHours replaces the tenant's opening hours (no intervals clears
// them) and re-measures every answered turn on the business clock.
func (s *Service) SetBusinessHours(ctx context.Context, tenantID uuid.UUID, h BusinessHours) (BusinessHours, error) {
	if err := h.validate(); err != nil {
		return BusinessHours{}, err
	}
	for i := range h.Intervals {
		h.Intervals[i].Day = strings.ToLower(h.Intervals[i].Day)
	}
	var stored any
	if h.set() {
		stored = h
	} else {
		h.Intervals = []Interval{}
	}
	err := s.inTenant(ctx, tenantID, func(tx pgx.Tx) error {
		u := newUnit(tenantID, s.now())
		if err := u.load(ctx, tx, input{}); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO insight_settings (tenant_id, business_hours, updated_at)
			VALUES ($1, $2, now()) ON CONFLICT (tenant_id) DO UPDATE SET business_hours = excluded.business_hours,
			updated_at = excluded.updated_at`, tenantID, stored); err != nil {
			return fmt.Errorf("insights: store business hours: %w", err)
		}
		u.hours = h
		return u.remeasure(ctx, tx)
	})
	if err != nil {
		return BusinessHours{}, err
	}
	return h, nil
}

// remeasure recomputes business_seconds of every answered turn and the
// business-clock histograms (which count unanswered turns too) from scratch.
func (u *unit) remeasure(ctx context.Context, tx pgx.Tx) error {
	rows, _ := tx.Query(ctx, `SELECT phone_number_id, contact, started_at, responded_at, day, first, agent, automated,
		    coalesce(seconds, 0) FROM insight_turns WHERE tenant_id = $1`, u.tenantID)
	var ts []turn
	for rows.Next() {
		var t turn
		var d time.Time
		var responded pgtype.Timestamptz
		if err := rows.Scan(&t.phone, &t.contact, &t.started, &responded, &d, &t.first, &t.agent, &t.automated,
			&t.seconds); err != nil {
			rows.Close()
			return fmt.Errorf("insights: scan turn: %w", err)
		}
		t.day, t.responded = dateOf(d), tz(responded)
		ts = append(ts, t)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("insights: read turns: %w", err)
	}
	d := newDeltas()
	n := len(ts)
	phones, contacts, starts := make([]string, n), make([]string, n), make([]time.Time, n)
	biz, bizBuckets := make([]pgtype.Int4, n), make([]pgtype.Int4, n)
	for i := range ts {
		t := &ts[i]
		for _, g := range grains {
			k := tileKey{grain: g, start: periodStart(g, t.day), clock: ClockBusiness, first: t.first, bucket: -1}
			switch {
			case t.responded.IsZero():
				d.addResponse(k, t, 1, 0)
			case u.hours.set():
				t.business = pgtype.Int4{Int32: int32(u.hours.between(t.started, t.responded, u.loc) / time.Second), Valid: true}
				k.bucket = bucketOf(t.business.Int32)
				d.addResponse(k, t, 1, int64(t.business.Int32))
			}
		}
		phones[i], contacts[i], starts[i] = t.phone, t.contact, t.started
		_, bizBuckets[i] = t.buckets()
		biz[i] = t.business
	}
	b := &pgx.Batch{}
	for _, h := range histTables {
		b.Queue(`DELETE FROM `+h.name+` WHERE tenant_id = $1 AND clock = 'business'`, u.tenantID)
	}
	b.Queue(`UPDATE insight_turns x SET business_seconds = u.b, business_bucket = u.bb
		FROM unnest($2::text[], $3::text[], $4::timestamptz[], $5::int[], $6::int[]) AS u(phone, contact, started, b, bb)
		WHERE x.tenant_id = $1 AND x.phone_number_id = u.phone AND x.contact = u.contact AND x.started_at = u.started`,
		u.tenantID, phones, contacts, starts, biz, bizBuckets)
	queueResponses(b, u, d)
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("insights: remeasure turns: %w", err)
	}
	return nil
}
