package billing

import (
	"testing"
	"time"
)

func TestMarketOf(t *testing.T) {
	rows, err := seedMarkets()
	if err != nil {
		t.Fatal(err)
	}
	table := newMarketTable(rows)
	d := func(s string) time.Time { v, _ := time.Parse(DateLayout, s); return v }
	tests := []struct {
		name, recipient, userID, day, want string
	}{
		{name: "united states", recipient: "16505551234", day: "2026-10-05", want: "North America"},
		{name: "dominican republic by area code", recipient: "18095551234", day: "2026-10-05", want: "Rest of Latin America"},
		{name: "bahamas by area code", recipient: "12425551234", day: "2026-10-05", want: "Other"},
		{name: "bangladesh before it left its region", recipient: "8801711000000", day: "2026-09-30", want: "Rest of Asia Pacific"},
		{name: "bangladesh from 2026-10-01", recipient: "8801711000000", day: "2026-10-01", want: "Bangladesh"},
		{name: "kazakhstan before its own market is russia", recipient: "77011234567", day: "2026-09-30", want: "Russia"},
		{name: "kazakhstan from 2026-10-01", recipient: "77011234567", day: "2026-10-01", want: "Kazakhstan"},
		{name: "hong kong before 2026-07-01", recipient: "85291234567", day: "2026-06-30", want: "Rest of Asia Pacific"},
		{name: "hong kong from 2026-07-01", recipient: "85291234567", day: "2026-07-01", want: "Hong Kong"},
		{name: "zimbabwe before 2025-10-01", recipient: "263771234567", day: "2025-09-30", want: "Other"},
		{name: "zimbabwe after", recipient: "263771234567", day: "2025-10-01", want: "Rest of Africa"},
		{name: "isle of man longest prefix", recipient: "447624123456", day: "2026-10-05", want: "Other"},
		{name: "united kingdom shares 44", recipient: "447700900123", day: "2026-10-05", want: "United Kingdom"},
		{name: "morocco over western sahara", recipient: "212612345678", day: "2026-10-05", want: "Morocco"},
		{name: "formatted number", recipient: "+55 (11) 91111-0001", day: "2026-10-05", want: "Brazil"},
		{name: "unlisted code", recipient: "8001234", day: "2026-10-05", want: "Other"},
		{name: "business-scoped id only", userID: "BR.13491208655302741918", day: "2026-10-05", want: "Brazil"},
		{name: "business-scoped id of an unlisted country", userID: "ZZ.1", day: "2026-10-05", want: "Other"},
		{name: "nothing to go by", day: "2026-10-05", want: "Unknown"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := table.marketOf(tt.recipient, tt.userID, d(tt.day)); got != tt.want {
				t.Errorf("marketOf(%q, %q, %s) = %q, want %q", tt.recipient, tt.userID, tt.day, got, tt.want)
			}
		})
	}
}
