package optins_test

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/wabsp/wabsp/optins"
)

// importFile builds a CSV import of n contacts, one marketing opt-in each,
// with a notice, a URL, an IP address and a user agent as evidence.
func importFile(n, offset int) []byte {
	var b bytes.Buffer
	b.Grow(n * 160)
	b.WriteString("wa_id,purpose,action,source,occurred_at,notice_text,url,ip,user_agent\n")
	for i := range n {
		fmt.Fprintf(&b, "628%09d,marketing,opt_in,web_form,2026-01-%02dT%02d:%02d:00Z,Yes to Acme offers on WhatsApp,https://acme.example/join,203.0.113.%d,Mozilla/5.0\n",
			offset+i, 1+i%28, i%24, i%60, i%250)
	}
	return b.Bytes()
}

// BenchmarkImport1M imports 1,000,000 rows into a fresh tenant per
// iteration. Target: 20,000 rows/s.
//
//	go test ./optins/ -run '^$' -bench Import1M -benchtime 1x
func BenchmarkImport1M(b *testing.B) {
	const rows = 1_000_000
	e := newEnv(b)
	e.clock.set(t0)
	body := importFile(rows, 0)
	b.SetBytes(int64(len(body)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		tenant := e.seedTenant(b, fmt.Sprintf("7%014d", i), fmt.Sprintf("8%014d", i), fmt.Sprintf("+1555%07d", i))
		b.StartTimer()
		res, err := e.svc.Import(e.ctx, tenant, "tenant:bench", optins.FormatCSV, body, "")
		if err != nil {
			b.Fatal(err)
		}
		if res.Imported != rows {
			b.Fatalf("imported %d of %d: %+v", res.Imported, rows, res.Errors[:min(5, len(res.Errors))])
		}
	}
	b.ReportMetric(float64(rows*b.N)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkEligibilityBulk100k asks about 100,000 contacts in one bulk
// call: 90,000 known (opted in, a third with an open window, some opted
// out) and 10,000 unknown. Target: 50,000 contacts/s.
//
//	go test ./optins/ -run '^$' -bench EligibilityBulk100k -benchtime 5x
func BenchmarkEligibilityBulk100k(b *testing.B) {
	const known, unknown = 90_000, 10_000
	e := newEnv(b)
	e.clock.set(t0)
	if _, err := e.svc.Import(e.ctx, e.tenant, "tenant:bench", optins.FormatCSV, importFile(known, 0), ""); err != nil {
		b.Fatal(err)
	}
	e.exec(b, `INSERT INTO contact_windows (tenant_id, contact_id, phone_number_id, last_inbound_at)
		SELECT tenant_id, id, $2, $3 FROM contacts WHERE tenant_id = $1 AND (hashtext(wa_id) % 3) = 0`,
		e.tenant, phoneMain, t0.Add(-time.Hour))
	var outs bytes.Buffer
	outs.WriteString("wa_id,purpose,action,source,occurred_at,note\n")
	for i := 0; i < known; i += 10 {
		fmt.Fprintf(&outs, "628%09d,all,opt_out,web_form,2026-02-01T00:00:00Z,unsubscribe link\n", i)
	}
	if _, err := e.svc.Import(e.ctx, e.tenant, "tenant:bench", optins.FormatCSV, outs.Bytes(), ""); err != nil {
		b.Fatal(err)
	}
	e.exec(b, `ANALYZE`)
	refs := make([]optins.ContactRef, 0, known+unknown)
	for i := range known + unknown {
		refs = append(refs, optins.ContactRef{WaID: fmt.Sprintf("628%09d", i)})
	}
	q := optins.EligibilityQuery{Kind: optins.KindMarketing, PhoneNumberID: phoneMain}
	b.ResetTimer()
	var allowed int
	for i := 0; i < b.N; i++ {
		out, err := e.svc.CheckEligibilityBulk(e.ctx, e.tenant, refs, q)
		if err != nil {
			b.Fatal(err)
		}
		allowed = 0
		for _, el := range out {
			if el.Allowed {
				allowed++
			}
		}
	}
	b.StopTimer()
	if want := known - known/10; allowed != want {
		b.Fatalf("allowed = %d, want %d", allowed, want)
	}
	b.ReportMetric(float64(len(refs)*b.N)/b.Elapsed().Seconds(), "contacts/s")
}
