package metasim

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"iter"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var (
	numberA = Number{WABAID: wabaA, PhoneNumberID: "106540352242922", Display: "15550783881"}
	numberB = Number{WABAID: wabaB, PhoneNumberID: "106540352242999", Display: "6281100002222"}
	start   = time.Date(2026, 7, 14, 9, 0, 0, 0, time.UTC)
)

// webhook is the part of a body the scenario tests read.
type webhook struct {
	Object string `json:"object"`
	Entry  []struct {
		ID      string `json:"id"`
		Changes []struct {
			Field string `json:"field"`
			Value struct {
				Event    string `json:"event"`
				Statuses []struct {
					ID      string          `json:"id"`
					Status  string          `json:"status"`
					Pricing json.RawMessage `json:"pricing"`
				} `json:"statuses"`
				Messages []struct {
					From   string                   `json:"from"`
					Type   string                   `json:"type"`
					Text   struct{ Body string }    `json:"text"`
					Button struct{ Payload string } `json:"button"`
				} `json:"messages"`
				OtherInfo *struct {
					Title string `json:"title"`
				} `json:"other_info"`
				DisableInfo *struct {
					DisableDate int64 `json:"disable_date"`
				} `json:"disable_info"`
				NewQualityScore string `json:"new_quality_score"`
				UserPreferences []struct {
					Value string `json:"value"`
				} `json:"user_preferences"`
			} `json:"value"`
		} `json:"changes"`
	} `json:"entry"`
}

func parseWebhook(t *testing.T, b []byte) webhook {
	t.Helper()
	w := decodeWebhook(t, b)
	if w.Object != Object {
		t.Fatalf("object = %q", w.Object)
	}
	return w
}

// decodeWebhook decodes a body of any product's webhook.
func decodeWebhook(t *testing.T, b []byte) webhook {
	t.Helper()
	var w webhook
	if err := json.Unmarshal(b, &w); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
	return w
}

// receiver is a webhook endpoint that checks signatures and, like wabsp,
// dedupes statuses on (wamid, status).
type receiver struct {
	secret []byte
	// onBody, when set, is called with the number of bodies received.
	onBody func(n int)

	mu       sync.Mutex
	bodies   int
	statuses int
	unique   map[StatusKey]json.RawMessage // first pricing seen per pair
	badSigs  int
}

func newReceiver(t *testing.T) (*receiver, *Emitter) {
	t.Helper()
	r := &receiver{secret: []byte("app-secret"), unique: map[StatusKey]json.RawMessage{}}
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	return r, NewEmitter(srv.URL, r.secret, srv.Client(), fastRetries...)
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if !verifies(rc.secret, raw, r.Header.Get("X-Hub-Signature-256")) {
		rc.badSigs++
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	var wh webhook
	if err := json.Unmarshal(raw, &wh); err != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	rc.bodies++
	for _, e := range wh.Entry {
		for _, c := range e.Changes {
			for _, s := range c.Value.Statuses {
				rc.statuses++
				k := StatusKey{WAMID: s.ID, Status: s.Status}
				if _, seen := rc.unique[k]; !seen {
					rc.unique[k] = s.Pricing
				}
			}
		}
	}
	if rc.onBody != nil {
		rc.onBody(rc.bodies)
	}
}

func collect(seq iter.Seq[Event]) []Event {
	return slices.Collect(seq)
}

func bodiesOf(events []Event) []string {
	var out []string
	for _, ev := range events {
		out = append(out, string(ev.Body))
	}
	return out
}

func TestScenariosAreDeterministic(t *testing.T) {
	stream := func(seed uint64) []string {
		plan, err := StatusStream(StatusStreamOptions{
			Numbers: []Number{numberA, numberB}, Messages: 40, BatchSize: 3,
			DuplicateFraction: 0.2, ReorderFraction: 0.2, Seed: seed, Start: start,
		})
		if err != nil {
			t.Fatal(err)
		}
		return bodiesOf(collect(plan.Scenario.Events))
	}
	inbound := func(seed uint64) []string {
		plan, err := InboundMessages(InboundOptions{Numbers: []Number{numberA, numberB}, Messages: 30, Seed: seed, Start: start})
		if err != nil {
			t.Fatal(err)
		}
		return bodiesOf(collect(plan.Scenario.Events))
	}
	tests := []struct {
		name  string
		build func(seed uint64) []string
	}{
		{"status stream", stream},
		{"inbound messages", inbound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.build(7), tt.build(7)); diff != "" {
				t.Errorf("same seed, different bodies:\n%s", diff)
			}
			if cmp.Equal(tt.build(7), tt.build(8)) {
				t.Error("different seeds gave identical bodies")
			}
		})
	}
}

