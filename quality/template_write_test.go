package quality_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wabsp/wabsp/internal/apperr"
	"github.com/wabsp/wabsp/internal/metasim"
	"github.com/wabsp/wabsp/quality"
)

// TestTemplateSubmittedLifecycle stores a template the API submitted, lets
// Meta's status webhook land on it, edits and deletes it, and checks the
// history names the actor and other tenants see none of it.
func TestTemplateSubmittedLifecycle(t *testing.T) {
	e := newEnv(t)
	tenant := e.seedMain(t)
	other := e.seedTenant(t, "other", "UTC")
	draft := quality.TemplateDraft{Name: "order_ready", Language: "en_US", Category: "UTILITY", Components: []quality.TemplateComponent{
		{Type: "BODY", Text: "Hi {{1}}, your order is ready.", Example: &quality.TemplateExample{BodyText: [][]string{{"Ana"}}}},
	}}
	const id = "1000000000000042"
	err := e.svc.RecordTemplateSubmitted(e.ctx, tenant, quality.TemplateSubmitted{
		WABAID: wabaMain, TemplateID: id, Status: "PENDING", Category: "UTILITY", Draft: draft,
		Actor: "client:ops", RequestID: "req-1", At: e.now,
	})
	if err != nil {
		t.Fatal(err)
	}
	def, err := e.svc.TemplateByName(e.ctx, tenant, wabaMain, "order_ready", "en_US")
	if err != nil {
		t.Fatal(err)
	}
	want := quality.TemplateDefinition{TemplateID: id, WABAID: wabaMain, Name: "order_ready", Language: "en_US",
		Category: "UTILITY", Status: "PENDING", Components: draft.Components}
	if diff := cmp.Diff(want, def); diff != "" {
		t.Fatalf("definition (-want +got):\n%s", diff)
	}

	approved := metasim.TemplateStatusBody(e.now.Add(time.Minute), wabaMain, metasim.TemplateStatus{
		Event: "APPROVED", ID: 1000000000000042, Name: "order_ready", Language: "en_US", Reason: "NONE", Category: "UTILITY",
	})
	e.deliver(t, approved)
	view, err := e.svc.GetTemplate(e.ctx, tenant, id)
	if err != nil {
		t.Fatal(err)
	}
	if view.Status.Value != "APPROVED" || view.DiscoveredVia != quality.SourceAPI {
		t.Fatalf("after the webhook: status %q discovered via %q", view.Status.Value, view.DiscoveredVia)
	}

	edited := draft
	edited.Components = []quality.TemplateComponent{{Type: "BODY", Text: "Hello {{1}}, your order is ready.",
		Example: &quality.TemplateExample{BodyText: [][]string{{"Ana"}}}}}
	if err := e.svc.RecordTemplateEdited(e.ctx, tenant, id, edited, "client:ops", "req-2", e.now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	def, _ = e.svc.TemplateDefinitionOf(e.ctx, tenant, id)
	if def.Status != "PENDING" || def.Components[0].Text != "Hello {{1}}, your order is ready." {
		t.Fatalf("after the edit: %+v", def)
	}

	n, err := e.svc.RecordTemplatesDeleted(e.ctx, tenant, wabaMain, "order_ready", "", "client:ops", "req-3", e.now.Add(2*time.Hour))
	if err != nil || n != 1 {
		t.Fatalf("delete: %d, %v", n, err)
	}
	if _, err := e.svc.TemplateByName(e.ctx, tenant, wabaMain, "order_ready", "en_US"); !apperr.Is(err, apperr.NotFound) {
		t.Fatalf("deleted template still found: %v", err)
	}

	got := e.lines(t, `SELECT value || ' ' || (detail->>'actor') FROM quality_history
		WHERE tenant_id = $1 AND attribute = 'definition' `, tenant) // lines sorts
	if diff := cmp.Diff([]string{"deleted client:ops", "edited client:ops", "submitted client:ops"}, got); diff != "" {
		t.Errorf("definition history (-want +got):\n%s", diff)
	}
	if _, err := e.svc.TemplateDefinitionOf(e.ctx, other, id); !apperr.Is(err, apperr.NotFound) {
		t.Errorf("another tenant reads the template: %v", err)
	}
	if n, _ := e.svc.RecordTemplatesDeleted(e.ctx, other, wabaMain, "order_ready", "", "x", "req-4", e.now); n != 0 {
		t.Errorf("another tenant deleted %d templates", n)
	}
}
