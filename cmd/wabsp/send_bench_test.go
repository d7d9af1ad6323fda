package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/wabsp/wabsp/internal/auth"
	"github.com/wabsp/wabsp/internal/config"
	"github.com/wabsp/wabsp/internal/metasim"
	"github.com/wabsp/wabsp/optins"
	"github.com/wabsp/wabsp/quality"
	"github.com/wabsp/wabsp/sending"
	"github.com/wabsp/wabsp/tenants/tenantstest"
)

// sendNumber is one seeded sending number and the token of its tenant.
type sendNumber struct {
	tenantID uuid.UUID
	token    string
	phoneID  string
}

// sendFleet is the tenants, numbers and consented recipients a send load
// runs over.
type sendFleet struct {
	numbers    []sendNumber
	recipients []string
}

// seedSendFleet gives each of tenants a WABA with perTenant CONNECTED
// numbers at the default throughput, an approved utility template and
// utility consent for every recipient, known alike to wabsp and to sim.
func seedSendFleet(tb testing.TB, r *running, sim *metasim.Graph, tenants, perTenant, recipients int) sendFleet {
	tb.Helper()
	ctx := context.Background()
	var f sendFleet
	var csv strings.Builder
	csv.WriteString("wa_id,purpose,source,occurred_at,note\n")
	for i := range recipients {
		to := fmt.Sprintf("1650555%04d", i)
		f.recipients = append(f.recipients, to)
		fmt.Fprintf(&csv, "%s,utility,import,2026-01-01T00:00:00Z,bench\n", to)
	}
	now := time.Now().UTC()
	for i := range tenants {
		tenant := tenantstest.MustCreateTenant(tb, r.sys.tenants, fmt.Sprintf("Sender %d", i))
		graphToken := fmt.Sprintf("EAAJsender%d", i)
		w := tenantstest.MustCreateWABA(tb, r.sys.tenants, tenant.ID, graphToken)
		if err := sim.AddWABA(metasim.WABA{ID: w.WABAID, Name: tenant.Name, AccessToken: graphToken}); err != nil {
			tb.Fatal(err)
		}
		c := tenantstest.MustCreateClient(tb, r.sys.tenants, auth.RoleTenant, tenant.ID)
		token := clientToken(tb, r, c.Client.ClientID, c.Secret)
		var polls []quality.NumberPoll
		for j := range perTenant {
			p, err := sim.AddPhoneNumber(metasim.PhoneNumber{WABAID: w.WABAID, DisplayPhoneNumber: fmt.Sprintf("1631555%02d%02d", i, j)})
			if err != nil {
				tb.Fatal(err)
			}
			polls = append(polls, quality.NumberPoll{PhoneNumberID: p.ID, DisplayPhoneNumber: p.DisplayPhoneNumber,
				QualityRating: "GREEN", Status: "CONNECTED", Throughput: "STANDARD"})
			f.numbers = append(f.numbers, sendNumber{tenantID: tenant.ID, token: token, phoneID: p.ID})
		}
		if _, err := r.sys.quality.ApplyNumberPoll(ctx, tenant.ID, w.WABAID, now, polls); err != nil {
			tb.Fatal(err)
		}
		if _, err := r.sys.quality.ApplyTemplatePoll(ctx, tenant.ID, w.WABAID, now, []quality.TemplatePoll{{
			ID: fmt.Sprintf("77%d", i), Name: "order_update", Language: "en_US", Status: "APPROVED", Category: "UTILITY"}}); err != nil {
			tb.Fatal(err)
		}
		if _, err := r.sys.optins.Import(ctx, tenant.ID, "admin:bench", optins.FormatCSV, []byte(csv.String()), ""); err != nil {
			tb.Fatal(err)
		}
	}
	return f
}

