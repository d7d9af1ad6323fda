package main

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/wabsp/wabsp/billing"
	"github.com/wabsp/wabsp/internal/metasim"
	"github.com/wabsp/wabsp/webhooks/outbound"
)

// demoStrays is a client Meta has onboarded and the BSP has not registered:
// its webhooks wait as orphans, as they would in production.
var demoStrays = []metasim.Number{{WABAID: "406600000000001", PhoneNumberID: "406700000000001", Display: "5215512340001"}}

// demoMarkupBP is the demo tenants' markup on Meta's cost, so that the
// admin home's margin is the BSP's real margin rather than zero.
const demoMarkupBP = 1500

// seedDemoPlans gives each demo tenant without a plan one with the demo
// markup; a plan set through the API is left as it is.
func seedDemoPlans(ctx context.Context, svc *billing.Service, ids []uuid.UUID) error {
	for i, id := range ids {
		p, err := svc.Plan(ctx, id)
		if err != nil {
			return err
		}
		if p.Stored {
			continue
		}
		in := billing.PlanInput{Currency: demoTenants[i].currency, MarkupBP: demoMarkupBP}
		if _, err := svc.SetPlan(ctx, billing.Actor{Role: "system"}, id, in); err != nil {
			return err
		}
	}
	return nil
}

// demoReceiverName marks the outbound subscription the demo keeps.
const demoReceiverName = "wabsp demo receiver"

// demoFailEvery makes one delivery in that many fail, so the outbound
// health panel shows retries as well as successes.
const demoFailEvery = 8

// startDemoReceiver serves an outbound webhook receiver on localhost until
// ctx ends and returns its URL.
func startDemoReceiver(ctx context.Context) (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	var n atomic.Int64
	srv := &http.Server{ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if n.Add(1)%demoFailEvery == 0 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})}
	go srv.Serve(ln) //nolint:errcheck // closed when ctx ends
	go func() { <-ctx.Done(); srv.Close() }()
	return "http://" + ln.Addr().String() + "/wabsp-events", nil
}

// seedDemoSubscription points the tenant's demo subscription at url,
// creating it on the first run and moving it to this run's receiver (and
// enabling it again) on later ones.
func seedDemoSubscription(ctx context.Context, log *slog.Logger, svc *outbound.Service, tenantID uuid.UUID, url string) error {
	owner := outbound.TenantOwner(tenantID)
	subs, err := svc.List(ctx, owner, outbound.Page{Limit: 100})
	if err != nil {
		return err
	}
	for _, s := range subs.Items {
		if s.Description == demoReceiverName {
			active := true
			_, err := svc.Update(ctx, owner, s.ID, outbound.SubscriptionPatch{URL: &url, Active: &active})
			return err
		}
	}
	_, _, err = svc.Create(ctx, owner, outbound.NewSubscription{URL: url, Description: demoReceiverName, EventTypes: []string{"*"}}, "")
	if err == nil {
		log.Info("demo outbound subscription created", "url", url)
	}
	return err
}
