package webhooks_test

import (
	"testing"
	"time"

	"github.com/wabsp/wabsp/webhooks"
)

func TestEventTimeTakesOnlyPlausibleSeconds(t *testing.T) {
	received := time.Date(2026, 11, 21, 9, 30, 0, 0, time.FixedZone("X", 3600))
	tests := []struct {
		name string
		sec  int64
		want time.Time
	}{
		{"Meta's time", 1_750_030_000, time.Unix(1_750_030_000, 0).UTC()},
		{"first second of 2000", 946_684_800, time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)},
		{"absent", 0, received.UTC()},
		{"milliseconds, not seconds", 1_750_030_000_000, received.UTC()},
		{"before 2000", 946_684_799, received.UTC()},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := webhooks.EventTime(tc.sec, received); !got.Equal(tc.want) || got.Location() != time.UTC {
				t.Fatalf("EventTime(%d) = %s, want %s in UTC", tc.sec, got, tc.want)
			}
		})
	}
}