// postSends posts total template sends through the API, conc at a time,
// spread over every number and recipient, and answers how many were
// accepted (202).
func postSends(tb testing.TB, r *running, f sendFleet, total, conc int) int {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: conc}}
	var next, accepted atomic.Int64
	var once sync.Once
	var wg sync.WaitGroup
	for range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1)) - 1; i < total; i = int(next.Add(1)) - 1 {
				n := f.numbers[i%len(f.numbers)]
				to := f.recipients[(i/len(f.numbers))%len(f.recipients)]
				status, body := postSend(client, r.base, n, to)
				if status == http.StatusAccepted {
					accepted.Add(1)
					continue
				}
				once.Do(func() { tb.Errorf("send answered %d: %s", status, body) })
			}
		}()
	}
	wg.Wait()
	return int(accepted.Load())
}

func postSend(c *http.Client, base string, n sendNumber, to string) (int, string) {
	body := `{"phone_number_id":"` + n.phoneID + `","to":"` + to +
		`","message":{"type":"template","template":{"name":"order_update","language":"en_US"}}}`
	req, err := http.NewRequest("POST", base+"/v1/tenants/"+n.tenantID.String()+"/messages", strings.NewReader(body))
	if err != nil {
		return 0, err.Error()
	}
	req.Header.Set("Authorization", "Bearer "+n.token)
	req.Header.Set("Content-Type", "application/json")
	res, err := c.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// lastDelivery waits until the simulator has accepted want sends and
// answers the time of the last one.
func lastDelivery(tb testing.TB, sim *metasim.Graph, want int, timeout time.Duration) time.Time {
	deadline := time.Now().Add(timeout)
	for {
		sent := sim.Sent()
		if len(sent) >= want {
			return sent[len(sent)-1].At
		}
		if time.Now().After(deadline) {
			tb.Fatalf("simulator has %d of %d sends after %s", len(sent), want, timeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// BenchmarkSendThroughput runs the whole wabsp (API, worker, scheduler)
// against the Graph simulator and, per round, posts seconds worth of the
// numbers' combined limit as template sends through POST
// /v1/tenants/{id}/messages. It reports the sends accepted (202, committed
// and queued) a second and the sends delivered to the simulator a second,
// each against that combined limit (numbers x 80/s). A number that took
// more than its limit in any one second fails the run.
func BenchmarkSendThroughput(b *testing.B) {
	const tenants, perTenant, recipients, seconds, conc = 2, 2, 100, 5, 32
	sim := metasim.NewGraph()
	srv := httptest.NewServer(sim)
	b.Cleanup(srv.Close)
	r := startSystem(b, func(c *config.Config) {
		// Worker concurrency and the pool come from the environment
		// (WABSP_WORKER_CONCURRENCY, WABSP_DATABASE_MAX_CONNS).
		c.GraphBaseURL = srv.URL
		// The per-client API limit is not what is measured here.
		c.RateLimit, c.RateBurst = 100000, 100000
	})
	f := seedSendFleet(b, r, sim, tenants, perTenant, recipients)
	ceiling := float64(len(f.numbers) * sending.DefaultThroughput)
	total := int(ceiling) * seconds
	for b.Loop() {
		before := len(sim.Sent())
		start := time.Now()
		accepted := postSends(b, r, f, total, conc)
		acceptedIn := time.Since(start)
		last := lastDelivery(b, sim, before+accepted, time.Minute)
		acceptRate := float64(accepted) / acceptedIn.Seconds()
		deliverRate := float64(accepted) / last.Sub(start).Seconds()
		b.ReportMetric(acceptRate, "accepted/s")
		b.ReportMetric(acceptRate/ceiling, "accepted_ratio")
		b.ReportMetric(deliverRate, "delivered/s")
		b.ReportMetric(deliverRate/ceiling, "delivered_ratio")
	}
	// A 130429 is retried after a pause, so it costs time, not a send;
	// it is reported, and the sends Meta accepted are held to the limit.
	b.ReportMetric(float64(sim.Refused()[130429]), "refused_130429")
	most := 0
	for _, n := range f.numbers {
		m := sim.MaxPerSecond(n.phoneID)
		if m > sending.DefaultThroughput {
			b.Errorf("number %s: %d sends in one second; its limit is %d", n.phoneID, m, sending.DefaultThroughput)
		}
		most = max(most, m)
	}
	b.ReportMetric(float64(most), "max/s/number")
}
