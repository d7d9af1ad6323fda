package insights_test

import (
	"testing"
	"time"

	"github.com/wabsp/wabsp/insights"
)

// TestMessageRowSpansMonths applies a message's statuses and annotation
// across a month boundary in several orders: insight_messages is partitioned
// by month, and the message must still be one row, in the month it was first
// seen, with its labels and every status.
func TestMessageRowSpansMonths(t *testing.T) {
	to := "5511988880000"
	sent := status("out.M", to, "sent", "2027-01-31T23:59:00Z")
	read := status("out.M", to, "read", "2027-02-01T00:02:00Z")
	ann := insights.Annotation{WAMID: "out.M", Agent: "alice", Campaign: "winter"}
	tests := []struct {
		name      string
		steps     []string
		wantMonth string
	}{
		{"in order", []string{"sent", "read", "annotate"}, "2027-01-01"},
		{"read first", []string{"read", "annotate", "sent"}, "2027-02-01"},
		{"annotation first, then both months", []string{"annotate", "read", "sent", "read"}, "2027-02-01"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			e.now = at("2027-02-01T00:05:00Z")
			for _, s := range tc.steps {
				switch s {
				case "sent":
					e.deliver(t, e.statuses(sent))
				case "read":
					e.deliver(t, e.statuses(read))
				case "annotate":
					e.annotate(t, ann)
				}
			}
			var rows, keys int
			var month time.Time
			if err := e.db.QueryRow(e.ctx, `SELECT count(*), min(month) FROM insight_messages WHERE wamid = 'out.M'`).
				Scan(&rows, &month); err != nil {
				t.Fatal(err)
			}
			if err := e.db.QueryRow(e.ctx, `SELECT count(*) FROM insight_message_keys WHERE wamid = 'out.M'`).Scan(&keys); err != nil {
				t.Fatal(err)
			}
			if rows != 1 || keys != 1 {
				t.Fatalf("%d insight rows and %d keys, want 1 and 1", rows, keys)
			}
			if got := month.Format(time.DateOnly); got != tc.wantMonth {
				t.Errorf("row lives in month %s, want %s", got, tc.wantMonth)
			}
			labels, found, err := e.insights.MessageLabels(e.ctx, e.tenant.ID, "out.M")
			if err != nil || !found || labels.Agent != "alice" || labels.Campaign != "winter" {
				t.Errorf("labels: %+v found=%v err=%v", labels, found, err)
			}
			e.mustRecount(t, e.tenant.ID)
		})
	}
}
