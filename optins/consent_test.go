package optins_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wabsp/wabsp/internal/apperr"
	"github.com/wabsp/wabsp/internal/events"
	"github.com/wabsp/wabsp/optins"
)

func validConsent(wa string) optins.ConsentInput {
	return optins.ConsentInput{
		Contact: optins.ContactRef{WaID: wa}, Purpose: optins.PurposeMarketing, Action: optins.ActionOptIn,
		Source:   optins.SourceWebForm,
		Evidence: optins.Evidence{NoticeText: "Acme may send me offers on WhatsApp", IP: "203.0.113.7", UserAgent: "Mozilla/5.0"},
		// Finer than Postgres keeps, as clients' clocks are.
		OccurredAt: t0.Add(1500 * time.Nanosecond),
	}
}

func TestRecordConsentRejectsBadInput(t *testing.T) {
	e := newEnv(t)
	e.clock.set(t0.Add(time.Hour))
	tests := []struct {
		name  string
		edit  func(*optins.ConsentInput)
		field string
	}{
		{"malformed number", func(c *optins.ConsentInput) { c.Contact.WaID = "+1 (650) CALL-NOW" }, "contact.wa_id"},
		{"number too long", func(c *optins.ConsentInput) { c.Contact.WaID = "1234567890123456" }, "contact.wa_id"},
		{"no contact", func(c *optins.ConsentInput) { c.Contact = optins.ContactRef{} }, "contact"},
		{"bad bsuid", func(c *optins.ConsentInput) { c.Contact = optins.ContactRef{BSUID: "no dots here!"} }, "contact.bsuid"},
		{"unknown purpose", func(c *optins.ConsentInput) { c.Purpose = "newsletters" }, "purpose"},
		{"unknown action", func(c *optins.ConsentInput) { c.Action = "maybe" }, "action"},
		{"missing source", func(c *optins.ConsentInput) { c.Source = "" }, "source"},
		{"Meta's source", func(c *optins.ConsentInput) { c.Source = optins.SourceUserPreferences }, "source"},
		{"no evidence", func(c *optins.ConsentInput) { c.Evidence = optins.Evidence{IP: "203.0.113.7"} }, "evidence"},
		{"bad ip", func(c *optins.ConsentInput) { c.Evidence.IP = "300.1.1.1" }, "evidence.ip"},
		{"future", func(c *optins.ConsentInput) { c.OccurredAt = t0.Add(48 * time.Hour) }, "occurred_at"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := validConsent("15550001111")
			tt.edit(&in)
			_, err := e.svc.RecordConsent(e.ctx, e.tenant, "tenant:test", in, "")
			ae, ok := apperr.As(err)
			if !ok || ae.Code != apperr.Invalid || ae.Fields[tt.field] == "" {
				t.Errorf("err = %v, want invalid_request naming %s", err, tt.field)
			}
		})
	}
	if n := e.count(t, `SELECT count(*) FROM consent_ledger`); n != 0 {
		t.Errorf("ledger rows after rejected writes = %d", n)
	}
}

func TestRecordConsentIdempotencyKey(t *testing.T) {
	e := newEnv(t)
	e.clock.set(t0.Add(time.Hour))
	in := validConsent("15550002222")
	first, err := e.svc.RecordConsent(e.ctx, e.tenant, "tenant:test", in, "key-1")
	if err != nil {
		t.Fatal(err)
	}
	again, err := e.svc.RecordConsent(e.ctx, e.tenant, "tenant:test", in, "key-1")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(first, again); diff != "" {
		t.Errorf("replay (-first +again):\n%s", diff)
	}
	other := in
	other.Action = optins.ActionOptOut
	if _, err := e.svc.RecordConsent(e.ctx, e.tenant, "tenant:test", other, "key-1"); !apperr.Is(err, apperr.Conflict) {
		t.Errorf("same key, other body: %v, want conflict", err)
	}
	if _, err := e.svc.RecordConsent(e.ctx, e.tenant, "tenant:test", in, "key-2"); err != nil {
		t.Fatal(err)
	}
	if n := e.count(t, `SELECT count(*) FROM consent_ledger`); n != 2 {
		t.Errorf("ledger rows = %d, want 2 (key-1 once, key-2 once)", n)
	}
	if n := e.eventCount(t, events.OptinChanged); n != 2 {
		t.Errorf("optin.changed events = %d, want 2", n)
	}
	// Keys are per tenant.
	other2 := e.seedTenant(t, "900000000000001", "900000000000002", "+15550009999")
	if _, err := e.svc.RecordConsent(e.ctx, other2, "tenant:test", other, "key-1"); err != nil {
		t.Errorf("another tenant's key-1: %v", err)
	}
}

// TestLedgerIsAppendOnly checks the database refuses changes to entries
// other than erasure, even from the owning role that bypasses RLS.
func TestLedgerIsAppendOnly(t *testing.T) {
	e := newEnv(t)
	e.clock.set(t0.Add(time.Hour))
	en, err := e.svc.RecordConsent(e.ctx, e.tenant, "tenant:test", validConsent("15550003333"), "")
	if err != nil {
		t.Fatal(err)
	}
	for _, sql := range []string{
		`UPDATE consent_ledger SET action = 'opt_out' WHERE id = $1`,
		`UPDATE consent_ledger SET occurred_at = occurred_at - interval '1 day' WHERE id = $1`,
		`UPDATE consent_ledger SET evidence_ip = NULL, erased_at = now(), notice_text = 'changed' WHERE id = $1`,
		`DELETE FROM consent_ledger WHERE id = $1`,
	} {
		if _, err := e.db.Exec(e.ctx, sql, en.ID); err == nil {
			t.Errorf("%s: succeeded", sql)
		}
	}
}

