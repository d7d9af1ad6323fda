package webhooks_test

import (
	"testing"
	"time"

	"github.com/wabsp/wabsp/webhooks"
)

// archiveAt archives raw as received at at and, when routed, marks it so.
func (e *env) archiveAt(t *testing.T, raw []byte, at time.Time, routed bool) []webhooks.Archived {
	t.Helper()
	out, err := e.svc.Archive(e.ctx, []webhooks.Body{{Raw: raw, ReceivedAt: at, AppID: "app1"}})
	if err != nil {
		t.Fatalf("archive: %v", err)
	}
	if routed && len(out) > 0 {
		if err := e.svc.MarkRouted(e.ctx, []int64{out[0].ID}); err != nil {
			t.Fatalf("mark routed: %v", err)
		}
	}
	return out
}

// TestRedeliveryAcrossMonthsArchivedOnce redelivers bodies in the month
// after the first delivery: the archive is partitioned by receipt month, and
// a body must still be stored once.
func TestRedeliveryAcrossMonthsArchivedOnce(t *testing.T) {
	jan31, feb1 := time.Date(2027, 1, 31, 23, 59, 0, 0, time.UTC), time.Date(2027, 2, 1, 0, 1, 0, 0, time.UTC)
	tests := []struct {
		name   string
		routed bool
		// want is how many bodies the redelivery hands back for routing.
		want int
	}{
		{"routed body dropped", true, 0},
		{"pending body returned with its first receipt", false, 1},
	}
	e := newEnv(t)
	e.seedMain(t)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e.reset(t)
			raw := statusBody(status("wamid.months", "sent", 1750030073))
			first := e.archiveAt(t, raw, jan31, tc.routed)
			again := e.archiveAt(t, raw, feb1, false)
			if len(again) != tc.want {
				t.Fatalf("redelivery returned %d bodies, want %d", len(again), tc.want)
			}
			if tc.want == 1 && (again[0].ID != first[0].ID || !again[0].ReceivedAt.Equal(jan31)) {
				t.Errorf("redelivery came back as %d at %s, want %d at %s", again[0].ID, again[0].ReceivedAt, first[0].ID, jan31)
			}
			if n := e.count(t, `SELECT count(*) FROM webhook_archive`); n != 1 {
				t.Errorf("%d archived bodies, want 1", n)
			}
			if n := e.count(t, `SELECT count(*) FROM webhook_archive_p202701`); n != 1 {
				t.Errorf("%d bodies in January's partition, want 1", n)
			}
		})
	}
}

// TestPurgeArchiveDropsMonths runs the archive retention over a month past
// it: the month is dropped with the route records and digests of its
// routed and poison bodies, while its pending body is carried over and
// still deduplicates.
func TestPurgeArchiveDropsMonths(t *testing.T) {
	e := newEnv(t)
	e.seedMain(t)
	now := time.Now().UTC()
	old := now.AddDate(0, -3, 0)
	month := "webhook_archive_p" + old.Format("200601")
	e.exec(t, `SELECT create_month_partition('webhook_archive', $1::date)`, old)
	routed := statusBody(status("wamid.old.routed", "sent", 1750030073))
	pending := statusBody(status("wamid.old.pending", "sent", 1750030073))
	recent := statusBody(status("wamid.recent", "sent", 1750030073))
	e.run(t, routed)
	e.exec(t, `UPDATE webhook_archive SET received_at = $1`, old)
	e.exec(t, `UPDATE webhook_archive_digests SET received_at = $1`, old)
	e.archiveAt(t, pending, old, false)
	e.archiveAt(t, []byte("not json"), old, false)
	e.archiveAt(t, recent, now, true)

	n, err := e.svc.PurgeArchive(e.ctx, now.AddDate(0, 0, -30), 1000)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		got  int
		want int
	}{
		{"bodies removed (routed and poison)", int(n), 2},
		{"month dropped", e.count(t, `SELECT count(*) FROM pg_class WHERE relname = '`+month+`'`), 0},
		{"pending body carried into the default partition", e.count(t, `SELECT count(*) FROM webhook_archive_default WHERE received_at = $1`, old), 1},
		{"recent body kept", e.count(t, `SELECT count(*) FROM webhook_archive WHERE received_at = $1`, now.Truncate(time.Microsecond)), 1},
		{"digests of the removed bodies purged", e.count(t, `SELECT count(*) FROM webhook_archive_digests`), 2},
		{"route records purged", e.count(t, `SELECT count(*) FROM webhook_routes r WHERE NOT EXISTS
			(SELECT 1 FROM webhook_archive a WHERE a.id = r.archive_id)`), 0},
		{"routed marks purged", e.count(t, `SELECT count(*) FROM webhook_routed r WHERE NOT EXISTS
			(SELECT 1 FROM webhook_archive a WHERE a.id = r.archive_id)`), 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.got != tc.want {
				t.Errorf("got %d, want %d", tc.got, tc.want)
			}
		})
	}
	if again := e.archiveAt(t, pending, now, false); len(again) != 1 || !again[0].ReceivedAt.Equal(old.Truncate(time.Microsecond)) {
		t.Errorf("pending body after the drop: %+v, want it back with its first receipt", again)
	}
}
