package graph_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wabsp/wabsp/internal/graph"
)

const draft = `{"name":"order_ready","language":"en_US","category":"UTILITY",
	"components":[{"type":"BODY","text":"Hi {{1}}, your order is ready.","example":{"body_text":[["Ana"]]}}]}`

// TestTemplateLifecycle creates, reviews, edits and deletes a template
// against the simulator, with Meta's own refusals on the way.
func TestTemplateLifecycle(t *testing.T) {
	e := newEnv(t, 200)
	e.waba(t, "2001", 0, 0)
	ctx := context.Background()

	sub, err := e.client.CreateTemplate(ctx, token, "2001", json.RawMessage(draft))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(graph.TemplateSubmission{ID: sub.ID, Status: "PENDING", Category: "UTILITY"}, sub); diff != "" || sub.ID == "" {
		t.Fatalf("submission (-want +got):\n%s", diff)
	}
	_, err = e.client.CreateTemplate(ctx, token, "2001", json.RawMessage(draft))
	assertGraphError(t, "duplicate", err, 100, 2388024)

	edit := json.RawMessage(`{"components":[{"type":"BODY","text":"Hello {{1}}, your order is ready."}]}`)
	assertGraphError(t, "edit while pending", e.client.EditTemplate(ctx, token, "2001", string(sub.ID), edit), 100, 2388040)

	bodies := e.sim.ReviewPending()
	if len(bodies) != 1 {
		t.Fatalf("review emitted %d webhooks, want 1", len(bodies))
	}
	var hook struct {
		Entry []struct {
			Changes []struct {
				Field string `json:"field"`
				Value struct {
					Event string `json:"event"`
				} `json:"value"`
			} `json:"changes"`
		} `json:"entry"`
	}
	if err := json.Unmarshal(bodies[0], &hook); err != nil {
		t.Fatal(err)
	}
	if ch := hook.Entry[0].Changes[0]; ch.Field != "message_template_status_update" || ch.Value.Event != "APPROVED" {
		t.Fatalf("review webhook = %+v", ch)
	}

	if err := e.client.EditTemplate(ctx, token, "2001", string(sub.ID), edit); err != nil {
		t.Fatalf("first edit of an approved template: %v", err)
	}
	e.sim.ReviewPending()
	assertGraphError(t, "second edit within a day", e.client.EditTemplate(ctx, token, "2001", string(sub.ID), edit), 100, 2388049)
	e.clock.add(25 * time.Hour)
	if err := e.client.EditTemplate(ctx, token, "2001", string(sub.ID), edit); err != nil {
		t.Fatalf("edit a day later: %v", err)
	}

	if err := e.client.DeleteTemplate(ctx, token, "2001", "order_ready", string(sub.ID)); err != nil {
		t.Fatal(err)
	}
	assertGraphError(t, "delete again", e.client.DeleteTemplate(ctx, token, "2001", "order_ready", ""), 100, 2593002)
	list, err := e.client.Templates(ctx, token, "2001")
	if err != nil || len(list) != 0 {
		t.Fatalf("templates after delete = %v, %v", list, err)
	}
}

func assertGraphError(t *testing.T, name string, err error, code, subcode int) {
	t.Helper()
	var gerr *graph.Error
	if !errors.As(err, &gerr) {
		t.Fatalf("%s: error %v is not a Graph error", name, err)
	}
	if gerr.Code != code || gerr.Subcode != subcode {
		t.Fatalf("%s: Graph error %d/%d, want %d/%d", name, gerr.Code, gerr.Subcode, code, subcode)
	}
}
