package outbound

import (
	"context"
	"encoding/json"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/wabsp/wabsp/internal/events"
)

// drain runs Deliver for sub until nothing is pending, waiting out retry
// times; it fails the test when that takes more than a few hundred rounds.
func (e env) drain(t *testing.T, sub uuid.UUID) {
	t.Helper()
	for range 500 {
		if _, err := e.svc.Deliver(context.Background(), sub, time.Second); err != nil {
			t.Fatalf("Deliver: %v", err)
		}
		var pending int
		err := e.db.QueryRow(context.Background(),
			`SELECT count(*) FROM webhook_deliveries WHERE subscription_id = $1 AND status = 'pending'`, sub).Scan(&pending)
		if err != nil {
			t.Fatal(err)
		}
		if pending == 0 {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatal("deliveries still pending after 500 rounds")
}

func (e env) deliveries(t *testing.T, o Owner, f DeliveryFilter) []Delivery {
	t.Helper()
	l, err := e.svc.ListDeliveries(context.Background(), o, f, Page{Limit: MaxLimit})
	if err != nil {
		t.Fatalf("ListDeliveries: %v", err)
	}
	return l.Items
}

func TestDeliverSignsAndLogs(t *testing.T) {
	e := newEnv(t)
	acme := e.tenant(t, "Acme")
	rc := newReceiver(t, nil)
	sub, secret := e.subscribe(t, TenantOwner(acme), rc.URL+"/hook", "quality.*")
	e.emit(t, acme, events.QualityPhoneNumberChanged, "pn-1", map[string]string{"quality_rating": "RED"})
	e.pumpAll(t)
	e.drain(t, sub.ID)

	got := rc.requests()
	if len(got) != 1 {
		t.Fatalf("receiver got %d requests, want 1", len(got))
	}
	r := got[0]
	key, _ := secretKey(secret)
	ts, _ := strconv.ParseInt(r.header.Get(HeaderTimestamp), 10, 64)
	if want := Sign(r.header.Get(HeaderID), time.Unix(ts, 0), r.body, key); r.header.Get(HeaderSignature) != want {
		t.Errorf("signature %q, want %q", r.header.Get(HeaderSignature), want)
	}
	var m Message
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatal(err)
	}
	if m.ID != r.header.Get(HeaderID) || m.Type != events.QualityPhoneNumberChanged || m.TenantID != acme ||
		m.Subject != "pn-1" || string(m.Data) != `{"quality_rating":"RED"}` {
		t.Errorf("message = %+v", m)
	}

	ds := e.deliveries(t, TenantOwner(acme), DeliveryFilter{})
	if len(ds) != 1 || ds[0].Status != StatusDelivered || ds[0].Attempts != 1 || *ds[0].LastStatusCode != 204 {
		t.Fatalf("log = %+v", ds)
	}
	d, err := e.svc.GetDelivery(context.Background(), TenantOwner(acme), ds[0].ID)
	if err != nil || len(d.AttemptLog) != 1 || *d.AttemptLog[0].StatusCode != 204 {
		t.Errorf("GetDelivery = %+v, %v", d, err)
	}
}

func TestDeliverRetriesWithTheSameID(t *testing.T) {
	e := newEnv(t)
	acme := e.tenant(t, "Acme")
	rc := newReceiver(t, func(n int, _ *http.Request) int {
		if n <= 2 {
			return http.StatusServiceUnavailable
		}
		return http.StatusOK
	})
	sub, _ := e.subscribe(t, TenantOwner(acme), rc.URL, "*")
	e.emit(t, acme, events.AccountUpdated, "waba", map[string]string{})
	e.pumpAll(t)
	e.drain(t, sub.ID)

	got := rc.requests()
	if len(got) != 3 {
		t.Fatalf("receiver got %d requests, want 3", len(got))
	}
	for _, r := range got[1:] {
		if r.header.Get(HeaderID) != got[0].header.Get(HeaderID) || string(r.body) != string(got[0].body) {
			t.Errorf("retry differs: id %q body %s", r.header.Get(HeaderID), r.body)
		}
	}
	s, _ := e.svc.Get(context.Background(), TenantOwner(acme), sub.ID)
	if s.FailingSince != nil || s.LastSuccessAt == nil || s.LastFailureAt == nil {
		t.Errorf("health after recovery: %+v", s)
	}
	d, _ := e.svc.GetDelivery(context.Background(), TenantOwner(acme), e.deliveries(t, TenantOwner(acme), DeliveryFilter{})[0].ID)
	var codes []int
	for _, a := range d.AttemptLog {
		codes = append(codes, *a.StatusCode)
	}
	if diff := cmp.Diff([]int{503, 503, 200}, codes); diff != "" {
		t.Errorf("attempt log (-want +got):\n%s", diff)
	}
}

func TestDeliverDisables(t *testing.T) {
	tests := []struct {
		name       string
		status     int
		setup      string
		wantReason string
	}{
		{"410 gone", http.StatusGone, "", "gone"},
		{"failing for the whole window", http.StatusInternalServerError,
			`UPDATE webhook_subscriptions SET failing_since = now() - interval '25 hours'`, "failing"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			ctx := context.Background()
			acme := e.tenant(t, "Acme")
			rc := newReceiver(t, func(int, *http.Request) int { return tc.status })
			dying, _ := e.subscribe(t, TenantOwner(acme), rc.URL, events.OptinChanged)
			watcher, _ := e.subscribe(t, TenantOwner(acme), "http://127.0.0.1:1/", TypeEndpointDisabled)
			if tc.setup != "" {
				if _, err := e.db.Exec(ctx, tc.setup); err != nil {
					t.Fatal(err)
				}
			}
			e.emit(t, acme, events.OptinChanged, "c1", map[string]string{})
			e.emit(t, acme, events.OptinChanged, "c2", map[string]string{})
			e.pumpAll(t)
			res, err := e.svc.Deliver(ctx, dying.ID, time.Second)
			if err != nil || !res.Disabled {
				t.Fatalf("Deliver = %+v, %v; want disabled", res, err)
			}
			s, _ := e.svc.Get(ctx, TenantOwner(acme), dying.ID)
			if s.Active || s.DisabledReason != tc.wantReason {
				t.Errorf("subscription = active %v reason %q, want %q", s.Active, s.DisabledReason, tc.wantReason)
			}
			dead := e.deliveries(t, TenantOwner(acme), DeliveryFilter{SubscriptionID: dying.ID, Status: StatusDead})
			if len(dead) != 2 {
				t.Errorf("dead letters = %d, want 2", len(dead))
			}
			e.pumpAll(t)
			alerts := e.deliveries(t, TenantOwner(acme), DeliveryFilter{SubscriptionID: watcher.ID})
			if len(alerts) != 1 || alerts[0].EventType != TypeEndpointDisabled {
				t.Errorf("tenant alerts = %+v, want one %s", alerts, TypeEndpointDisabled)
			}
		})
	}
}

