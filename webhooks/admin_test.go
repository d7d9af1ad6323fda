package webhooks_test

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/wabsp/wabsp/internal/apperr"
	"github.com/wabsp/wabsp/webhooks"
)

// archiveWorld archives five bodies an hour apart: three routed to the main
// tenant, one orphan, one poison. It returns their ids oldest first.
func archiveWorld(t *testing.T, e *env) []int64 {
	t.Helper()
	base := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	bodies := [][]byte{
		statusBody(status("wamid.1", "sent", 1750030073)),
		statusBody(status("wamid.2", "sent", 1750030073)),
		envelope("99999", "account_update", `{"event":"ACCOUNT_DELETED"}`),
		[]byte(`{"truncated":`),
		statusBody(status("wamid.3", "sent", 1750030073)),
	}
	var ids []int64
	for i, raw := range bodies {
		archived, err := e.svc.Archive(e.ctx, []webhooks.Body{{Raw: raw, ReceivedAt: base.Add(time.Duration(i) * time.Hour)}})
		if err != nil {
			t.Fatal(err)
		}
		if len(archived) > 0 {
			e.routeApply(t, archived)
			if err := e.svc.MarkRouted(e.ctx, []int64{archived[0].ID}); err != nil {
				t.Fatal(err)
			}
		}
		ids = append(ids, e.archiveID(t, raw))
	}
	return ids
}

// TestArchiveAdmin covers the admin reads over one archived world.
func TestArchiveAdmin(t *testing.T) {
	e := newEnv(t)
	tenant := e.seedMain(t)
	ids := archiveWorld(t, e)
	t.Run("list", func(t *testing.T) { testListArchive(t, e, tenant, ids) })
	t.Run("get", func(t *testing.T) { testGetArchive(t, e, tenant, ids) })
	t.Run("replay", func(t *testing.T) { testReplay(t, e, tenant, ids) })
}