// TestErase checks erasure tombstones the personal fields and keeps the
// facts and the projection.
func TestErase(t *testing.T) {
	e := newEnv(t)
	e.clock.set(t0.Add(time.Hour))
	in := validConsent("15550004444")
	in.OccurredAt = t0.Add(-time.Minute)
	en, err := e.svc.RecordConsent(e.ctx, e.tenant, "tenant:test", in, "")
	if err != nil {
		t.Fatal(err)
	}
	e.feed(t, inbound("15550004444", "US.55500044449", "wamid.er1", t0.Unix(), text("STOP")))
	before := e.mustContact(t, optins.ContactRef{ID: en.ContactID})
	c, err := e.svc.Erase(e.ctx, e.tenant, en.ContactID)
	if err != nil {
		t.Fatal(err)
	}
	if c.Status != optins.StatusErased || c.WaID != "" || c.BSUID != "" || c.ProfileName != "" || c.ErasedAt == nil {
		t.Errorf("erased contact = %+v", c)
	}
	after, hist, err := e.svc.ContactHistory(e.ctx, e.tenant, en.ContactID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(before.Consents, after.Consents); diff != "" {
		t.Errorf("projection changed by erasure (-before +after):\n%s", diff)
	}
	if len(hist) != 2 {
		t.Fatalf("history = %+v", hist)
	}
	for _, h := range hist {
		ev := h.Evidence
		if h.WaID != "" || h.BSUID != "" || ev.IP != "" || ev.UserAgent != "" || ev.MessageText != "" || h.ErasedAt == nil {
			t.Errorf("entry %d keeps personal data: %+v", h.ID, h)
		}
	}
	if hist[0].Evidence.NoticeText != in.Evidence.NoticeText || hist[1].Evidence.MessageID != "wamid.er1" {
		t.Errorf("erasure dropped the business's evidence: %+v", hist)
	}
	if _, err := e.svc.FindContact(e.ctx, e.tenant, optins.ContactRef{WaID: "15550004444"}); !apperr.Is(err, apperr.NotFound) {
		t.Errorf("find by erased number: %v, want not_found", err)
	}
	if _, err := e.svc.Erase(e.ctx, e.tenant, en.ContactID); err != nil {
		t.Errorf("second erasure: %v", err)
	}
}

func TestListLedgerAndExport(t *testing.T) {
	e := newEnv(t)
	e.clock.set(t0.Add(time.Hour))
	var ids []int64
	for i, wa := range []string{"15550005001", "15550005002", "15550005003", "15550005004", "15550005005"} {
		in := validConsent(wa)
		in.OccurredAt = t0.Add(-time.Duration(5-i) * time.Minute)
		if i%2 == 1 {
			in.Action = optins.ActionOptOut
		}
		en, err := e.svc.RecordConsent(e.ctx, e.tenant, "tenant:test", in, "")
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, en.ID)
	}
	var paged []int64
	page := optins.Page{Limit: 2}
	for {
		l, err := e.svc.ListLedger(e.ctx, e.tenant, optins.LedgerFilter{}, page)
		if err != nil {
			t.Fatal(err)
		}
		for _, en := range l.Items {
			paged = append(paged, en.ID)
		}
		if l.NextCursor == "" {
			break
		}
		page.Cursor = l.NextCursor
	}
	want := []int64{ids[4], ids[3], ids[2], ids[1], ids[0]}
	if diff := cmp.Diff(want, paged); diff != "" {
		t.Errorf("pages, newest first (-want +got):\n%s", diff)
	}
	outs, err := e.svc.ListLedger(e.ctx, e.tenant, optins.LedgerFilter{Action: optins.ActionOptOut}, optins.Page{})
	if err != nil {
		t.Fatal(err)
	}
	if len(outs.Items) != 2 {
		t.Errorf("opt-outs = %d, want 2", len(outs.Items))
	}
	var exported []int64
	f := optins.LedgerFilter{From: t0.Add(-4 * time.Minute), To: t0.Add(-time.Minute)}
	if err := e.svc.ExportLedger(e.ctx, e.tenant, f, func(en optins.Entry) error {
		exported = append(exported, en.ID)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]int64{ids[1], ids[2], ids[3]}, exported); diff != "" {
		t.Errorf("export of a range, oldest first (-want +got):\n%s", diff)
	}
	if _, err := e.svc.ListLedger(e.ctx, e.tenant, optins.LedgerFilter{Purpose: "news"}, optins.Page{}); !apperr.Is(err, apperr.Invalid) {
		t.Errorf("unknown purpose filter: %v", err)
	}
	if _, err := e.svc.ListLedger(e.ctx, e.tenant, optins.LedgerFilter{}, optins.Page{Cursor: "garbage"}); !apperr.Is(err, apperr.Invalid) {
		t.Errorf("bad cursor: %v", err)
	}
}