// lifecycleRank orders statuses the way they happen.
var lifecycleRank = map[string]int{"sent": 0, "delivered": 1, "read": 2, "failed": 1}

// streamShape is what a status stream does to a receiver.
type streamShape struct {
	resentBodies  int // bodies identical to an earlier one
	repeatedInNew int // (wamid, status) pairs again, inside a body not seen before
	outOfOrder    int // statuses arriving after a later stage of their message
}

func planShape(t *testing.T, events []Event) streamShape {
	t.Helper()
	var sh streamShape
	seen := map[StatusKey]bool{}
	bodies := map[string]bool{}
	furthest := map[string]int{}
	for _, ev := range events {
		if bodies[string(ev.Body)] {
			sh.resentBodies++
			continue
		}
		bodies[string(ev.Body)] = true
		for _, e := range parseWebhook(t, ev.Body).Entry {
			for _, c := range e.Changes {
				for _, s := range c.Value.Statuses {
					k := StatusKey{WAMID: s.ID, Status: s.Status}
					if seen[k] {
						sh.repeatedInNew++
						continue
					}
					seen[k] = true
					rank := lifecycleRank[s.Status]
					if f, ok := furthest[s.ID]; ok && rank < f {
						sh.outOfOrder++
					}
					furthest[s.ID] = max(furthest[s.ID], rank)
				}
			}
		}
	}
	return sh
}

func TestStatusStreamDuplicatesAndReordering(t *testing.T) {
	tests := []struct {
		name           string
		dup, reorder   float64
		wantRepeats    bool
		wantOutOfOrder bool
	}{
		{"clean stream", 0, 0, false, false},
		{"duplicates only", 0.3, 0, true, false},
		{"reordered only", 0, 0.3, false, true},
		{"both", 0.3, 0.3, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			plan, err := StatusStream(StatusStreamOptions{
				Numbers: []Number{numberA}, Messages: 60, DuplicateFraction: tt.dup, ReorderFraction: tt.reorder,
				Seed: 3, Start: start,
			})
			if err != nil {
				t.Fatal(err)
			}
			events := collect(plan.Scenario.Events)
			if len(events) != plan.Bodies {
				t.Errorf("scenario has %d bodies, plan says %d", len(events), plan.Bodies)
			}
			sh := planShape(t, events)
			got := []bool{sh.resentBodies > 0, sh.repeatedInNew > 0, sh.outOfOrder > 0}
			want := []bool{tt.wantRepeats, tt.wantRepeats, tt.wantOutOfOrder}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("resent bodies, repeats in new bodies, out of order (-want +got):\n%s\n%+v", diff, sh)
			}
		})
	}
}

