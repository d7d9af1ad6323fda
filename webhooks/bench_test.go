package webhooks_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/wabsp/wabsp/webhooks"
)

const benchBatch = 500

// pricedStatus is a status as Meta sends it for a billable template.
func pricedStatus(wamid, st string) string {
	return fmt.Sprintf(`{"id":%q,"status":%q,"timestamp":"1750030073","recipient_id":"16505551234",
"conversation":{"id":"72b14d6bd5407799e66f64d1b338e567","origin":{"type":"marketing"}},
"pricing":{"billable":true,"pricing_model":"PMP","type":"regular","category":"marketing"}}`, wamid, st)
}

func statusValue(statuses ...string) json.RawMessage {
	return json.RawMessage(`{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550783881","phone_number_id":"` +
		phoneMain + `"},"statuses":[` + strings.Join(statuses, ",") + `]}`)
}

// BenchmarkApplyStatuses measures Apply with 500 statuses per call, as Meta
// usually sends them (one per body, so one change each) and batched into one
// change.
func BenchmarkApplyStatuses(b *testing.B) {
	e := newEnv(b)
	tenant := e.seedMain(b)
	shapes := []struct {
		name    string
		changes func(round int) []webhooks.Change
	}{
		{"one status per change", func(round int) []webhooks.Change {
			out := make([]webhooks.Change, benchBatch)
			for i := range out {
				out[i] = webhooks.Change{ArchiveID: int64(round*benchBatch + i), Field: "messages", EntryID: wabaMain,
					PhoneNumberID: phoneMain, WABAID: wabaMain, ReceivedAt: time.Now(),
					Value: statusValue(pricedStatus(fmt.Sprintf("wamid.b1.%d.%d", round, i), "sent"))}
			}
			return out
		}},
		{"500 statuses in one change", func(round int) []webhooks.Change {
			statuses := make([]string, benchBatch)
			for i := range statuses {
				statuses[i] = pricedStatus(fmt.Sprintf("wamid.b2.%d.%d", round, i), "delivered")
			}
			return []webhooks.Change{{ArchiveID: int64(round), Field: "messages", EntryID: wabaMain,
				PhoneNumberID: phoneMain, WABAID: wabaMain, ReceivedAt: time.Now(), Value: statusValue(statuses...)}}
		}},
	}
	for _, shape := range shapes {
		b.Run(shape.name, func(b *testing.B) {
			rounds := make([][]webhooks.Change, b.N)
			for i := range rounds {
				rounds[i] = shape.changes(i)
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if err := e.svc.Apply(e.ctx, tenant, rounds[i]); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*benchBatch)/b.Elapsed().Seconds(), "statuses/s")
		})
	}
}

// BenchmarkArchiveRoute measures stage one for 500 one-status bodies:
// Archive, Route and MarkRouted.
func BenchmarkArchiveRoute(b *testing.B) {
	e := newEnv(b)
	e.seedMain(b)
	rounds := make([][]webhooks.Body, b.N)
	for r := range rounds {
		rounds[r] = make([]webhooks.Body, benchBatch)
		for i := range rounds[r] {
			rounds[r][i] = webhooks.Body{Raw: statusBody(pricedStatus(fmt.Sprintf("wamid.ar.%d.%d", r, i), "sent")), ReceivedAt: time.Now()}
		}
	}
	b.ResetTimer()
	for r := 0; r < b.N; r++ {
		archived, err := e.svc.Archive(e.ctx, rounds[r])
		if err != nil {
			b.Fatal(err)
		}
		if _, err := e.svc.Route(e.ctx, archived); err != nil {
			b.Fatal(err)
		}
		ids := make([]int64, len(archived))
		for i, a := range archived {
			ids[i] = a.ID
		}
		if err := e.svc.MarkRouted(e.ctx, ids); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*benchBatch)/b.Elapsed().Seconds(), "bodies/s")
}
