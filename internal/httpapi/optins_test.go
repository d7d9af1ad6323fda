package httpapi_test

import (
	"encoding/csv"
	"net/http"
	"strings"
	"testing"

	"github.com/wabsp/wabsp/openapi"
)

// TestOptinsAPI walks the opt-ins API as a tenant's CRM would: record a
// consent (retried with its Idempotency-Key), import a file with a bad row,
// ask before a campaign, export for an audit, erase on request.
func TestOptinsAPI(t *testing.T) {
	e := newEnv(t, options{})
	tok := e.token(e.clientA)
	base := "/v1/tenants/" + e.tenantA.ID.String()

	consent := `{"contact":{"wa_id":"+1 650-555-0001"},"purpose":"marketing","action":"opt_in","source":"web_form",
		"occurred_at":"2026-03-02T10:00:00Z","evidence":{"notice_text":"Yes to Tenant A offers","ip":"203.0.113.7"}}`
	key := map[string]string{"Idempotency-Key": "crm-42"}
	var first, again openapi.ConsentEntry
	must(t, e.do(request{method: "POST", path: base + "/consents", token: tok, body: consent, header: key}), http.StatusCreated, &first)
	must(t, e.do(request{method: "POST", path: base + "/consents", token: tok, body: consent, header: key}), http.StatusCreated, &again)
	if first.Id != again.Id || first.WaId == nil || *first.WaId != "16505550001" || !strings.HasPrefix(first.Actor, "tenant:") {
		t.Errorf("first %+v, again %+v", first, again)
	}
	other := strings.Replace(consent, `"opt_in"`, `"opt_out"`, 1)
	if res := e.do(request{method: "POST", path: base + "/consents", token: tok, body: other, header: key}); res.status != http.StatusConflict {
		t.Errorf("same key, other body: %d %s", res.status, res.body)
	}
	noEvidence := strings.Replace(consent, `"evidence":{"notice_text":"Yes to Tenant A offers","ip":"203.0.113.7"}`, `"evidence":{}`, 1)
	res := e.do(request{method: "POST", path: base + "/consents", token: tok, body: noEvidence})
	if res.status != http.StatusBadRequest || res.problem(t).Code != "invalid_request" {
		t.Errorf("consent without evidence: %d %s", res.status, res.body)
	}

	file := "wa_id,purpose,source,occurred_at,notice_text\n" +
		"16505550002,utility,web_form,2026-03-01T09:00:00Z,Order updates on WhatsApp\n" +
		"not-a-number,utility,web_form,2026-03-01T09:00:00Z,Order updates on WhatsApp\n"
	var imp openapi.ContactImport
	must(t, e.do(request{method: "POST", path: base + "/contact-imports", token: tok, body: file, contentType: "text/csv"}), http.StatusCreated, &imp)
	if imp.RowsImported != 1 || imp.RowsRejected != 1 || imp.Errors == nil || (*imp.Errors)[0].Line != 3 {
		t.Errorf("import = %+v", imp)
	}
	var jsonImp openapi.ContactImport
	must(t, e.do(request{method: "POST", path: base + "/contact-imports", token: tok,
		body: `{"rows":[{"wa_id":"16505550003","purpose":"all","source":"import","occurred_at":"2026-03-01T09:00:00Z","note":"paper form"}]}`}),
		http.StatusCreated, &jsonImp)
	if jsonImp.Format != "json" || jsonImp.RowsImported != 1 {
		t.Errorf("JSON import = %+v", jsonImp)
	}

	var bulk openapi.EligibilityList
	must(t, e.do(request{method: "POST", path: base + "/eligibility/bulk", token: tok,
		body: `{"kind":"marketing","contacts":[{"wa_id":"16505550001"},{"wa_id":"16505550002"},{"wa_id":"16505550003"},{"wa_id":"16505559999"}]}`}),
		http.StatusOK, &bulk)
	got := make([]string, len(bulk.Items))
	for i, el := range bulk.Items {
		reasons := make([]string, len(el.Reasons))
		for j, r := range el.Reasons {
			reasons[j] = string(r)
		}
		got[i] = strings.Join(reasons, "+")
	}
	want := []string{"", "no_opt_in", "", "unknown_contact+no_opt_in"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("bulk reasons = %q, want %q", got, want)
	}

	res = e.do(request{method: "GET", path: base + "/consents/export?from=2026-02-01T00:00:00Z&to=2026-04-01T00:00:00Z", token: tok})
	if res.status != http.StatusOK || !strings.HasPrefix(res.header.Get("Content-Type"), "text/csv") {
		t.Fatalf("export: %d %s", res.status, res.body)
	}
	rows, err := csv.NewReader(strings.NewReader(string(res.body))).ReadAll()
	if err != nil || len(rows) != 4 || rows[0][0] != "id" {
		t.Errorf("export rows = %v (%v)", rows, err)
	}

	var erased openapi.Contact
	must(t, e.do(request{method: "POST", path: base + "/contacts/" + first.ContactId.String() + "/erasure", token: tok}), http.StatusOK, &erased)
	var hist openapi.ConsentHistory
	must(t, e.do(request{method: "GET", path: base + "/contacts/" + first.ContactId.String() + "/consents", token: tok}), http.StatusOK, &hist)
	if erased.Status != "erased" || len(hist.Entries) != 1 || hist.Entries[0].Evidence.Ip != nil || hist.Entries[0].Evidence.NoticeText == nil {
		t.Errorf("erased %+v, history %+v", erased, hist)
	}
}
