package insights

import "time"

// inboundRow is one insight_inbound row.
type inboundRow struct {
	inboundObs
	day  date
	hour int16
}

// firstSeen is when a contact first wrote in, and that day in the zone it
// was counted in.
type firstSeen struct {
	at  time.Time
	day date
}

// periodRow says a contact wrote in during a period.
type periodRow struct {
	grain   byte
	period  date
	contact string
}

// The period grains contact activity is counted in: calendar days, ISO weeks
// (starting Monday) and calendar months, all in the tenant's zone.
const (
	GrainDay   byte = 'd'
	GrainWeek  byte = 'w'
	GrainMonth byte = 'm'
)

var grains = []byte{GrainDay, GrainWeek, GrainMonth}

// periodStart is the first day of the period of grain g holding d.
func periodStart(g byte, d date) date {
	t := d.time()
	switch g {
	case GrainWeek:
		off := (int(t.Weekday()) + 6) % 7 // Monday = 0
		return d - date(off)
	case GrainMonth:
		return dateOf(time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC))
	}
	return d
}

// contactDeltas turns first-inbound changes into "new" count deltas.
func (u *unit) contactDeltas() {
	for _, ch := range u.firstChange {
		for i, f := range ch {
			if f.at.IsZero() {
				continue
			}
			sign := int64(1)
			if i == 0 {
				sign = -1
			}
			for _, g := range grains {
				u.d.periods.add(periodKey{g, periodStart(g, f.day)}, sign, 0, 1)
			}
		}
	}
}
