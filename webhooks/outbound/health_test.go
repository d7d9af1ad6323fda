package outbound

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/wabsp/wabsp/internal/events"
)

func TestHealthAcrossTenants(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	acme, other := e.tenant(t, "Acme"), e.tenant(t, "Other")
	ok := newReceiver(t, nil)
	broken := newReceiver(t, func(int, *http.Request) int { return http.StatusInternalServerError })
	good, _ := e.subscribe(t, TenantOwner(acme), ok.URL, "*")
	bad, _ := e.subscribe(t, TenantOwner(other), broken.URL, "*")
	e.emit(t, acme, events.OptinChanged, "c", map[string]string{})
	e.emit(t, other, events.OptinChanged, "c", map[string]string{})
	e.pumpAll(t)
	if _, err := e.svc.Deliver(ctx, good.ID, time.Second); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Deliver(ctx, bad.ID, time.Second); err != nil {
		t.Fatal(err)
	}

	all, sum, err := e.svc.Health(ctx, HealthFilter{}, Page{})
	if err != nil {
		t.Fatal(err)
	}
	if len(all.Items) != 2 || sum.Subscriptions != 2 || sum.Failing != 1 || sum.Attempts24h != 2 || sum.Failures24h != 1 {
		t.Errorf("summary = %+v over %d items", sum, len(all.Items))
	}
	unhealthy, _, err := e.svc.Health(ctx, HealthFilter{Unhealthy: true}, Page{})
	if err != nil {
		t.Fatal(err)
	}
	if len(unhealthy.Items) != 1 {
		t.Fatalf("unhealthy = %d items, want 1", len(unhealthy.Items))
	}
	h := unhealthy.Items[0]
	if h.ID != bad.ID || h.Attempts24h != 1 || h.Failures24h != 1 || h.Pending != 1 || h.FailureRate() != 1 {
		t.Errorf("unhealthy endpoint = %+v", h)
	}
}