func TestStatusStreamUniqueSetMatchesDedupingReceiver(t *testing.T) {
	plan, err := StatusStream(StatusStreamOptions{
		Numbers: []Number{numberA, numberB}, Messages: 150, BatchSize: 4,
		DuplicateFraction: 0.25, ReorderFraction: 0.25, Seed: 11, Start: start,
	})
	if err != nil {
		t.Fatal(err)
	}
	rc, emitter := newReceiver(t)
	stats, err := NewRunner(emitter, WithConcurrency(4), WithPacing(0)).Run(context.Background(), plan.Scenario)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if stats.Delivered != int64(plan.Bodies) || rc.bodies != plan.Bodies {
		t.Errorf("delivered %d, receiver got %d, plan has %d bodies", stats.Delivered, rc.bodies, plan.Bodies)
	}
	got := make([]StatusKey, 0, len(rc.unique))
	for k := range rc.unique {
		got = append(got, k)
	}
	sortStatusKeys(got)
	if diff := cmp.Diff(plan.Unique, got); diff != "" {
		t.Errorf("deduped statuses (-plan +received):\n%s", diff)
	}
	if rc.statuses <= len(rc.unique) {
		t.Errorf("receiver saw %d statuses for %d unique: the stream carried no duplicates", rc.statuses, len(rc.unique))
	}

	// Pricing rides on sent and on exactly one of delivered/read.
	categories, types := map[string]bool{}, map[string]bool{}
	for _, m := range plan.Messages {
		categories[m.Category], types[m.PricingType] = true, true
		priced := 0
		for _, s := range []string{"delivered", "read"} {
			if p := rc.unique[StatusKey{WAMID: m.WAMID, Status: s}]; len(p) > 0 {
				priced++
			}
		}
		if want := map[bool]int{true: 1, false: 0}[m.ErrorCode == 0]; priced != want {
			t.Errorf("message %s (%v): %d of delivered/read carry pricing, want %d", m.WAMID, m.Statuses, priced, want)
		}
		if slices.Contains(m.Statuses, "sent") && len(rc.unique[StatusKey{WAMID: m.WAMID, Status: "sent"}]) == 0 {
			t.Errorf("message %s: sent without pricing", m.WAMID)
		}
	}
	wantCategories := map[string]bool{"marketing": true, "utility": true, "authentication": true, "service": true}
	wantTypes := map[string]bool{"regular": true, "free_customer_service": true, "free_entry_point": true}
	if diff := cmp.Diff(wantCategories, categories); diff != "" {
		t.Errorf("categories (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(wantTypes, types); diff != "" {
		t.Errorf("pricing types (-want +got):\n%s", diff)
	}
}

func TestStatusStreamRejectsBadOptions(t *testing.T) {
	tests := []struct {
		name string
		opts StatusStreamOptions
	}{
		{"no numbers", StatusStreamOptions{}},
		{"duplicate fraction above one", StatusStreamOptions{Numbers: []Number{numberA}, DuplicateFraction: 1.5}},
		{"negative reorder fraction", StatusStreamOptions{Numbers: []Number{numberA}, ReorderFraction: -0.1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := StatusStream(tt.opts); err == nil {
				t.Error("StatusStream accepted the options")
			}
		})
	}
}

// graphWith returns a Graph holding numberA and one template.
func graphWith(t *testing.T) (*Graph, TemplateRef) {
	t.Helper()
	g := NewGraph()
	if err := g.AddWABA(WABA{ID: wabaA, AccessToken: tokenA}); err != nil {
		t.Fatal(err)
	}
	if _, err := g.AddPhoneNumber(PhoneNumber{ID: numberA.PhoneNumberID, WABAID: wabaA, DisplayPhoneNumber: numberA.Display}); err != nil {
		t.Fatal(err)
	}
	tmpl, err := g.AddTemplate(Template{WABAID: wabaA, Name: "spring_sale", Language: "en", Category: "MARKETING", QualityScore: "GREEN"})
	if err != nil {
		t.Fatal(err)
	}
	return g, tmpl.Ref()
}

func TestQualityDropAndRecovery(t *testing.T) {
	g, _ := graphWith(t)
	type state struct{ Event, Quality, Status string }
	var got []state
	for ev := range QualityDropAndRecovery(numberA, StepOptions{Graph: g, Start: start}).Events {
		if err := ev.Apply(); err != nil {
			t.Fatal(err)
		}
		p, _ := g.PhoneNumber(numberA.PhoneNumberID)
		s := state{Quality: p.QualityRating, Status: p.Status}
		if ev.Body != nil {
			s.Event = parseWebhook(t, ev.Body).Entry[0].Changes[0].Value.Event
		}
		got = append(got, s)
	}
	want := []state{
		{"", "YELLOW", "CONNECTED"},
		{"FLAGGED", "RED", "FLAGGED"},
		{"", "YELLOW", "FLAGGED"},
		{"UNFLAGGED", "GREEN", "CONNECTED"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("steps (-want +got):\n%s", diff)
	}
}

func TestTemplatePausedThenDisabled(t *testing.T) {
	g, ref := graphWith(t)
	type state struct{ Field, Event, Title, Quality, Status string }
	var (
		got      []state
		disabled bool
	)
	for ev := range TemplatePausedThenDisabled(ref, StepOptions{Graph: g, Start: start}).Events {
		if err := ev.Apply(); err != nil {
			t.Fatal(err)
		}
		c := parseWebhook(t, ev.Body).Entry[0].Changes[0]
		tmpl, _ := g.Template(ref.ID)
		s := state{Field: c.Field, Event: c.Value.Event + c.Value.NewQualityScore, Quality: tmpl.QualityScore, Status: tmpl.Status}
		if c.Value.OtherInfo != nil {
			s.Title = c.Value.OtherInfo.Title
		}
		disabled = c.Value.DisableInfo != nil && c.Value.DisableInfo.DisableDate > 0
		got = append(got, s)
	}
	const q, st = "message_template_quality_update", "message_template_status_update"
	want := []state{
		{q, "YELLOW", "", "YELLOW", "APPROVED"},
		{q, "RED", "", "RED", "APPROVED"},
		{st, "PAUSED", "FIRST_PAUSE", "RED", "PAUSED"},
		{st, "APPROVED", "UNPAUSE", "UNKNOWN", "APPROVED"},
		{q, "RED", "", "RED", "APPROVED"},
		{st, "PAUSED", "SECOND_PAUSE", "RED", "PAUSED"},
		{st, "APPROVED", "UNPAUSE", "UNKNOWN", "APPROVED"},
		{q, "RED", "", "RED", "APPROVED"},
		{st, "DISABLED", "DISABLED", "RED", "DISABLED"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("steps (-want +got):\n%s", diff)
	}
	if !disabled {
		t.Error("the DISABLED event carries no disable_info.disable_date")
	}
}

func TestInboundMessages(t *testing.T) {
	plan, err := InboundMessages(InboundOptions{Numbers: []Number{numberA, numberB}, Messages: 40, Seed: 5, Start: start})
	if err != nil {
		t.Fatal(err)
	}
	events := collect(plan.Scenario.Events)
	if len(events) != len(plan.Records) || len(events) != 40 {
		t.Fatalf("%d events, %d records, want 40 of each", len(events), len(plan.Records))
	}
	var stops, prefs []string
	kinds := map[string]int{}
	for i, rec := range plan.Records {
		kinds[rec.Kind]++
		wh := parseWebhook(t, events[i].Body)
		v := wh.Entry[0].Changes[0].Value
		if wh.Entry[0].ID != rec.Number.WABAID {
			t.Errorf("record %d: entry id %s, want the number's WABA %s", i, wh.Entry[0].ID, rec.Number.WABAID)
		}
		switch rec.Kind {
		case KindStop:
			stops = append(stops, v.Messages[0].Text.Body)
		case KindPreference:
			prefs = append(prefs, v.UserPreferences[0].Value)
		case KindButton:
			if v.Messages[0].Button.Payload != rec.Text || rec.ContextID == "" {
				t.Errorf("record %d: button payload %q, record %+v", i, v.Messages[0].Button.Payload, rec)
			}
		case KindChangedNumber:
			if v.Messages[0].Type != "system" || rec.NewWAID == "" || rec.NewWAID == rec.WAID {
				t.Errorf("record %d: number change %+v, message type %s", i, rec, v.Messages[0].Type)
			}
		}
	}
	if diff := cmp.Diff([]string{"STOP", "stop", "BERHENTI"}, stops); diff != "" {
		t.Errorf("stop keywords (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"stop", "resume"}, prefs); diff != "" {
		t.Errorf("preferences (-want +got):\n%s", diff)
	}
	if kinds[KindChangedNumber] != 1 || kinds[KindButton] < 1 || kinds[KindText] < 1 {
		t.Errorf("kinds %v: want one number change and at least one button tap and text", kinds)
	}
}

// steppingClock advances by step on every reading, so a demo iterated
// without pacing still sees time pass.
func steppingClock(step time.Duration) func() time.Time {
	var (
		mu  sync.Mutex
		now = start
	)
	return func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		now = now.Add(step)
		return now
	}
}

func TestDemoMixesEverything(t *testing.T) {
	g, ref := graphWith(t)
	sc, err := Demo(DemoOptions{
		Numbers: []Number{numberA}, Templates: []TemplateRef{ref}, Graph: g,
		EventsPerSecond: 2, Seed: 9, Now: steppingClock(500 * time.Millisecond),
	})
	if err != nil {
		t.Fatal(err)
	}
	fields := map[string]int{}
	playEvents(t, sc, 1500, func(ev Event, w webhook) {
		if ev.Delay != 500*time.Millisecond {
			t.Fatalf("event delay %v, want the 2/s interval", ev.Delay)
		}
		for _, e := range w.Entry {
			for _, c := range e.Changes {
				key := c.Field
				if len(c.Value.Statuses) > 0 {
					key += "/" + c.Value.Statuses[0].Status
				}
				if len(c.Value.Messages) > 0 {
					key += "/" + c.Value.Messages[0].Type
				}
				fields[key]++
			}
		}
	})
	for _, want := range []string{
		"messages/sent", "messages/delivered", "messages/read", "messages/text", "messages/button", "messages/system",
		"user_preferences", "phone_number_quality_update", "message_template_quality_update", "message_template_status_update",
	} {
		if fields[want] == 0 {
			t.Errorf("no %s in 1500 demo events (%v)", want, fields)
		}
	}
	if tmpl, _ := g.Template(ref.ID); tmpl.Status != "DISABLED" {
		t.Errorf("template status %s after the demo walked it through, want DISABLED", tmpl.Status)
	}
}

// playEvents plays the first n events of sc as the Runner would, applying
// each, and hands each with its parsed body (empty without one) to see.
func playEvents(t *testing.T, sc Scenario, n int, see func(Event, webhook)) {
	t.Helper()
	for ev := range sc.Events {
		if ev.Apply != nil {
			if err := ev.Apply(); err != nil {
				t.Fatal(err)
			}
		}
		var w webhook
		if ev.Body != nil {
			w = decodeWebhook(t, ev.Body)
		}
		see(ev, w)
		if n--; n == 0 {
			return
		}
	}
}

func TestRunnerPlaysDemoUntilCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	rc, emitter := newReceiver(t)
	rc.onBody = func(n int) {
		if n == 100 {
			cancel()
		}
	}
	sc, err := Demo(DemoOptions{Numbers: []Number{numberA, numberB}, Seed: 1, Now: steppingClock(time.Second)})
	if err != nil {
		t.Fatal(err)
	}
	stats, err := NewRunner(emitter, WithConcurrency(2), WithPacing(0)).Run(ctx, sc)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Run error = %v, want context.Canceled", err)
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if rc.bodies < 100 || rc.badSigs != 0 {
		t.Errorf("receiver got %d bodies (%d badly signed), want at least 100 signed", rc.bodies, rc.badSigs)
	}
	if stats.Events < 100 {
		t.Errorf("stats %+v", stats)
	}
}

func TestRunnerStopsScenarioOnApplyError(t *testing.T) {
	_, emitter := newReceiver(t)
	g := NewGraph() // lacks the number, so the first Apply fails
	sc := QualityDropAndRecovery(numberA, StepOptions{Graph: g, Start: start})
	stats, err := NewRunner(emitter, WithPacing(0)).Run(context.Background(), sc)
	if !errors.Is(err, ErrUnknown) {
		t.Errorf("Run error = %v, want ErrUnknown", err)
	}
	if stats.Bodies != 0 {
		t.Errorf("stats %+v: the scenario went on after its failed step", stats)
	}
}
