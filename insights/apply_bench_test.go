package insights_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/wabsp/wabsp/internal/metasim"
	"github.com/wabsp/wabsp/webhooks"
)

// BenchmarkApplyStatuses measures what the insights handler adds to the
// intake's apply of a body of 50 new "sent" statuses (the intake's
// end-to-end benchmark traffic): compare with the default handler alone.
func BenchmarkApplyStatuses(b *testing.B) {
	for _, withInsights := range []bool{false, true} {
		b.Run(fmt.Sprintf("insights=%t", withInsights), func(b *testing.B) {
			e := newEnv(b)
			if !withInsights {
				intake, err := webhooks.NewService(e.db, nil, nil, webhooks.WithLookupTTL(time.Minute, 0))
				if err != nil {
					b.Fatal(err)
				}
				intake.Register(webhooks.FieldMessages, intake.Defaults())
				e.intake = intake
			}
			bodies := make([][]byte, b.N)
			at := time.Date(2026, 10, 5, 12, 0, 0, 0, time.UTC)
			for i := range bodies {
				st := make([]metasim.Status, 50)
				for j := range st {
					st[j] = metasim.Status{WAMID: fmt.Sprintf("w.%d.%d", i, j), Status: "sent", Timestamp: at,
						RecipientID: fmt.Sprintf("62812%07d", i*50+j)}
				}
				bodies[i] = e.statuses(st...)
			}
			archived, err := e.intake.Archive(e.ctx, bodiesOf(bodies, e.now))
			if err != nil {
				b.Fatal(err)
			}
			batches, err := e.intake.Route(e.ctx, archived)
			if err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for _, bt := range batches {
				for _, c := range bt.Changes {
					if err := e.intake.Apply(e.ctx, bt.TenantID, []webhooks.Change{c}); err != nil {
						b.Fatal(err)
					}
				}
			}
			b.ReportMetric(float64(b.N*50)/b.Elapsed().Seconds(), "statuses/s")
		})
	}
}

func bodiesOf(raw [][]byte, at time.Time) []webhooks.Body {
	out := make([]webhooks.Body, len(raw))
	for i, r := range raw {
		out[i] = webhooks.Body{Raw: r, ReceivedAt: at, AppID: "app"}
	}
	return out
}
