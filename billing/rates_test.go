package billing_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/wabsp/wabsp/billing"
	"github.com/wabsp/wabsp/internal/apperr"
)

const rateHeader = "effective_from,effective_to,currency,market,category,tier_from,rate\n"

func TestImportRatesRejectsBadRows(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name string
		csv  string
		want map[string]string
	}{
		{name: "negative rate", csv: "2027-01-01,,USD,Brazil,marketing,0,0.07\n2027-01-01,,USD,Brazil,utility,0,-0.01\n",
			want: map[string]string{"line 3": "rate must not be negative"}},
		{name: "malformed values", csv: "2027-13-01,,USD,Brazil,marketing,0,abc\n",
			want: map[string]string{"line 2": "effective_from is not a date (YYYY-MM-DD); rate is not a decimal with at most 6 decimals"}},
		{name: "overlap within the load", csv: "2027-01-01,2027-02-15,USD,Brazil,marketing,0,0.07\n2027-02-01,,USD,Brazil,marketing,0,0.08\n",
			want: map[string]string{
				"line 2": "effective range overlaps the set starting 2027-02-01",
				"line 3": "effective range overlaps the set starting 2027-01-01, which runs to 2027-02-15",
			}},
		{name: "overlap with a stored card", csv: "2026-09-01,2026-10-15,USD,North America,marketing,0,0.02\n",
			want: map[string]string{"line 2": "effective range overlaps the set starting 2026-10-01"}},
		{name: "unknown market and category", csv: "2027-01-01,,USD,Atlantis,marketing,0,0.07\n2027-01-01,,USD,Brazil,voice,0,0.07\n",
			want: map[string]string{"line 2": `market "Atlantis" is not a rate-card market`, "line 3": `category "voice" is not a rate-card category`}},
		{name: "tiers on marketing", csv: "2027-01-01,,USD,Brazil,marketing,0,0.07\n2027-01-01,,USD,Brazil,marketing,1000,0.06\n",
			want: map[string]string{"line 3": "marketing has no volume tiers"}},
		{name: "tiers without a list rate", csv: "2027-01-01,,USD,Brazil,utility,1000,0.006\n",
			want: map[string]string{"line 2": "a set of tiers needs a tier_from 0 row"}},
		{name: "duplicate rows", csv: "2027-01-01,,USD,Brazil,utility,0,0.006\n2027-01-01,,USD,Brazil,utility,0,0.007\n",
			want: map[string]string{"line 3": "duplicates line 2"}},
		{name: "end before start", csv: "2027-01-01,2026-12-01,USD,Brazil,utility,0,0.006\n",
			want: map[string]string{"line 2": "effective_to must be after effective_from"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rates, err := billing.ParseRatesCSV(strings.NewReader(rateHeader + tt.csv))
			if err == nil {
				_, err = e.billing.ImportRates(e.ctx, billing.SystemActor("test"), billing.RateImport{Rates: rates})
			}
			ae, ok := apperr.As(err)
			if !ok || ae.Code != apperr.Invalid {
				t.Fatalf("got %v, want an invalid_request error", err)
			}
			if diff := cmp.Diff(tt.want, ae.Fields); diff != "" {
				t.Errorf("row errors (-want +got):\n%s", diff)
			}
		})
	}
	before, err := e.billing.Rates(e.ctx, "USD")
	if err != nil {
		t.Fatal(err)
	}
	if len(before) != 308 {
		t.Errorf("rejected loads changed the rates: %d rows in force, want the 308 seeded", len(before))
	}
}

func TestImportRatesIdempotencyAndVersions(t *testing.T) {
	e := newEnv(t)
	load := func(key, csv string) (billing.RateVersion, error) {
		t.Helper()
		rates, err := billing.ParseRatesCSV(strings.NewReader(rateHeader + csv))
		if err != nil {
			t.Fatal(err)
		}
		return e.billing.ImportRates(e.ctx, billing.SystemActor("test"), billing.RateImport{IdempotencyKey: key, Rates: rates})
	}
	tiered := "2027-01-01,,USD,Rest of Africa,utility,0,0.0040\n2027-01-01,,USD,Rest of Africa,utility,100000,0.0038\n"
	first, err := load("k1", tiered)
	if err != nil {
		t.Fatal(err)
	}
	again, err := load("k1", tiered)
	if err != nil || again.ID != first.ID || !again.Replayed {
		t.Fatalf("replay: got %+v, %v; want version %d replayed", again, err, first.ID)
	}
	if _, err := load("k1", "2027-01-01,,USD,Rest of Africa,utility,0,0.0041\n"); !apperr.Is(err, apperr.Conflict) {
		t.Fatalf("reused key with other rates: got %v, want conflict", err)
	}
	// A new version of the same set replaces it whole: the tier goes away.
	second, err := load("k2", "2027-01-01,,USD,Rest of Africa,utility,0,0.0039\n")
	if err != nil || second.ID <= first.ID {
		t.Fatalf("second version: %+v, %v", second, err)
	}
	rates, err := e.billing.Rates(e.ctx, "USD")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range rates {
		if r.Market == "Rest of Africa" && r.Category == "utility" && r.EffectiveFrom.Year() == 2027 {
			got = append(got, r.Rate.String())
		}
	}
	if diff := cmp.Diff([]string{"0.0039"}, got); diff != "" {
		t.Errorf("2027 Rest of Africa utility (-want +got):\n%s", diff)
	}
}

func TestRatesCSVRoundTrip(t *testing.T) {
	e := newEnv(t)
	rates, err := e.billing.Rates(e.ctx, "USD")
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := billing.WriteRatesCSV(&buf, rates); err != nil {
		t.Fatal(err)
	}
	back, err := billing.ParseRatesCSV(&buf)
	if err != nil {
		t.Fatal(err)
	}
	ignore := cmpopts.IgnoreFields(billing.Rate{}, "Line", "Version")
	if diff := cmp.Diff(rates, back, ignore); diff != "" {
		t.Errorf("round trip (-exported +read back):\n%s", diff)
	}
	verified := 0
	for _, r := range rates {
		if r.Verified {
			verified++
		}
	}
	if verified != 2 {
		t.Errorf("%d verified rates, want the 2 checked against Meta's page (Brazil utility and authentication, 2026-07-01)", verified)
	}
}