func testListArchive(t *testing.T, e *env, tenant uuid.UUID, ids []int64) {
	tests := []struct {
		name   string
		filter webhooks.ArchiveFilter
		want   []int64
	}{
		{"all newest first", webhooks.ArchiveFilter{}, []int64{ids[4], ids[3], ids[2], ids[1], ids[0]}},
		{"poison", webhooks.ArchiveFilter{Status: webhooks.StatusPoison}, []int64{ids[3]}},
		{"orphan", webhooks.ArchiveFilter{Status: webhooks.StatusOrphan}, []int64{ids[2]}},
		{"routed to a tenant", webhooks.ArchiveFilter{TenantID: tenant}, []int64{ids[4], ids[1], ids[0]}},
		{"time range", webhooks.ArchiveFilter{From: time.Date(2026, 3, 1, 11, 0, 0, 0, time.UTC), To: time.Date(2026, 3, 1, 13, 0, 0, 0, time.UTC)},
			[]int64{ids[2], ids[1]}},
		{"by body sha256", webhooks.ArchiveFilter{SHA256: bodySum(statusBody(status("wamid.2", "sent", 1750030073)))}, []int64{ids[1]}},
		{"sha256 and a tenant the body was not routed to", webhooks.ArchiveFilter{
			SHA256: bodySum(statusBody(status("wamid.2", "sent", 1750030073))), TenantID: uuid.New()}, []int64{}},
		{"unknown sha256", webhooks.ArchiveFilter{SHA256: bodySum([]byte("never sent"))}, []int64{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			entries, _, err := e.svc.ListArchive(e.ctx, tc.filter)
			if err != nil {
				t.Fatal(err)
			}
			got := make([]int64, len(entries))
			for i, en := range entries {
				got[i] = en.ID
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Fatalf("(-want +got):\n%s", diff)
			}
		})
	}
	t.Run("cursor paging", func(t *testing.T) {
		var got []int64
		f := webhooks.ArchiveFilter{Limit: 2}
		for pages := 0; pages < 5; pages++ {
			entries, next, err := e.svc.ListArchive(e.ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			for _, en := range entries {
				got = append(got, en.ID)
			}
			if next == "" {
				break
			}
			f.Cursor = next
		}
		if diff := cmp.Diff([]int64{ids[4], ids[3], ids[2], ids[1], ids[0]}, got); diff != "" {
			t.Fatalf("(-want +got):\n%s", diff)
		}
	})
	t.Run("bad input", func(t *testing.T) {
		for _, f := range []webhooks.ArchiveFilter{{Status: "lost"}, {Cursor: "!!"}, {SHA256: "abc"}, {SHA256: strings.Repeat("z", 64)}} {
			if _, _, err := e.svc.ListArchive(e.ctx, f); apperr.CodeOf(err) != apperr.Invalid {
				t.Fatalf("%+v: err = %v, want invalid", f, err)
			}
		}
	})
}

func testGetArchive(t *testing.T, e *env, tenant uuid.UUID, ids []int64) {
	got, err := e.svc.GetArchive(e.ctx, ids[0])
	if err != nil {
		t.Fatal(err)
	}
	raw := statusBody(status("wamid.1", "sent", 1750030073))
	if string(got.Body) != string(raw) || got.Status != webhooks.StatusRouted || got.Size != len(raw) ||
		len(got.SHA256) != 64 || !cmp.Equal(got.Tenants, []uuid.UUID{tenant}) {
		t.Fatalf("got %+v", got)
	}
	orphan, err := e.svc.GetArchive(e.ctx, ids[2])
	if err != nil {
		t.Fatal(err)
	}
	if orphan.Orphans != 1 {
		t.Fatalf("orphans = %d, want 1", orphan.Orphans)
	}
	if _, err := e.svc.GetArchive(e.ctx, 1<<40); apperr.CodeOf(err) != apperr.NotFound {
		t.Fatalf("missing id: err = %v", err)
	}
}

func TestPurgeArchive(t *testing.T) {
	e := newEnv(t)
	e.seedMain(t)
	ids := archiveWorld(t, e)
	pending := statusBody(status("wamid.pending", "sent", 1750030073))
	if _, err := e.svc.Archive(e.ctx, []webhooks.Body{{Raw: pending, ReceivedAt: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)}}); err != nil {
		t.Fatal(err)
	}
	ids = append(ids, e.archiveID(t, pending))
	n, err := e.svc.PurgeArchive(e.ctx, time.Date(2026, 3, 1, 12, 30, 0, 0, time.UTC), 1)
	if err != nil {
		t.Fatal(err)
	}
	if n != 3 {
		t.Fatalf("purged %d, want 3", n)
	}
	var left []int64
	rows, err := e.db.Query(e.ctx, `SELECT id FROM webhook_archive ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		left = append(left, id)
	}
	// The old unrouted body stays; so do the poison and routed ones received
	// after the cut.
	if diff := cmp.Diff([]int64{ids[3], ids[4], ids[5]}, left); diff != "" {
		t.Fatalf("left (-want +got):\n%s", diff)
	}
	leftovers := e.count(t, `SELECT (SELECT count(*) FROM webhook_orphans) + (SELECT count(*) FROM webhook_routes WHERE archive_id < $1)
		+ (SELECT count(*) FROM webhook_routed WHERE archive_id < $1)`, ids[3])
	if leftovers != 0 {
		t.Fatalf("%d orphan, route or routed rows of purged bodies left", leftovers)
	}
}

func testReplay(t *testing.T, e *env, tenant uuid.UUID, ids []int64) {
	tests := []struct {
		name   string
		filter webhooks.ReplayFilter
		want   []int64
	}{
		{"ids", webhooks.ReplayFilter{IDs: []int64{ids[4], ids[0]}}, []int64{ids[0], ids[4]}},
		{"tenant", webhooks.ReplayFilter{TenantID: tenant}, []int64{ids[0], ids[1], ids[4]}},
		{"tenant after id", webhooks.ReplayFilter{TenantID: tenant, AfterID: ids[0], Limit: 1}, []int64{ids[1]}},
		{"time range", webhooks.ReplayFilter{From: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}, []int64{ids[2], ids[3], ids[4]}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := e.svc.ArchivedForReplay(e.ctx, tc.filter)
			if err != nil {
				t.Fatal(err)
			}
			gotIDs := make([]int64, len(got))
			for i, a := range got {
				gotIDs[i] = a.ID
			}
			if diff := cmp.Diff(tc.want, gotIDs); diff != "" {
				t.Fatalf("(-want +got):\n%s", diff)
			}
		})
	}
	t.Run("needs a criterion", func(t *testing.T) {
		if _, err := e.svc.ArchivedForReplay(e.ctx, webhooks.ReplayFilter{}); apperr.CodeOf(err) != apperr.Invalid {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("replaying applies nothing twice", func(t *testing.T) {
		before := e.count(t, `SELECT count(*) FROM message_statuses`)
		all, err := e.svc.ArchivedForReplay(e.ctx, webhooks.ReplayFilter{IDs: ids})
		if err != nil {
			t.Fatal(err)
		}
		e.routeApply(t, all)
		if after := e.count(t, `SELECT count(*) FROM message_statuses`); after != before || before != 3 {
			t.Fatalf("statuses %d before, %d after replay; want 3 and 3", before, after)
		}
	})
}

func bodySum(raw []byte) string {
	sum := sha256.Sum256(raw)
	return hex.EncodeToString(sum[:])
}
