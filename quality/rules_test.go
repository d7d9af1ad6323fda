package quality

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wabsp/wabsp/internal/apperr"
)

func day(d, h int) time.Time { return time.Date(2026, 3, d, h, 0, 0, 0, time.UTC) }

func ratings(pairs ...any) []RatingAt {
	var out []RatingAt
	for i := 0; i < len(pairs); i += 2 {
		r := pairs[i].(string)
		out = append(out, RatingAt{Rating: r, Label: RatingLabel(r), At: pairs[i+1].(time.Time)})
	}
	return out
}

func TestLegacyFlag(t *testing.T) {
	since := day(1, 10)
	recovered := day(3, 8)
	tests := map[string]struct {
		status  string
		ratings []RatingAt
		tier    string
		now     time.Time
		want    *LegacyFlag
	}{
		"not flagged": {status: "CONNECTED", ratings: ratings(Red, since), tier: "TIER_10K", now: day(2, 0)},
		"still low": {
			status: StatusFlagged, ratings: ratings(Green, day(1, 0), Red, since), tier: "TIER_10K", now: day(2, 10),
			want: &LegacyFlag{Since: since, Deadline: day(8, 10), DaysLeft: 6, QualitySince: ratings(Green, day(1, 0), Red, since),
				CurrentQuality: Red, ProjectedOutcome: OutcomeLowerTier, CurrentTier: "TIER_10K", ProjectedTier: "TIER_1K"},
		},
		"recovered to medium": {
			status: StatusFlagged, ratings: ratings(Red, since, Yellow, recovered), tier: "TIER_1K", now: day(3, 9),
			want: &LegacyFlag{Since: since, Deadline: day(8, 10), DaysLeft: 6, QualitySince: ratings(Red, since, Yellow, recovered),
				CurrentQuality: Yellow, MediumOrHighSince: &recovered, ProjectedOutcome: OutcomeSameTier, CurrentTier: "TIER_1K", ProjectedTier: "TIER_1K"},
		},
		"relapsed after recovering": {
			status: StatusFlagged, ratings: ratings(Red, since, Green, day(2, 0), Red, day(4, 0)), tier: "TIER_250", now: day(9, 0),
			want: &LegacyFlag{Since: since, Deadline: day(8, 10), DaysLeft: 0, QualitySince: ratings(Red, since, Green, day(2, 0), Red, day(4, 0)),
				CurrentQuality: Red, ProjectedOutcome: OutcomeLowerTier, CurrentTier: "TIER_250", ProjectedTier: "TIER_50"},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got := legacyFlag(tc.status, &since, tc.ratings, tc.tier, tc.now)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestRatingsSince(t *testing.T) {
	all := ratings(Green, day(1, 0), Yellow, day(2, 0), Red, day(3, 0), Green, day(5, 0))
	tests := map[string]struct {
		since time.Time
		want  []RatingAt
	}{
		"between changes":    {since: day(3, 12), want: all[2:]},
		"on a change":        {since: day(2, 0), want: all[1:]},
		"before any":         {since: day(1, 0).Add(-time.Hour), want: all},
		"after the last one": {since: day(6, 0), want: all[3:]},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, ratingsSince(all, tc.since)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestRollDays(t *testing.T) {
	sp, err := time.LoadLocation("America/Sao_Paulo")
	if err != nil {
		t.Fatal(err)
	}
	local := func(d, h int) time.Time { return time.Date(2026, 3, d, h, 0, 0, 0, sp) }
	tests := map[string]struct {
		ratings []RatingAt
		first   time.Time
		days    int
		want    []Day
	}{
		"lowest of the day, carried over quiet days": {
			ratings: ratings(Green, local(1, 9), Red, local(2, 10), Yellow, local(2, 14), Green, local(4, 23)),
			first:   local(1, 0), days: 5,
			want: []Day{
				{Date: "2026-03-01", Lowest: Green, LowestLabel: "High", Last: Green, Changes: 1},
				{Date: "2026-03-02", Lowest: Red, LowestLabel: "Low", Last: Yellow, Changes: 2},
				{Date: "2026-03-03", Lowest: Yellow, LowestLabel: "Medium", Last: Yellow},
				{Date: "2026-03-04", Lowest: Yellow, LowestLabel: "Medium", Last: Green, Changes: 1},
				{Date: "2026-03-05", Lowest: Green, LowestLabel: "High", Last: Green},
			},
		},
		"day boundary is the tenant's midnight, not UTC's": {
			// 01:00 UTC on the 3rd is still the 2nd in São Paulo.
			ratings: ratings(Green, local(1, 0), Red, time.Date(2026, 3, 3, 1, 0, 0, 0, time.UTC)),
			first:   local(2, 0), days: 2,
			want: []Day{
				{Date: "2026-03-02", Lowest: Red, LowestLabel: "Low", Last: Red, Changes: 1},
				{Date: "2026-03-03", Lowest: Red, LowestLabel: "Low", Last: Red},
			},
		},
		"no data before the first observation, unknown never lowest": {
			ratings: ratings(Unknown, local(2, 8), Yellow, local(2, 9)),
			first:   local(1, 0), days: 2,
			want: []Day{
				{Date: "2026-03-01"},
				{Date: "2026-03-02", Lowest: Yellow, LowestLabel: "Medium", Last: Yellow, Changes: 2},
			},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got := rollDays(tc.ratings, tc.first, tc.first.AddDate(0, 0, tc.days))
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestDayRange(t *testing.T) {
	today := time.Date(2026, 3, 10, 15, 0, 0, 0, time.UTC)
	date := func(m time.Month, d int) time.Time { return time.Date(2026, m, d, 0, 0, 0, 0, time.UTC) }
	tests := map[string]struct {
		from, to    time.Time
		first, last time.Time
		badField    string
	}{
		"default is the last 30 days": {first: date(2, 9), last: date(3, 10)},
		"explicit range":              {from: date(1, 1), to: date(1, 31), first: date(1, 1), last: date(1, 31)},
		"a year back is retained":     {from: date(3, 10).AddDate(-1, 0, 0), first: date(3, 10).AddDate(-1, 0, 0), last: date(3, 10)},
		"beyond retention":            {from: date(3, 10).AddDate(-2, 0, 0), badField: "from"},
		"from after to":               {from: date(3, 5), to: date(3, 4), badField: "from"},
		"to in the future":            {to: date(3, 11), badField: "to"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			first, last, err := dayRange(tc.from, tc.to, today, 400)
			if tc.badField != "" {
				e, ok := apperr.As(err)
				if !ok || e.Code != apperr.Invalid || e.Fields[tc.badField] == "" {
					t.Fatalf("err = %v, want invalid %s", err, tc.badField)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !first.Equal(tc.first) || !last.Equal(tc.last) {
				t.Errorf("range = %s..%s, want %s..%s", first, last, tc.first, tc.last)
			}
		})
	}
}

func TestTiers(t *testing.T) {
	tests := map[string]struct{ in, norm, lower string }{
		"string tier":       {"TIER_10K", "TIER_10K", "TIER_1K"},
		"number 2000":       {"2000", "TIER_2K", "TIER_1K"},
		"unlimited word":    {"UNLIMITED", "TIER_UNLIMITED", "TIER_100K"},
		"minus one":         {"-1", "TIER_UNLIMITED", "TIER_100K"},
		"lowest stays":      {"TIER_50", "TIER_50", "TIER_50"},
		"unknown is kept":   {"TIER_NOT_SET", "TIER_NOT_SET", "TIER_NOT_SET"},
		"empty stays empty": {"", "", ""},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := normTier(tc.in); got != tc.norm {
				t.Errorf("normTier(%q) = %q, want %q", tc.in, got, tc.norm)
			}
			if got := lowerTier(normTier(tc.in)); got != tc.lower {
				t.Errorf("lowerTier(%q) = %q, want %q", tc.norm, got, tc.lower)
			}
		})
	}
}

func TestPortfolio(t *testing.T) {
	tests := map[string]struct {
		limit string
		low   []string
		want  Portfolio
	}{
		"new portfolio": {limit: "TIER_250", want: Portfolio{WABAID: "1", Limit: "TIER_250", NextLimit: "TIER_2K", Path: pathTo2K, QualityEligible: true, Blockers: []string{}}},
		"scaling blocked by a red number": {limit: "TIER_10K", low: []string{"number +1555"},
			want: Portfolio{WABAID: "1", Limit: "TIER_10K", NextLimit: "TIER_100K", Path: pathAutomatic, Blockers: []string{"number +1555"}}},
		"top":     {limit: "TIER_UNLIMITED", want: Portfolio{WABAID: "1", Limit: "TIER_UNLIMITED", QualityEligible: true, Blockers: []string{}}},
		"unknown": {limit: "", want: Portfolio{WABAID: "1", QualityEligible: true, Blockers: []string{}}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, portfolioOf("1", tc.limit, tc.low)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
