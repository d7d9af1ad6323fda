package insights

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// HoursQuery selects busiest hours: a range of days, optionally one number.
type HoursQuery struct {
	Range
	PhoneNumberID string
}

// HourCell is the traffic of one hour of the week in the tenant's zone.
type HourCell struct {
	Weekday  string `json:"weekday"`
	Hour     int    `json:"hour"`
	Inbound  int64  `json:"inbound"`
	Outbound int64  `json:"outbound"`
}

// BusiestHours is the answer to a HoursQuery: all 168 hours of the week,
// Monday 00:00 first, and the busiest few by total traffic.
type BusiestHours struct {
	TimeZone string     `json:"time_zone"`
	Hours    []HourCell `json:"hours"`
	Busiest  []HourCell `json:"busiest"`
}

// busiestShown is how many hours Busiest lists.
const busiestShown = 5

var isoWeekdays = []string{"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"}

// BusiestHours returns inbound and outbound messages by hour of the week.
func (s *Service) BusiestHours(ctx context.Context, tenantID uuid.UUID, q HoursQuery) (BusiestHours, error) {
	from, to, err := s.span(ctx, tenantID, q.Range)
	if err != nil {
		return BusiestHours{}, err
	}
	w := &where{}
	w.add("tenant_id = ?", tenantID)
	w.add("day >= ?", from.time())
	w.add("day < ?", to.time())
	if q.PhoneNumberID != "" {
		w.add("phone_number_id = ?", q.PhoneNumberID)
	}
	out := BusiestHours{Hours: make([]HourCell, 7*24)}
	for i := range out.Hours {
		out.Hours[i] = HourCell{Weekday: isoWeekdays[i/24], Hour: i % 24}
	}
	err = s.readTenant(ctx, tenantID, func(tx pgx.Tx) error {
		name, _, err := zone(ctx, tx, tenantID)
		if err != nil {
			return err
		}
		out.TimeZone = name
		rows, _ := tx.Query(ctx, `SELECT extract(isodow FROM day)::int, hour, direction, sum(messages)
			FROM insight_hourly WHERE `+w.sql()+` GROUP BY 1, 2, 3`, w.args...)
		for rows.Next() {
			var dow, hour int
			var dir string
			var n int64
			if err := rows.Scan(&dow, &hour, &dir, &n); err != nil {
				rows.Close()
				return fmt.Errorf("insights: scan hours: %w", err)
			}
			c := &out.Hours[(dow-1)*24+hour]
			if dir == "in" {
				c.Inbound += n
			} else {
				c.Outbound += n
			}
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("insights: read hours: %w", err)
		}
		return nil
	})
	if err != nil {
		return BusiestHours{}, err
	}
	ranked := slices.Clone(out.Hours)
	slices.SortStableFunc(ranked, func(a, b HourCell) int {
		return cmp.Compare(b.Inbound+b.Outbound, a.Inbound+a.Outbound)
	})
	out.Busiest = []HourCell{}
	for _, c := range ranked[:busiestShown] {
		if c.Inbound+c.Outbound > 0 {
			out.Busiest = append(out.Busiest, c)
		}
	}
	return out, nil
}

// ContactsQuery selects contact activity: periods of a grain starting in a
// range of days.
type ContactsQuery struct {
	Range
	// Grain is day, week or month.
	Grain string
}

// ContactPeriod counts the contacts who wrote in during one period: new
// ones (their first message ever) and returning ones.
type ContactPeriod struct {
	Period    string `json:"period"`
	Active    int64  `json:"active"`
	New       int64  `json:"new"`
	Returning int64  `json:"returning"`
}

// SourceCount is how many contacts the business gained from one source.
type SourceCount struct {
	Source   string `json:"source"`
	Contacts int64  `json:"contacts"`
}

// ContactActivity is the answer to a ContactsQuery.
type ContactActivity struct {
	TimeZone string          `json:"time_zone"`
	Grain    string          `json:"grain"`
	Periods  []ContactPeriod `json:"periods"`
	// GainedBySource counts contacts first recorded in the range, by how
	// they were gained (inbound message, import, API, number change).
	GainedBySource []SourceCount `json:"gained_by_source"`
}

var grainCodes = map[string]byte{ByDay: GrainDay, ByWeek: GrainWeek, ByMonth: GrainMonth}

// ContactActivity returns new and returning contacts per period and the
// contacts gained by source.
func (s *Service) ContactActivity(ctx context.Context, tenantID uuid.UUID, q ContactsQuery) (ContactActivity, error) {
	from, to, err := s.span(ctx, tenantID, q.Range)
	if err != nil {
		return ContactActivity{}, err
	}
	if q.Grain == "" {
		q.Grain = ByDay
	}
	g, ok := grainCodes[q.Grain]
	if !ok {
		return ContactActivity{}, errGrain
	}
	out := ContactActivity{Grain: q.Grain, Periods: []ContactPeriod{}, GainedBySource: []SourceCount{}}
	err = s.readTenant(ctx, tenantID, func(tx pgx.Tx) error {
		name, loc, err := zone(ctx, tx, tenantID)
		if err != nil {
			return err
		}
		out.TimeZone = name
		b := &pgx.Batch{}
		b.Queue(`SELECT period::text, active, new FROM insight_contact_counts
			WHERE tenant_id = $1 AND grain = $2 AND period >= $3 AND period < $4 AND (active <> 0 OR new <> 0)
			ORDER BY period`, tenantID, string(g), from.time(), to.time())
		b.Queue(`SELECT source, count(*) FROM contacts WHERE tenant_id = $1 AND created_at >= $2 AND created_at < $3
			GROUP BY source ORDER BY count(*) DESC, source`, tenantID, instant(from, loc), instant(to, loc))
		br := tx.SendBatch(ctx, b)
		defer br.Close()
		rows, _ := br.Query()
		for rows.Next() {
			var p ContactPeriod
			if err := rows.Scan(&p.Period, &p.Active, &p.New); err != nil {
				rows.Close()
				return fmt.Errorf("insights: scan contact period: %w", err)
			}
			p.Returning = p.Active - p.New
			out.Periods = append(out.Periods, p)
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("insights: read contact periods: %w", err)
		}
		rows, _ = br.Query()
		for rows.Next() {
			var sc SourceCount
			if err := rows.Scan(&sc.Source, &sc.Contacts); err != nil {
				rows.Close()
				return fmt.Errorf("insights: scan sources: %w", err)
			}
			out.GainedBySource = append(out.GainedBySource, sc)
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("insights: read sources: %w", err)
		}
		return nil
	})
	return out, err
}
