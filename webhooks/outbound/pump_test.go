package outbound

import (
	"context"
	"sort"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/wabsp/wabsp/internal/events"
	"github.com/wabsp/wabsp/tenants/tenantstest"
)

// deliveryKeys lists (subscription, message id) of every delivery.
func deliveryKeys(t *testing.T, e env) []string {
	t.Helper()
	rows, err := e.db.Query(context.Background(),
		`SELECT subscription_id::text || ' ' || message_id || ' ' || event_type FROM webhook_deliveries`)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(keys)
	return keys
}

func lastEventID(t *testing.T, e env) int64 {
	t.Helper()
	var id int64
	if err := e.db.QueryRow(context.Background(), `SELECT max(id) FROM domain_events`).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

func TestPumpFansOutToMatchingSubscriptions(t *testing.T) {
	e := newEnv(t)
	acme, other := e.tenant(t, "Acme"), e.tenant(t, "Other")
	partner := tenantstest.MustCreatePartner(t, e.tenants, "Agency", acme)
	quality, _ := e.subscribe(t, TenantOwner(acme), "https://a.example.com/", "quality.*")
	optins, _ := e.subscribe(t, TenantOwner(acme), "https://b.example.com/", events.OptinChanged)
	agency, _ := e.subscribe(t, PartnerOwner(partner.ID), "https://agency.example.com/", "*")
	stranger, _ := e.subscribe(t, TenantOwner(other), "https://c.example.com/", "*")

	e.emit(t, acme, events.QualityAlertOpened, "123", map[string]string{"alert_id": "a1"})
	first := lastEventID(t, e)
	e.emit(t, acme, events.OptinChanged, "wa:1", map[string]string{"action": "opt_out"})
	second := lastEventID(t, e)

	res := e.pumpAll(t)
	if res.Events != 2 || res.Deliveries != 4 {
		t.Errorf("pumped %d events into %d deliveries, want 2 into 4", res.Events, res.Deliveries)
	}
	want := []string{
		quality.ID.String() + " " + eventMessageID(first) + " " + events.QualityAlertOpened,
		optins.ID.String() + " " + eventMessageID(second) + " " + events.OptinChanged,
		agency.ID.String() + " " + eventMessageID(first) + " " + events.QualityAlertOpened,
		agency.ID.String() + " " + eventMessageID(second) + " " + events.OptinChanged,
	}
	sort.Strings(want)
	if diff := cmp.Diff(want, deliveryKeys(t, e)); diff != "" {
		t.Errorf("deliveries (-want +got):\n%s", diff)
	}
	for _, id := range res.Woken {
		if id == stranger.ID {
			t.Error("another tenant's subscription was woken")
		}
	}

	// A pump that runs again over the same events creates nothing.
	if _, err := e.db.Exec(context.Background(), `UPDATE webhook_pump SET last_event_id = 0`); err != nil {
		t.Fatal(err)
	}
	if again := e.pumpAll(t); again.Deliveries != 0 {
		t.Errorf("re-pumping created %d deliveries", again.Deliveries)
	}
}

func TestPumpSkipsEventsOlderThanTheSubscription(t *testing.T) {
	e := newEnv(t)
	acme := e.tenant(t, "Acme")
	e.emit(t, acme, events.AccountUpdated, "waba", map[string]string{})
	time.Sleep(10 * time.Millisecond) // created_at must differ from the subscription's
	e.subscribe(t, TenantOwner(acme), "https://a.example.com/", "*")
	if res := e.pumpAll(t); res.Deliveries != 0 {
		t.Errorf("an event older than the subscription made %d deliveries", res.Deliveries)
	}
}

// An event whose transaction commits after a later id was pumped is picked
// up from the gaps.
func TestPumpPicksUpLateCommits(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	acme := e.tenant(t, "Acme")
	sub, _ := e.subscribe(t, TenantOwner(acme), "https://a.example.com/", "*")

	slow, err := e.db.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Rollback(ctx) //nolint:errcheck // committed below
	if _, err := events.Emit(ctx, slow, events.Event{TenantID: acme, Type: events.OptinChanged, OccurredAt: time.Now(), Data: 1}); err != nil {
		t.Fatal(err)
	}
	e.emit(t, acme, events.AccountUpdated, "waba", map[string]string{})
	if res := e.pumpAll(t); res.Deliveries != 1 {
		t.Fatalf("first pump made %d deliveries, want 1", res.Deliveries)
	}
	if err := slow.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if res := e.pumpAll(t); res.Deliveries != 1 || len(res.Woken) != 1 || res.Woken[0] != sub.ID {
		t.Errorf("second pump = %+v, want the late event delivered", res)
	}
	var gaps int
	if err := e.db.QueryRow(ctx, `SELECT count(*) FROM webhook_pump_gaps`).Scan(&gaps); err != nil || gaps != 0 {
		t.Errorf("gaps left: %d, %v", gaps, err)
	}
}

func TestDueSkipsRestingEndpoints(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	acme := e.tenant(t, "Acme")
	ready, _ := e.subscribe(t, TenantOwner(acme), "https://a.example.com/", "*")
	resting, _ := e.subscribe(t, TenantOwner(acme), "https://b.example.com/", "*")
	time.Sleep(10 * time.Millisecond)
	e.emit(t, acme, events.AccountUpdated, "waba", map[string]string{})
	e.pumpAll(t)
	if _, err := e.db.Exec(ctx, `UPDATE webhook_subscriptions SET retry_at = now() + interval '1 hour' WHERE id = $1`, resting.ID); err != nil {
		t.Fatal(err)
	}
	due, err := e.svc.Due(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]uuid.UUID{ready.ID}, due); diff != "" {
		t.Errorf("due (-want +got):\n%s", diff)
	}
}
