package quality_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wabsp/wabsp/internal/apperr"
	"github.com/wabsp/wabsp/internal/idempotency"
	"github.com/wabsp/wabsp/quality"
)

// TestSubmitTemplateOnce checks the Idempotency-Key of a submission: a
// refused call leaves the key free, an accepted one is answered again
// without calling Meta, and an invalid draft never reaches Meta.
func TestSubmitTemplateOnce(t *testing.T) {
	e := newEnv(t)
	tenant := e.seedMain(t)
	draft := quality.TemplateDraft{Name: "order_ready", Language: "en_US", Category: "UTILITY", Components: []quality.TemplateComponent{
		{Type: "BODY", Text: "Hi {{1}}, your order is ready.", Example: &quality.TemplateExample{BodyText: [][]string{{"Ana"}}}},
	}}
	in := quality.Submission{WABAID: wabaMain, Draft: draft, Key: "k1", Actor: "client:ops", RequestID: "req-1", At: e.now}
	calls := 0
	refused := errors.New("meta refused")
	answers := []error{refused, nil}
	submit := func(context.Context, quality.TemplateDraft) (quality.MetaAnswer, error) {
		calls++
		if err := answers[0]; err != nil {
			answers = answers[1:]
			return quality.MetaAnswer{}, err
		}
		return quality.MetaAnswer{TemplateID: "1000000000000077", Status: "PENDING", Category: "MARKETING"}, nil
	}

	if _, _, err := e.svc.SubmitTemplate(e.ctx, tenant, in, submit); !errors.Is(err, refused) {
		t.Fatalf("refused submission: %v", err)
	}
	first, replayed, err := e.svc.SubmitTemplate(e.ctx, tenant, in, submit)
	if err != nil || replayed {
		t.Fatalf("retry after a refusal: replayed %v, %v", replayed, err)
	}
	want := quality.TemplateDefinition{TemplateID: "1000000000000077", WABAID: wabaMain, Name: "order_ready", Language: "en_US",
		Category: "MARKETING", Status: "PENDING", Components: draft.Components}
	if diff := cmp.Diff(want, first); diff != "" {
		t.Errorf("definition (-want +got):\n%s", diff)
	}
	again, replayed, err := e.svc.SubmitTemplate(e.ctx, tenant, in, submit)
	if err != nil || !replayed || calls != 2 {
		t.Fatalf("replay: replayed %v, %d calls, %v", replayed, calls, err)
	}
	if diff := cmp.Diff(first, again); diff != "" {
		t.Errorf("replay (-first +again):\n%s", diff)
	}

	bad := in
	bad.Key, bad.Draft.Name, bad.Draft.Components = "k2", "Bad Name", nil
	_, _, err = e.svc.SubmitTemplate(e.ctx, tenant, bad, submit)
	ae, ok := apperr.As(err)
	if !ok || ae.Code != apperr.Unprocessable || len(ae.Violations) != 2 || calls != 2 {
		t.Fatalf("invalid draft: %v (%d calls)", err, calls)
	}
}

// TestPurgeTemplateKeys forgets old keys only: a purged key submits again.
func TestPurgeTemplateKeys(t *testing.T) {
	e := newEnv(t)
	tenant := e.seedMain(t)
	draft := quality.TemplateDraft{Name: "order_ready", Language: "en_US", Category: "UTILITY",
		Components: []quality.TemplateComponent{{Type: "BODY", Text: "Your order is ready."}}}
	in := quality.Submission{WABAID: wabaMain, Draft: draft, Key: "k1", Actor: "client:ops", RequestID: "req-1", At: e.now}
	calls := 0
	submit := func(context.Context, quality.TemplateDraft) (quality.MetaAnswer, error) {
		calls++
		return quality.MetaAnswer{TemplateID: "100000000000007" + string(rune('0'+calls)), Status: "PENDING", Category: "UTILITY"}, nil
	}
	if _, _, err := e.svc.SubmitTemplate(e.ctx, tenant, in, submit); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		before time.Time
		purged int64
		calls  int
	}{
		{"newer than the cut", time.Now().Add(-time.Hour), 0, 1},
		{"older than the cut", time.Now().Add(time.Hour), 1, 2},
	}
	for _, c := range cases {
		n, err := idempotency.Purge(e.ctx, e.db, quality.KeyTable.Name, c.before)
		if err != nil || n != c.purged {
			t.Fatalf("%s: purged %d, %v; want %d", c.name, n, err, c.purged)
		}
		if _, _, err := e.svc.SubmitTemplate(e.ctx, tenant, in, submit); err != nil || calls != c.calls {
			t.Fatalf("%s: submit after purge: %d calls, %v; want %d", c.name, calls, err, c.calls)
		}
	}
}