func TestOrderedEndpointKeepsOrderThroughFailures(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	acme := e.tenant(t, "Acme")
	rc := newReceiver(t, func(n int, _ *http.Request) int {
		if n == 2 || n == 3 {
			return http.StatusBadGateway
		}
		return http.StatusOK
	})
	sub, _, err := e.svc.Create(ctx, TenantOwner(acme), NewSubscription{URL: rc.URL, EventTypes: []string{"*"}, Ordered: true}, "")
	if err != nil {
		t.Fatal(err)
	}
	for i := range 4 {
		e.emit(t, acme, events.OptinChanged, "c"+strconv.Itoa(i), map[string]int{"n": i})
	}
	e.pumpAll(t)
	e.drain(t, sub.ID)
	var order []string
	for _, r := range rc.requests() {
		var m Message
		_ = json.Unmarshal(r.body, &m)
		order = append(order, m.Subject)
	}
	if diff := cmp.Diff([]string{"c0", "c1", "c1", "c1", "c2", "c3"}, order); diff != "" {
		t.Errorf("arrival order (-want +got):\n%s", diff)
	}
}

func TestExpiredDeliveryBecomesADeadLetterAndReplays(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	acme := e.tenant(t, "Acme")
	healthy := false
	rc := newReceiver(t, func(int, *http.Request) int {
		if healthy {
			return http.StatusOK
		}
		return http.StatusInternalServerError
	})
	sub, _ := e.subscribe(t, TenantOwner(acme), rc.URL, "*")
	e.emit(t, acme, events.OptinChanged, "c1", map[string]string{})
	e.pumpAll(t)
	if _, err := e.db.Exec(ctx, `UPDATE webhook_deliveries SET expires_at = now()`); err != nil {
		t.Fatal(err)
	}
	e.drain(t, sub.ID)
	dead := e.deliveries(t, TenantOwner(acme), DeliveryFilter{Status: StatusDead})
	if len(dead) != 1 || dead[0].DeadReason != "retries exhausted" {
		t.Fatalf("dead letters = %+v", dead)
	}

	healthy = true
	replayed, err := e.svc.Replay(ctx, TenantOwner(acme), dead[0].ID, "replay-1")
	if err != nil {
		t.Fatal(err)
	}
	again, err := e.svc.Replay(ctx, TenantOwner(acme), dead[0].ID, "replay-1")
	if err != nil || again.ID != replayed.ID {
		t.Errorf("repeated replay with the same key = %d, %v; want delivery %d", again.ID, err, replayed.ID)
	}
	if replayed.MessageID != dead[0].MessageID || replayed.Origin != "replay" || *replayed.ReplayOf != dead[0].ID {
		t.Errorf("replay = %+v", replayed)
	}
	e.drain(t, sub.ID)
	got := rc.requests()
	if last := got[len(got)-1]; last.header.Get(HeaderID) != dead[0].MessageID {
		t.Errorf("replayed webhook-id %q, want %q", last.header.Get(HeaderID), dead[0].MessageID)
	}
}

