package quality_test

import (
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/wabsp/wabsp/internal/metasim"
	"github.com/wabsp/wabsp/quality"
)

var (
	t1 = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	t2 = time.Date(2026, 3, 3, 10, 0, 0, 0, time.UTC)
)

// TestNumberReorderedAndDuplicated delivers the unflagging before the
// flagging it follows, then both again: the older event fills in the past
// without overwriting the newer state, and repeats add nothing.
func TestNumberReorderedAndDuplicated(t *testing.T) {
	e := newEnv(t)
	tenant := e.seedMain(t)
	flagged := metasim.QualityUpdateBody(t1, wabaMain, digitsMain, "FLAGGED", "TIER_10K", "")
	unflagged := metasim.QualityUpdateBody(t2, wabaMain, digitsMain, "UNFLAGGED", "TIER_10K", "")

	first := e.deliver(t, unflagged)
	second := e.deliver(t, flagged)
	e.deliver(t, unflagged, flagged) // redelivered bodies: dropped by the archive
	e.apply(t, second)               // retried applies: no effect
	e.apply(t, first)

	want := snapshot{
		State: []string{"number 102290129340398/15550783881 id=106540352242922 rating=RED status=CONNECTED name= throughput= tier=TIER_10K limit= flagged=-"},
		History: []string{
			"number event=FLAGGED old=- 2026-03-01T10:00:00 webhook",
			"number event=UNFLAGGED old=- 2026-03-03T10:00:00 webhook",
			"number legacy_tier=TIER_10K old=- 2026-03-01T10:00:00 late webhook",
			"number legacy_tier=TIER_10K old=- 2026-03-03T10:00:00 webhook",
			"number quality_rating=RED old=- 2026-03-01T10:00:00 webhook",
			"number status=CONNECTED old=- 2026-03-03T10:00:00 webhook",
			"number status=FLAGGED old=- 2026-03-01T10:00:00 late webhook",
		},
		Alerts: []string{"number_quality critical RED number open"},
		Events: []string{"quality.alert.opened", "quality.phone_number.changed", "quality.phone_number.changed", "quality.phone_number.changed"},
	}
	if diff := cmp.Diff(want, e.snapshot(t, tenant), cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("state (-want +got):\n%s", diff)
	}
}

// TestPollDisagreesWithMissedWebhook flags a number by webhook, misses the
// unflagging, and lets a poll find the truth: the poll records the changes
// with source poll, counts them as missed webhooks and resolves the alerts.
// The missed webhook then arrives late and only fills in the history.
func TestPollDisagreesWithMissedWebhook(t *testing.T) {
	e := newEnv(t)
	tenant := e.seedMain(t)
	e.deliver(t, metasim.QualityUpdateBody(t1, wabaMain, digitsMain, "FLAGGED", "TIER_10K", ""))

	pollAt := time.Date(2026, 3, 5, 9, 30, 0, 0, time.UTC)
	res, err := e.svc.ApplyNumberPoll(e.ctx, tenant, wabaMain, pollAt, []quality.NumberPoll{{
		PhoneNumberID: phoneMain, DisplayPhoneNumber: "+1 555-078-3881", VerifiedName: "Acme",
		QualityRating: "GREEN", Status: "CONNECTED", NameStatus: "APPROVED", Throughput: "STANDARD",
		MessagingLimitTier: "TIER_10K", MessagingLimit: "TIER_10K",
	}})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(quality.PollResult{Seen: 1, Changed: 5}, res); diff != "" {
		t.Errorf("poll result (-want +got):\n%s", diff)
	}
	for attr, want := range map[string]float64{"quality_rating": 1, "status": 1, "name_status": 0, "legacy_tier": 0} {
		if got := e.missed(t, quality.KindNumber, attr); got != want {
			t.Errorf("missed webhooks for %s = %v, want %v", attr, got, want)
		}
	}
	e.deliver(t, metasim.QualityUpdateBody(t2, wabaMain, digitsMain, "UNFLAGGED", "TIER_10K", ""))

	want := snapshot{
		State: []string{
			"account 102290129340398 limit=TIER_10K max_numbers= review= ban= connection= violation= restrictions= alerts=",
			"number 102290129340398/15550783881 id=106540352242922 rating=GREEN status=CONNECTED name=APPROVED throughput=STANDARD tier=TIER_10K limit=TIER_10K flagged=-",
		},
		History: []string{
			"account messaging_limit=TIER_10K old=- 2026-03-05T09:30:00 poll",
			"number event=FLAGGED old=- 2026-03-01T10:00:00 webhook",
			"number event=UNFLAGGED old=- 2026-03-03T10:00:00 webhook",
			"number legacy_tier=TIER_10K old=- 2026-03-01T10:00:00 webhook",
			"number messaging_limit=TIER_10K old=- 2026-03-05T09:30:00 poll",
			"number name_status=APPROVED old=- 2026-03-05T09:30:00 poll",
			"number quality_rating=GREEN old=RED 2026-03-05T09:30:00 poll",
			"number quality_rating=RED old=- 2026-03-01T10:00:00 webhook",
			"number status=CONNECTED old=- 2026-03-03T10:00:00 late webhook",
			"number status=CONNECTED old=FLAGGED 2026-03-05T09:30:00 poll",
			"number status=FLAGGED old=- 2026-03-01T10:00:00 webhook",
			"number throughput=STANDARD old=- 2026-03-05T09:30:00 poll",
		},
		Alerts: []string{"number_quality critical RED number resolved", "number_status warning FLAGGED number resolved"},
		Events: []string{
			"account.updated",
			"quality.alert.opened", "quality.alert.opened", "quality.alert.resolved", "quality.alert.resolved",
			"quality.phone_number.changed", "quality.phone_number.changed", "quality.phone_number.changed",
			"quality.phone_number.changed", "quality.phone_number.changed", "quality.phone_number.changed",
			"quality.phone_number.changed", "quality.phone_number.changed",
		},
	}
	if diff := cmp.Diff(want, e.snapshot(t, tenant), cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("state (-want +got):\n%s", diff)
	}
}

