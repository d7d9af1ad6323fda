package workers

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/wabsp/wabsp/optins"
	"github.com/wabsp/wabsp/sending"
)

// BenchmarkCampaignExpansion turns a campaign of recipients into sends,
// every guard evaluated per recipient, and reports recipients expanded a
// second. Accepted sends are queued to nowhere: delivery is
// BenchmarkPacedDelivery's measure.
func BenchmarkCampaignExpansion(b *testing.B) {
	const recipients = 1000
	f := newCampaignFixture(b, sending.DefaultExpandBatch)
	f.onQueue = func(sending.Send) error { return nil }
	ctx := context.Background()
	var csv strings.Builder
	csv.WriteString("wa_id,purpose,source,occurred_at,note\n")
	nc := sending.NewCampaign{Name: "Bench", PhoneNumberID: f.phone, Template: sending.Template{Name: "spring_sale", Language: "en_US"}}
	for i := range recipients {
		to := fmt.Sprintf("1650%07d", i)
		// Every tenth user never consented: refused, as in a real list.
		if i%10 != 0 {
			fmt.Fprintf(&csv, "%s,marketing,import,2026-01-01T00:00:00Z,bench\n", to)
		}
		nc.Recipients = append(nc.Recipients, sending.CampaignRecipient{To: to, Parameters: []string{"x"}})
	}
	if _, err := optins.NewService(f.db).Import(ctx, f.tenantID, "bench", optins.FormatCSV, []byte(csv.String()), ""); err != nil {
		b.Fatal(err)
	}
	var total time.Duration
	for b.Loop() {
		c, _, err := f.campaigns.Create(ctx, f.tenantID, nc, "")
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		if err := f.runExpand(c.ID); err != nil {
			b.Fatal(err)
		}
		total += time.Since(start)
		if p := f.progress(b, c.ID); p.Pending != 0 || p.Refused < recipients/10 {
			b.Fatalf("progress = %+v; want every recipient expanded", p)
		}
	}
	b.ReportMetric(float64(recipients*b.N)/total.Seconds(), "recipients/s")
}
