package insights

import (
	"math"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/google/uuid"
)

func TestBucketOf(t *testing.T) {
	tests := []struct {
		name          string
		s, want, wide int32
	}{
		{"zero", 0, 0, 1},
		{"below 100 is exact", 99, 99, 1},
		{"100", 100, 100, 10},
		{"three digits", 789, 780, 10},
		{"four digits", 1299, 1200, 100},
		{"five digits", 55200, 55000, 1000},
		{"a week", 604800, 600000, 10000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := bucketOf(tt.s); got != tt.want {
				t.Errorf("bucketOf(%d) = %d, want %d", tt.s, got, tt.want)
			}
			if got := bucketWidth(tt.want); got != tt.wide {
				t.Errorf("bucketWidth(%d) = %d, want %d", tt.want, got, tt.wide)
			}
		})
	}
}

func TestCompare(t *testing.T) {
	tests := []struct {
		name           string
		x1, n1, x2, n2 int64
		want           Comparison
		ok             bool
	}{
		{"empty control", 0, 0, 5, 10, Comparison{}, false},
		{"no variation", 0, 50, 0, 40, Comparison{PValue: 1}, true},
		{"equal rates", 30, 100, 30, 100,
			Comparison{CILow: -0.12702, CIHigh: 0.12702, PValue: 1}, true},
		{"clear difference", 60, 200, 100, 200,
			Comparison{Difference: 0.2, CILow: 0.10600, CIHigh: 0.29400, Z: 4.08248, PValue: 4.4557e-5, Significant: true}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := compare(tt.x1, tt.n1, tt.x2, tt.n2)
			if ok != tt.ok {
				t.Fatalf("ok = %v, want %v", ok, tt.ok)
			}
			if diff := cmp.Diff(tt.want, got, cmpopts.EquateApprox(0, 1e-5)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestWalk(t *testing.T) {
	base := time.Date(2026, 10, 5, 12, 0, 0, 0, time.UTC)
	hits := func(steps ...int16) []hitRow {
		out := make([]hitRow, len(steps))
		for i, s := range steps {
			out[i] = hitRow{step: s, at: base.Add(time.Duration(i) * time.Minute)}
		}
		return out
	}
	tests := []struct {
		name            string
		hits            []hitRow
		ok              bool
		furthest, loops int
		last            int
		loopSteps       []int
	}{
		{"never enters", hits(2, 3), false, 0, 0, 0, nil},
		{"in order", hits(1, 2, 3), true, 3, 0, 3, nil},
		{"hits before entering are ignored", hits(2, 1, 2), true, 2, 0, 2, nil},
		{"a jump ahead is ignored", hits(1, 3, 2), true, 2, 0, 2, nil},
		{"repeats are not loops", hits(1, 1, 2, 2), true, 2, 0, 2, nil},
		{"back to an earlier step is a loop", hits(1, 2, 3, 1, 2), true, 3, 1, 2, []int{1}},
		{"two loops", hits(1, 2, 1, 2, 1), true, 2, 2, 1, []int{1, 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, ok := walk(tt.hits)
			if ok != tt.ok {
				t.Fatalf("ok = %v, want %v", ok, tt.ok)
			}
			got := []any{p.furthest, p.loops, p.lastStep, p.loopSteps}
			want := []any{tt.furthest, tt.loops, tt.last, tt.loopSteps}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestBusinessHoursBetween(t *testing.T) {
	sp, _ := time.LoadLocation("America/Sao_Paulo")
	ny, _ := time.LoadLocation("America/New_York")
	weekdays := BusinessHours{}
	for _, d := range []string{"monday", "tuesday", "wednesday", "thursday", "friday"} {
		weekdays.Intervals = append(weekdays.Intervals, Interval{Day: d, Open: "09:00", Close: "18:00"})
	}
	split := BusinessHours{Intervals: []Interval{{"monday", "09:00", "12:00"}, {"monday", "13:00", "24:00"}}}
	at := func(s string) time.Time { t, _ := time.Parse(time.RFC3339, s); return t }
	tests := []struct {
		name string
		h    BusinessHours
		loc  *time.Location
		a, b string
		want time.Duration
	}{
		{"inside", weekdays, sp, "2026-10-05T12:00:00Z", "2026-10-05T12:02:00Z", 2 * time.Minute},
		{"overnight", weekdays, sp, "2026-10-05T20:50:00Z", "2026-10-06T12:10:00Z", 20 * time.Minute},
		{"over a weekend", weekdays, sp, "2026-10-09T20:00:00Z", "2026-10-12T13:00:00Z", 2 * time.Hour},
		{"closed all the way", weekdays, sp, "2026-10-10T12:00:00Z", "2026-10-11T12:00:00Z", 0},
		{"lunch break and midnight close", split, sp, "2026-10-05T14:00:00Z", "2026-10-06T04:00:00Z", 12 * time.Hour},
		// New York leaves daylight saving on Sunday 2026-11-01: Monday
		// 09:00 local is 14:00 UTC, an hour later than the Friday before.
		{"daylight saving ends", weekdays, ny, "2026-10-30T21:30:00Z", "2026-11-02T14:30:00Z", time.Hour},
		{"backwards", weekdays, sp, "2026-10-05T13:00:00Z", "2026-10-05T12:00:00Z", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.h.between(at(tt.a), at(tt.b), tt.loc); got != tt.want {
				t.Errorf("between = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestAssign(t *testing.T) {
	e := Experiment{salt: "s1", Variants: []Variant{{"a", 1}, {"b", 3}}}
	other := Experiment{salt: "s2", Variants: e.Variants}
	counts := map[string]int{}
	moved := 0
	for i := range 20000 {
		c := uuid.NewSHA1(uuid.NameSpaceOID, []byte{byte(i), byte(i >> 8)}).String()
		v := e.Assign(c)
		if e.Assign(c) != v {
			t.Fatalf("assignment of %s is not stable", c)
		}
		if other.Assign(c) != v {
			moved++
		}
		counts[v]++
	}
	if share := float64(counts["b"]) / 20000; math.Abs(share-0.75) > 0.02 {
		t.Errorf("variant b got %.3f of contacts, want 0.75 ± 0.02", share)
	}
	// Independent salts reassign about 2·0.25·0.75 = 37.5% of contacts.
	if share := float64(moved) / 20000; math.Abs(share-0.375) > 0.03 {
		t.Errorf("another salt moved %.3f of contacts, want 0.375 ± 0.03", share)
	}
}

func TestPeriodStart(t *testing.T) {
	d := func(s string) date { t, _ := time.Parse(time.DateOnly, s); return dateOf(t) }
	tests := []struct {
		name  string
		grain byte
		day   string
		want  string
	}{
		{"day", GrainDay, "2026-10-07", "2026-10-07"},
		{"week from a Wednesday", GrainWeek, "2026-10-07", "2026-10-05"},
		{"week from a Sunday", GrainWeek, "2026-10-11", "2026-10-05"},
		{"week from a Monday", GrainWeek, "2026-10-05", "2026-10-05"},
		{"month", GrainMonth, "2026-10-31", "2026-10-01"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := periodStart(tt.grain, d(tt.day)).String(); got != tt.want {
				t.Errorf("periodStart = %s, want %s", got, tt.want)
			}
		})
	}
}