// templateBodies are the webhooks of Meta's three strikes for one template.
func templateBodies(t testing.TB, ref metasim.TemplateRef) [][]byte {
	t.Helper()
	sc := metasim.TemplatePausedThenDisabled(ref, metasim.StepOptions{Start: t1, Step: time.Hour})
	var out [][]byte
	for ev := range sc.Events {
		if ev.Body != nil {
			out = append(out, ev.Body)
		}
	}
	return out
}

// TestTemplateThreeStrikes plays a template through two pauses to being
// disabled: each pause opens an alert that the unpause resolves (the second
// critical, as the next strike disables), the RED score and the disabling
// stay open. Delivered in reverse order, the same final state results.
func TestTemplateThreeStrikes(t *testing.T) {
	e := newEnv(t)
	tenant := e.seedMain(t)
	ref := metasim.TemplateRef{WABAID: wabaMain, ID: 1689556908129840, Name: "spring_sale", Language: "en_US", Category: "MARKETING"}
	bodies := templateBodies(t, ref)
	for _, b := range bodies {
		e.deliver(t, b)
	}
	got := e.snapshot(t, tenant)
	wantState := []string{"template 1689556908129840 spring_sale/en_US status=DISABLED reason=DISABLED quality=RED category=MARKETING previous= pending=@- pauses=2"}
	wantAlerts := []string{
		"template_disabled critical DISABLED template open",
		"template_paused critical PAUSED template resolved",
		"template_paused warning PAUSED template resolved",
		"template_quality_red critical RED template open",
	}
	if diff := cmp.Diff(wantState, got.State); diff != "" {
		t.Errorf("state (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(wantAlerts, got.Alerts); diff != "" {
		t.Errorf("alerts (-want +got):\n%s", diff)
	}
	statuses := e.lines(t, `SELECT value || '@' || to_char(event_time AT TIME ZONE 'UTC', 'DD"T"HH24') FROM quality_history
		WHERE tenant_id = $1 AND attribute = 'status'`, tenant)
	wantStatuses := []string{"APPROVED@01T13", "APPROVED@01T16", "DISABLED@01T18", "PAUSED@01T12", "PAUSED@01T15"}
	if diff := cmp.Diff(wantStatuses, statuses); diff != "" {
		t.Errorf("status history (-want +got):\n%s", diff)
	}

	e.reset(t)
	slices.Reverse(bodies)
	e.deliver(t, bodies...)
	if diff := cmp.Diff(wantState, e.snapshot(t, tenant).State); diff != "" {
		t.Errorf("state after reverse delivery (-want +got):\n%s", diff)
	}
}
