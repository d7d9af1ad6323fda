package webhooks_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wabsp/wabsp/webhooks"
)

func TestIntakeHealth(t *testing.T) {
	e := newEnv(t)
	e.seedMain(t)
	archiveWorld(t, e)
	at := func(h int) time.Time { return time.Date(2026, 3, 1, h, 0, 0, 0, time.UTC) }
	hours := func(from int, n ...int) []webhooks.HourCount {
		out := []webhooks.HourCount{}
		for i, c := range n {
			out = append(out, webhooks.HourCount{Hour: at(from + i), Bodies: c})
		}
		return out
	}
	tests := []struct {
		name     string
		from, to time.Time
		want     webhooks.IntakeHealth
	}{
		{"whole world", at(9), at(14).Add(30 * time.Minute),
			webhooks.IntakeHealth{Hours: hours(9, 0, 1, 1, 1, 1, 1), Received: 5, Poison: 1, OrphanChanges: 1}},
		{"before the poison", at(10), at(11).Add(59 * time.Minute),
			webhooks.IntakeHealth{Hours: hours(10, 1, 1), Received: 2, OrphanChanges: 1}},
		{"quiet hours", at(20), at(21), webhooks.IntakeHealth{Hours: hours(20, 0, 0), OrphanChanges: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := e.svc.IntakeHealth(e.ctx, tt.from, tt.to)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("intake health (-want +got):\n%s", diff)
			}
		})
	}
}