func TestReplayRangeAndTestMessage(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	acme := e.tenant(t, "Acme")
	rc := newReceiver(t, nil)
	sub, _ := e.subscribe(t, TenantOwner(acme), rc.URL, "quality.*")
	from := time.Now()
	e.emit(t, acme, events.QualityAlertOpened, "a", map[string]string{})
	e.emit(t, acme, events.OptinChanged, "b", map[string]string{})
	e.emit(t, acme, events.QualityAlertResolved, "a", map[string]string{})
	e.pumpAll(t)
	e.drain(t, sub.ID)

	to := time.Now().Add(time.Second)
	for range 2 { // the same key queues the range once
		n, err := e.svc.ReplayRange(ctx, TenantOwner(acme), sub.ID, from.Add(-time.Second), to, "range-1")
		if err != nil || n != 2 {
			t.Fatalf("ReplayRange = %d, %v; want 2", n, err)
		}
	}
	if _, err := e.svc.SendTest(ctx, TenantOwner(acme), sub.ID); err != nil {
		t.Fatal(err)
	}
	e.drain(t, sub.ID)
	var types []string
	for _, r := range rc.requests() {
		var m Message
		_ = json.Unmarshal(r.body, &m)
		types = append(types, m.Type)
	}
	// An unordered endpoint gets up to four at once, in any order.
	sort.Strings(types)
	want := []string{events.QualityAlertOpened, events.QualityAlertOpened,
		events.QualityAlertResolved, events.QualityAlertResolved, TypeTest}
	if diff := cmp.Diff(want, types); diff != "" {
		t.Errorf("received (-want +got):\n%s", diff)
	}
}

func TestDeliveryToABlockedAddressFails(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.Addresses = AddressPolicy{} })
	acme := e.tenant(t, "Acme")
	rc := newReceiver(t, nil)
	// The name passes the URL check; the address it resolves to does not.
	url := strings.Replace(rc.URL, "127.0.0.1", "localhost", 1)
	sub, _ := e.subscribe(t, TenantOwner(acme), url, "*")
	e.emit(t, acme, events.OptinChanged, "c", map[string]string{})
	e.pumpAll(t)
	if _, err := e.svc.Deliver(context.Background(), sub.ID, time.Second); err != nil {
		t.Fatal(err)
	}
	if n := len(rc.requests()); n != 0 {
		t.Errorf("receiver on loopback got %d requests", n)
	}
	d := e.deliveries(t, TenantOwner(acme), DeliveryFilter{})[0]
	if !strings.Contains(d.LastError, "may not reach") {
		t.Errorf("last error = %q", d.LastError)
	}
}
