package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/wabsp/wabsp/internal/metasim"
	"github.com/wabsp/wabsp/internal/pgtest"
	"github.com/wabsp/wabsp/tenants/tenantstest"
	"github.com/wabsp/wabsp/webhooks"
)

// applyBenchBodies and applyBenchPerBody shape one benchmark op like a
// merged apply task of the end-to-end benchmark: bodies of 50 priced "sent"
// statuses each, 5,000 statuses in one Apply.
const (
	applyBenchBodies  = 100
	applyBenchPerBody = 50
)

// BenchmarkApplyEveryDomain measures Apply with every handler the worker
// registers for the messages field (message statuses, opt-ins, insights,
// billing, forwarding), on changes archived and routed beforehand. The
// per-status figures (B/op and allocs/op divided by 5,000, and the
// database's work in the transaction) hold when the machine is busy; the
// rate does not.
func BenchmarkApplyEveryDomain(b *testing.B) {
	_, dbURL := pgtest.NewWithURL(b)
	ctx := context.Background()
	sys, err := openSystem(ctx, e2eConfig(b, dbURL, nil), slog.New(slog.NewJSONHandler(io.Discard, nil)))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(sys.close)
	tenant := tenantstest.MustCreateTenant(b, sys.tenants, "Bench")
	waba := tenantstest.MustCreateWABA(b, sys.tenants, tenant.ID, "EAAJbench")
	phone := tenantstest.MustCreatePhoneNumber(b, sys.tenants, tenant.ID, waba.ID)
	rounds := make([][]webhooks.Change, b.N)
	for r := range rounds {
		bodies := make([]webhooks.Body, applyBenchBodies)
		for i := range bodies {
			st := make([]metasim.Status, applyBenchPerBody)
			for j := range st {
				st[j] = metasim.Status{WAMID: fmt.Sprintf("wamid.apply.%d.%d.%d", r, i, j), Status: "sent",
					Timestamp: time.Now(), RecipientID: fmt.Sprintf("62812%07d", i*applyBenchPerBody+j),
					Pricing: &metasim.Pricing{Billable: true, Model: "PMP", Type: "regular", Category: "marketing"}}
			}
			bodies[i] = webhooks.Body{Raw: metasim.StatusesBody(waba.WABAID, phone.PhoneNumberID, "15550001111", st),
				ReceivedAt: time.Now()}
		}
		archived, err := sys.webhooks.Archive(ctx, bodies)
		if err != nil {
			b.Fatal(err)
		}
		batches, err := sys.webhooks.Route(ctx, archived)
		if err != nil || len(batches) != 1 {
			b.Fatalf("routed %d batches: %v", len(batches), err)
		}
		rounds[r] = batches[0].Changes
	}
	b.ReportAllocs()
	b.ResetTimer()
	for r := range b.N {
		if err := sys.webhooks.Apply(ctx, tenant.ID, rounds[r]); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*applyBenchBodies*applyBenchPerBody)/b.Elapsed().Seconds(), "statuses/s")
}
