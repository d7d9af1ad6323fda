package billing_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wabsp/wabsp/billing"
	"github.com/wabsp/wabsp/internal/apperr"
	"github.com/wabsp/wabsp/internal/metasim"
	"github.com/wabsp/wabsp/webhooks"
)

// randomTraffic returns statuses of n messages over 60 days from start:
// every pricing the rules know and some they do not, missing pricing,
// failures, and each status possibly twice.
func randomTraffic(rng *rand.Rand, n int, start time.Time) []metasim.Status {
	recipients := []string{"15551230001", "5511911110001", "919812340001", "8801711000000", "447700900123", "77011234567", ""}
	pricings := []*metasim.Pricing{
		nil, regular("marketing"), regular("utility"), regular("authentication"), regular("authentication-international"),
		regular("service"), regular("marketing_lite"), free("free_customer_service", "service"),
		free("free_customer_service", "utility"), free("free_entry_point", "marketing"), regular("mystery"),
		{Billable: true, Model: "PMP", Type: "surprise", Category: "utility"},
	}
	var out []metasim.Status
	for i := range n {
		wamid := fmt.Sprintf("wamid.R%04d", i)
		to := recipients[rng.IntN(len(recipients))]
		p := pricings[rng.IntN(len(pricings))]
		t0 := start.Add(time.Duration(rng.Int64N(int64(60 * 24 * time.Hour))))
		steps := []metasim.Status{{WAMID: wamid, Status: "sent", Timestamp: t0, RecipientID: to, Pricing: p}}
		switch rng.IntN(5) {
		case 0:
			steps = append(steps, metasim.Status{WAMID: wamid, Status: "failed", Timestamp: t0.Add(time.Minute), RecipientID: to,
				Errors: []metasim.MessageError{metasim.UndeliverableError}})
		case 1:
			steps = steps[:0] // never seen sent
			steps = append(steps, metasim.Status{WAMID: wamid, Status: "read", Timestamp: t0.Add(3 * time.Hour), RecipientID: to, Pricing: p})
		default:
			// Delivery can land on the next day of the tenant's zone.
			d := time.Duration(rng.Int64N(int64(30 * time.Hour)))
			steps = append(steps, metasim.Status{WAMID: wamid, Status: "delivered", Timestamp: t0.Add(d), RecipientID: to, Pricing: p})
			if rng.IntN(2) == 0 {
				steps = append(steps, metasim.Status{WAMID: wamid, Status: "read", Timestamp: t0.Add(d + time.Hour), RecipientID: to})
			}
		}
		for _, s := range steps {
			out = append(out, s)
			if rng.IntN(4) == 0 {
				out = append(out, s)
			}
		}
	}
	rng.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

// TestRollupsEqualRecount plays random traffic, in random order, in
// batches applied by two workers at once, some twice, and checks that the
// roll-ups equal a recount from the ledger for random ranges.
func TestRollupsEqualRecount(t *testing.T) {
	e := newEnv(t, withZone("Asia/Kolkata"))
	rng := rand.New(rand.NewPCG(7, 11))
	start := at("2026-09-10T00:00:00Z")
	statuses := randomTraffic(rng, 400, start)
	var bodies [][]byte
	for i := 0; i < len(statuses); {
		n := 1 + rng.IntN(40)
		bodies = append(bodies, e.statuses(statuses[i:min(i+n, len(statuses))]...))
		i += n
	}
	archived, err := e.intake.Archive(e.ctx, bodiesAt(bodies, e.received))
	if err != nil {
		t.Fatal(err)
	}
	batches, err := e.intake.Route(e.ctx, archived)
	if err != nil {
		t.Fatal(err)
	}
	var changes []webhooks.Change
	for _, b := range batches {
		changes = append(changes, b.Changes...)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	for w := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(changes); i += 2 {
				// Every third change is applied again, as a retry would.
				n := 1 + i%3/2
				for range n {
					if err := e.intake.Apply(e.ctx, e.tenant.ID, changes[i:i+1]); err != nil {
						errs <- err
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}

	var total int
	if err := e.db.QueryRow(e.ctx, `SELECT count(*) FROM billing_ledger WHERE tenant_id = $1`, e.tenant.ID).Scan(&total); err != nil {
		t.Fatal(err)
	}
	if total != 400 {
		t.Fatalf("ledger holds %d messages, want 400", total)
	}
	for i := range 25 {
		from := start.AddDate(0, 0, rng.IntN(70)-5)
		to := from.AddDate(0, 0, rng.IntN(40))
		from, to = billingDay(from), billingDay(to)
		t.Run(fmt.Sprintf("range%02d", i), func(t *testing.T) {
			mm, err := e.billing.Recount(e.ctx, e.tenant.ID, from, to)
			if err != nil {
				t.Fatal(err)
			}
			if len(mm) > 0 {
				t.Fatalf("%d roll-up keys differ from the ledger, first %+v", len(mm), mm[0])
			}
			u, err := e.billing.Usage(e.ctx, e.tenant.ID, billing.UsageQuery{From: from, To: to})
			if err != nil {
				t.Fatal(err)
			}
			var want billing.Counts
			err = e.db.QueryRow(e.ctx, `
				SELECT count(*), count(sent_at), count(*) FILTER (WHERE delivered_at IS NOT NULL OR read_at IS NOT NULL),
				    count(read_at), count(failed_at), count(*) FILTER (WHERE charged), count(*) FILTER (WHERE fallback)
				FROM billing_ledger WHERE tenant_id = $1 AND day BETWEEN $2 AND $3`, e.tenant.ID, from, to).
				Scan(&want.Messages, &want.Sent, &want.Delivered, &want.Read, &want.Failed, &want.Charged, &want.Fallback)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, u.Totals.All); diff != "" {
				t.Errorf("usage totals (-ledger +roll-ups):\n%s", diff)
			}
		})
	}
	e.checkEveryGrouping(t, billingDay(start), billingDay(start.AddDate(0, 0, 62)))
}

// usageDims are the dimensions of usage and the ledger column of each.
var usageDims = []struct {
	dim billing.Dimension
	col string
}{
	{billing.DimDay, "day"}, {billing.DimPhoneNumber, "phone_number_id"}, {billing.DimMarket, "market"},
	{billing.DimCategory, "category"}, {billing.DimPricingType, "pricing_type"},
}

// checkEveryGrouping asks for usage grouped by each of the 32 subsets of the
// dimensions, each answered from whichever roll-up covers it, and compares
// the groups with the ledger grouped the same way.
func (e *env) checkEveryGrouping(t *testing.T, from, to time.Time) {
	for set := range 1 << len(usageDims) {
		var by []billing.Dimension
		var cols []string
		for i, d := range usageDims {
			if set&(1<<i) != 0 {
				by, cols = append(by, d.dim), append(cols, d.col)
			}
		}
		t.Run(fmt.Sprintf("group_by=%v", by), func(t *testing.T) {
			u, err := e.billing.Usage(e.ctx, e.tenant.ID, billing.UsageQuery{From: from, To: to, GroupBy: by})
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]billing.Counts{}
			for _, g := range u.Groups {
				if g.Messages == 0 && g.Inbound != nil {
					continue // inbound only; the ledger counts outbound
				}
				day := ""
				if g.Day != nil {
					day = g.Day.Format(time.DateOnly)
				}
				got[strings.Join([]string{day, g.PhoneNumberID, g.Market, g.Category, g.PricingType}, "|")] = g.Counts
			}
			if diff := cmp.Diff(e.ledgerGroups(t, cols, from, to), got); diff != "" {
				t.Fatalf("usage groups (-ledger +roll-ups):\n%s", diff)
			}
			if diff := cmp.Diff(u.Groups, e.allPages(t, billing.UsageQuery{From: from, To: to, GroupBy: by, Limit: 7})); diff != "" {
				t.Fatalf("pages of 7 groups (-one answer +pages):\n%s", diff)
			}
		})
	}
}

// allPages follows next_cursor from the first page to the last and returns
// the groups of all pages; every page must carry the same totals.
func (e *env) allPages(t *testing.T, q billing.UsageQuery) []billing.UsageGroup {
	t.Helper()
	var out []billing.UsageGroup
	var totals *billing.UsageTotals
	for page := 0; ; page++ {
		u, err := e.billing.Usage(e.ctx, e.tenant.ID, q)
		if err != nil {
			t.Fatalf("page %d: %v", page, err)
		}
		if len(u.Groups) > q.Limit || (u.NextCursor != "" && len(u.Groups) == 0) {
			t.Fatalf("page %d holds %d groups, next cursor %q", page, len(u.Groups), u.NextCursor)
		}
		if totals != nil {
			if diff := cmp.Diff(*totals, u.Totals); diff != "" {
				t.Fatalf("page %d totals differ (-first +this):\n%s", page, diff)
			}
		}
		totals = &u.Totals
		out = append(out, u.Groups...)
		if u.NextCursor == "" {
			return out
		}
		q.Cursor = u.NextCursor
	}
}

func TestUsageRejectsForeignCursorsAndLimits(t *testing.T) {
	e := newEnv(t)
	from, _ := billing.ParseDate("2026-11-01")
	to, _ := billing.ParseDate("2026-11-30")
	tests := []struct {
		name string
		q    billing.UsageQuery
	}{
		{"not base64", billing.UsageQuery{Cursor: "%%%"}},
		{"not a usage cursor", billing.UsageQuery{Cursor: "eyJhIjoxfQ"}},
		{"cursor of a grouping by day, asked without", billing.UsageQuery{GroupBy: []billing.Dimension{billing.DimPhoneNumber},
			Cursor: "WyIyMDI2LTExLTAxIiwicCIsIiIsIiIsIiJd"}},
		{"limit above the maximum", billing.UsageQuery{Limit: billing.MaxUsageGroups + 1}},
		{"negative limit", billing.UsageQuery{Limit: -1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.q.From, tc.q.To = from, to
			if _, err := e.billing.Usage(e.ctx, e.tenant.ID, tc.q); !apperr.Is(err, apperr.Invalid) {
				t.Fatalf("got %v, want an invalid argument error", err)
			}
		})
	}
}

// ledgerGroups counts the ledger grouped by cols, keyed like checkEveryGrouping.
func (e *env) ledgerGroups(t *testing.T, cols []string, from, to time.Time) map[string]billing.Counts {
	t.Helper()
	key := make([]string, len(usageDims))
	for i, d := range usageDims {
		key[i] = "''"
		if slices.Contains(cols, d.col) {
			key[i] = d.col + "::text"
		}
	}
	group := ""
	if len(cols) > 0 {
		group = " GROUP BY " + strings.Join(cols, ", ")
	}
	rows, err := e.db.Query(e.ctx, `SELECT concat_ws('|', `+strings.Join(key, ", ")+`),
		count(*), count(sent_at), count(*) FILTER (WHERE delivered_at IS NOT NULL OR read_at IS NOT NULL),
		count(read_at), count(failed_at), count(*) FILTER (WHERE charged), count(*) FILTER (WHERE fallback)
		FROM billing_ledger WHERE tenant_id = $1 AND day BETWEEN $2 AND $3`+group, e.tenant.ID, from, to)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]billing.Counts{}
	for rows.Next() {
		var k string
		var c billing.Counts
		if err := rows.Scan(&k, &c.Messages, &c.Sent, &c.Delivered, &c.Read, &c.Failed, &c.Charged, &c.Fallback); err != nil {
			t.Fatal(err)
		}
		if c.Messages > 0 {
			out[k] = c
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func billingDay(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

func bodiesAt(bodies [][]byte, at time.Time) []webhooks.Body {
	out := make([]webhooks.Body, len(bodies))
	for i, b := range bodies {
		out[i] = webhooks.Body{Raw: b, ReceivedAt: at, AppID: "app"}
	}
	return out
}
