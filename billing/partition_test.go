package billing_test

import (
	"testing"
	"time"

	"github.com/wabsp/wabsp/billing"
	"github.com/wabsp/wabsp/internal/metasim"
)

// TestLedgerRowSpansMonths plays a message whose statuses straddle a month
// boundary, each arriving in its own body and in several orders: the
// ledger is partitioned by month, and the message must still be one row
// (in the month it was first seen), charged once.
func TestLedgerRowSpansMonths(t *testing.T) {
	jan31, feb1 := at("2027-01-31T23:59:00Z"), at("2027-02-01T00:01:00Z")
	to := "5511999990000"
	sent := metasim.Status{WAMID: "wamid.M", Status: "sent", Timestamp: jan31, RecipientID: to, Pricing: regular("marketing")}
	delivered := metasim.Status{WAMID: "wamid.M", Status: "delivered", Timestamp: feb1, RecipientID: to, Pricing: regular("marketing")}
	read := metasim.Status{WAMID: "wamid.M", Status: "read", Timestamp: feb1.Add(time.Minute), RecipientID: to}
	type arrival struct {
		st       metasim.Status
		received time.Time
	}
	tests := []struct {
		name      string
		arrivals  []arrival
		wantMonth string
		// staleKey pins the message to a month before any row exists, as
		// a key left behind by retention does.
		staleKey string
	}{
		{"in order", []arrival{{sent, jan31}, {delivered, feb1}, {read, feb1}}, "2027-01-01", ""},
		{"read first, sent last", []arrival{{read, feb1}, {delivered, feb1}, {sent, jan31}}, "2027-02-01", ""},
		{"delivered first, then a redelivery of everything",
			[]arrival{{delivered, feb1}, {sent, jan31}, {read, feb1}, {sent, feb1}, {delivered, feb1}}, "2027-02-01", ""},
		{"late receipt of an earlier month's webhook", []arrival{{read, feb1}, {sent, jan31.Add(-time.Hour)}}, "2027-02-01", ""},
		{"key left without its row", []arrival{{sent, jan31}, {read, feb1}}, "2027-03-01", "2027-03-01"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			if tc.staleKey != "" {
				if _, err := e.db.Exec(e.ctx, `INSERT INTO billing_ledger_keys (tenant_id, wamid, month) VALUES ($1, 'wamid.M', $2)`,
					e.tenant.ID, tc.staleKey); err != nil {
					t.Fatal(err)
				}
			}
			for _, a := range tc.arrivals {
				e.received = a.received
				e.deliver(t, e.statuses(a.st))
			}
			var rows, keys int
			var month time.Time
			if err := e.db.QueryRow(e.ctx, `SELECT count(*), min(month) FROM billing_ledger WHERE wamid = 'wamid.M'`).
				Scan(&rows, &month); err != nil {
				t.Fatal(err)
			}
			if err := e.db.QueryRow(e.ctx, `SELECT count(*) FROM billing_ledger_keys WHERE wamid = 'wamid.M'`).Scan(&keys); err != nil {
				t.Fatal(err)
			}
			if rows != 1 || keys != 1 {
				t.Fatalf("%d ledger rows and %d keys, want 1 and 1", rows, keys)
			}
			if got := month.Format(time.DateOnly); got != tc.wantMonth {
				t.Errorf("row lives in month %s, want %s", got, tc.wantMonth)
			}
			u := e.usage(t, "2027-01-01", "2027-02-28", billing.DimCategory)
			if len(u.Groups) != 1 || u.Groups[0].Counts.Messages != 1 || u.Groups[0].Counts.Charged != 1 {
				t.Errorf("usage over both months: %+v, want one message charged once", u.Groups)
			}
			e.mustRecount(t, e.tenant.ID)
		})
	}
}
