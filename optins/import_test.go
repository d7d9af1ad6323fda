package optins_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wabsp/wabsp/internal/apperr"
	"github.com/wabsp/wabsp/optins"
)

const importHeader = "wa_id,profile_name,purpose,action,source,occurred_at,notice_text,url,ip\n"

// goodRow is a valid CSV row for the n-th contact.
func goodRow(n int) string {
	return fmt.Sprintf("+1 555 %07d,Person %d,marketing,opt_in,web_form,2026-01-0%dT09:00:00Z,Acme offers on WhatsApp,https://acme.example/join,198.51.100.%d\n",
		n, n, 1+n%9, n%250)
}

// TestImportReportsBadRowsAndKeepsGoodOnes imports 100 rows of which 10
// are bad in different ways: 90 land, the 10 are reported by line.
func TestImportReportsBadRowsAndKeepsGoodOnes(t *testing.T) {
	e := newEnv(t)
	e.clock.set(t0)
	// A contact that already exists gets the entry, not a twin.
	existing, err := e.svc.CreateContact(e.ctx, e.tenant, optins.NewContact{WaID: "15550000003"})
	if err != nil {
		t.Fatal(err)
	}
	bad := map[int]struct{ row, field string }{
		10: {"15550abc,X,marketing,opt_in,web_form,2026-01-01T09:00:00Z,notice,,\n", "wa_id"},
		20: {"15550000020,X,newsletter,opt_in,web_form,2026-01-01T09:00:00Z,notice,,\n", "purpose"},
		30: {"15550000030,X,marketing,opt_in,web_form,2026-01-01T09:00:00Z,,,\n", "evidence"},
		40: {"15550000040,X,marketing,opt_in,,2026-01-01T09:00:00Z,notice,,\n", "source"},
		50: {"15550000050,X,marketing,opt_in,web_form,yesterday,notice,,\n", "occurred_at"},
		60: {"15550000060,X,marketing,opt_in,web_form,2026-01-01T09:00:00Z,notice,,10.0.0.300\n", "evidence.ip"},
		70: {"15550000001,X,marketing,opt_in,web_form,2026-01-01T09:00:00Z,notice,,\n", "row"},
		80: {"15550000080,X,marketing\n", "row"},
		90: {"15550000090,X,marketing,unsure,web_form,2026-01-01T09:00:00Z,notice,,\n", "action"},
		95: {"15550000095,X,marketing,opt_in,web_form,2030-01-01T09:00:00Z,notice,,\n", "occurred_at"},
	}
	var b strings.Builder
	b.WriteString(importHeader)
	var want []optins.RowError
	for n := 1; n <= 100; n++ {
		if r, ok := bad[n]; ok {
			b.WriteString(r.row)
			continue
		}
		b.WriteString(goodRow(n))
	}
	res, err := e.svc.Import(e.ctx, e.tenant, "tenant:test", optins.FormatCSV, []byte(b.String()), "import-1")
	if err != nil {
		t.Fatal(err)
	}
	for n := 1; n <= 100; n++ {
		if r, ok := bad[n]; ok {
			want = append(want, optins.RowError{Line: n + 1, Field: r.field})
		}
	}
	var got []optins.RowError
	for _, re := range res.Errors {
		if re.Reason == "" {
			t.Errorf("line %d: no reason", re.Line)
		}
		got = append(got, optins.RowError{Line: re.Line, Field: re.Field})
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("row errors (-want +got):\n%s", diff)
	}
	if res.Total != 100 || res.Imported != 90 || res.Rejected != 10 {
		t.Errorf("result = %d total, %d imported, %d rejected", res.Total, res.Imported, res.Rejected)
	}
	if n := e.count(t, `SELECT count(*) FROM consent_ledger WHERE import_id = $1`, res.ID); n != 90 {
		t.Errorf("ledger rows = %d, want 90", n)
	}
	if n := e.count(t, `SELECT count(*) FROM contacts WHERE source = 'import'`); n != 89 {
		t.Errorf("imported contacts = %d, want 89 (one existed)", n)
	}
	d := e.mustContact(t, optins.ContactRef{ID: existing.ID})
	if len(d.Consents) != 1 || d.Consents[0].Consent.Source != optins.SourceWebForm {
		t.Errorf("existing contact's consent = %+v", d.Consents)
	}
	stored, err := e.svc.ListImportErrors(e.ctx, e.tenant, res.ID, optins.Page{Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(res.Errors, stored.Items); diff != "" {
		t.Errorf("stored errors (-returned +stored):\n%s", diff)
	}

	again, err := e.svc.Import(e.ctx, e.tenant, "tenant:test", optins.FormatCSV, []byte(b.String()), "import-1")
	if err != nil {
		t.Fatal(err)
	}
	if again.ID != res.ID || e.count(t, `SELECT count(*) FROM consent_ledger`) != 90 {
		t.Errorf("replayed import wrote again: %v vs %v", again.ID, res.ID)
	}
	if _, err := e.svc.Import(e.ctx, e.tenant, "tenant:test", optins.FormatCSV, []byte(importHeader+goodRow(1)), "import-1"); !apperr.Is(err, apperr.Conflict) {
		t.Errorf("same key, other file: %v, want conflict", err)
	}
}

func TestImportRefusesUnreadableFiles(t *testing.T) {
	e := newEnv(t)
	e.clock.set(t0)
	tests := []struct {
		name, format, body string
	}{
		{"empty", optins.FormatCSV, ""},
		{"unknown column", optins.FormatCSV, "wa_id,purpose,consent_text\n15550000001,marketing,x\n"},
		{"broken quoting halfway", optins.FormatCSV, importHeader + goodRow(1) + "\"15550000002,unterminated\n" + goodRow(3)},
		{"json not an array", optins.FormatJSON, `{"wa_id":"15550000001"}`},
		{"json truncated", optins.FormatJSON, `[{"wa_id":"15550000001","purpose":"marketing"`},
		{"unknown format", "xlsx", "PK..."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := e.svc.Import(e.ctx, e.tenant, "tenant:test", tt.format, []byte(tt.body), ""); !apperr.Is(err, apperr.Invalid) {
				t.Errorf("err = %v, want invalid_request", err)
			}
		})
	}
	if n := e.count(t, `SELECT count(*) FROM contacts`) + e.count(t, `SELECT count(*) FROM consent_ledger`) +
		e.count(t, `SELECT count(*) FROM contact_imports`); n != 0 {
		t.Errorf("refused files left %d rows behind", n)
	}
}

func TestImportJSON(t *testing.T) {
	e := newEnv(t)
	e.clock.set(t0)
	if _, err := e.svc.CreateContact(e.ctx, e.tenant, optins.NewContact{WaID: "5511999990009", BSUID: "BR.11112222"}); err != nil {
		t.Fatal(err)
	}
	body := `[
		{"wa_id":"5511999990004","bsuid":"BR.11112222","purpose":"all","source":"import","occurred_at":"2025-12-01T12:00:00Z","note":"taken bsuid"},
		{"bsuid":"BR.99887766","purpose":"all","source":"import","occurred_at":"2025-12-01T12:00:00Z","note":"paper form 113"},
		{"wa_id":"5511999990001","purpose":"utility","action":"opt_out","source":"api","occurred_at":"2025-12-01T12:00:00-03:00","message_id":"wamid.abc"},
		{"wa_id":"5511999990002","purpose":"utility","source":"api","occurred_at":"2025-12-01T12:00:00Z","notice_text":5},
		{"wa_id":"5511999990003","purpose":"utility","source":"api","occurred_at":"2025-12-01T12:00:00Z","colour":"blue"}
	]`
	res, err := e.svc.Import(e.ctx, e.tenant, "tenant:test", optins.FormatJSON, []byte(body), "")
	if err != nil {
		t.Fatal(err)
	}
	want := []optins.RowError{
		{Line: 4, Field: "row", Reason: "notice_text must be a string"},
		{Line: 5, Field: "row", Reason: `unknown key "colour"`},
	}
	if diff := cmp.Diff(want, res.Errors); diff != "" || res.Imported != 3 {
		t.Errorf("imported %d; errors (-want +got):\n%s", res.Imported, diff)
	}
	d := e.mustContact(t, optins.ContactRef{BSUID: "BR.99887766"})
	if len(d.Consents) != 1 || d.Consents[0].Purpose != optins.PurposeAll {
		t.Errorf("BSUID-only import = %+v", d)
	}
	d = e.mustContact(t, optins.ContactRef{WaID: "5511999990004"})
	if d.BSUID != "" || len(d.Consents) != 1 {
		t.Errorf("row whose bsuid another contact holds = %+v", d)
	}
	if n := e.count(t, `SELECT count(*) FROM consent_ledger`); n != res.Imported {
		t.Errorf("ledger rows = %d, imported = %d", n, res.Imported)
	}
	d = e.mustContact(t, optins.ContactRef{WaID: "5511999990001"})
	if len(d.Consents) != 1 || d.Consents[0].Consent.Action != optins.ActionOptOut ||
		!d.Consents[0].Consent.OccurredAt.Equal(time.Date(2025, 12, 1, 15, 0, 0, 0, time.UTC)) {
		t.Errorf("opt-out import = %+v", d.Consents)
	}
}
