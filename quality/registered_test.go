package quality_test

import (
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/wabsp/wabsp/internal/metasim"
	"github.com/wabsp/wabsp/quality"
)

// A registered number is listed at once with unknown values; registering
// again changes nothing, and neither the seed nor a repeat of it overwrites
// what a webhook or a poll reported.
func TestTrackRegistered(t *testing.T) {
	registered := quality.RegisteredNumber{WABAID: wabaMain, PhoneNumberID: phoneMain,
		DisplayPhoneNumber: "+" + digitsMain, VerifiedName: "Main"}
	tests := []struct {
		name string
		// before is what Meta reported ahead of the registration.
		before func(t *testing.T, e *env, tenant uuid.UUID)
		// after is what Meta reports once the number is registered.
		after                     func(t *testing.T, e *env, tenant uuid.UUID)
		wantVia, wantRating, want string
	}{
		{name: "fresh", wantVia: quality.SourceRegistered, wantRating: "", want: "+" + digitsMain},
		{name: "poll fills the values", after: func(t *testing.T, e *env, tenant uuid.UUID) { e.poll(t, tenant, t1, "GREEN", "CONNECTED") },
			wantVia: quality.SourceRegistered, wantRating: "GREEN", want: "+1 555-078-3881"},
		{name: "known from a webhook first", before: func(t *testing.T, e *env, _ uuid.UUID) {
			e.deliver(t, metasim.QualityUpdateBody(time.Date(2026, 3, 2, 11, 0, 0, 0, time.UTC), wabaMain, digitsMain, "FLAGGED", "TIER_10K", ""))
		}, wantVia: quality.SourceWebhook, wantRating: "RED", want: "+" + digitsMain},
		{name: "known from a poll first", before: func(t *testing.T, e *env, tenant uuid.UUID) { e.poll(t, tenant, t1, "YELLOW", "CONNECTED") },
			wantVia: quality.SourcePoll, wantRating: "YELLOW", want: "+1 555-078-3881"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			tenant := e.seedMain(t)
			if tc.before != nil {
				tc.before(t, e, tenant)
			}
			first, err := e.svc.TrackRegistered(e.ctx, tenant, registered, e.now)
			if err != nil {
				t.Fatal(err)
			}
			if tc.after != nil {
				tc.after(t, e, tenant)
			}
			again, err := e.svc.TrackRegistered(e.ctx, tenant, registered, e.now.Add(time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			list, err := e.svc.ListNumbers(e.ctx, tenant, quality.NumberFilter{}, quality.Page{})
			if err != nil {
				t.Fatal(err)
			}
			if len(list.Items) != 1 {
				t.Fatalf("numbers = %d, want 1", len(list.Items))
			}
			n := list.Items[0]
			if n.ID != first.ID || n.ID != again.ID || n.DiscoveredVia != tc.wantVia || n.QualityRating.Value != tc.wantRating ||
				n.DisplayPhoneNumber != tc.want || n.PhoneNumberID != phoneMain || !n.Onboarded {
				t.Errorf("number = %+v", n.Number)
			}
			if tc.after == nil && !again.UpdatedAt.Equal(first.UpdatedAt) {
				t.Errorf("registering again touched the row: updated_at %v -> %v", first.UpdatedAt, again.UpdatedAt)
			}
		})
	}
}

func TestTrackRegisteredRefusesNumbersItCannotKey(t *testing.T) {
	e := newEnv(t)
	tenant := e.seedMain(t)
	for name, n := range map[string]quality.RegisteredNumber{
		"no WABA":   {PhoneNumberID: phoneMain, DisplayPhoneNumber: "+" + digitsMain},
		"no digits": {WABAID: wabaMain, PhoneNumberID: phoneMain, DisplayPhoneNumber: "+"},
	} {
		if _, err := e.svc.TrackRegistered(e.ctx, tenant, n, e.now); err == nil {
			t.Errorf("%s: tracked", name)
		}
	}
}
