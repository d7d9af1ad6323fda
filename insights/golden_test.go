package insights_test

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/wabsp/wabsp/insights"
	"github.com/wabsp/wabsp/internal/metasim"
)

// Contacts of the scripted day.
const (
	waA = "5511900000001"
	waB = "5511900000002"
	waC = "5511900000003"
	waD = "5511900000004"
	waE = "5511900000005"
	waF = "5511900000006"
	waG = "5511900000007"
)

// conversations plays the scripted Monday 2026-10-05 of testdata/conversations.md
// through the intake, with the annotations, journey and events the business
// adds along the way, some statuses out of order and one body delivered
// twice.
func conversations(t *testing.T, e *env) insights.Journey {
	t.Helper()
	promo := insights.Annotation{TemplateName: "promo_oct", TemplateLanguage: "pt_BR", Campaign: "oct"}
	tmpl := func(wamid string) insights.Annotation { a := promo; a.WAMID = wamid; return a }
	alice := func(wamid string) insights.Annotation { return insights.Annotation{WAMID: wamid, Agent: "alice"} }
	bot := func(wamid string) insights.Annotation {
		return insights.Annotation{WAMID: wamid, Agent: "bot", Automated: true}
	}
	text := func(from, wamid, ts string) metasim.InboundText {
		return metasim.InboundText{From: from, Name: "c", WAMID: wamid, Timestamp: at(ts), Body: "hi"}
	}
	e.deliver(t, e.texts(text(waA, "in.A0", "2026-09-20T15:00:00Z")))
	e.deliver(t, e.texts(text(waA, "in.A1", "2026-10-05T12:00:00Z"), text(waA, "in.A2", "2026-10-05T12:00:30Z")))
	// Meta's read arrives before the sent and delivered of the same message.
	e.deliver(t, e.statuses(status("out.A1", waA, "read", "2026-10-05T12:03:00Z")))
	e.deliver(t, e.statuses(status("out.A1", waA, "sent", "2026-10-05T12:02:00Z"),
		status("out.A1", waA, "delivered", "2026-10-05T12:02:05Z")))
	e.deliver(t, e.texts(text(waA, "in.A3", "2026-10-05T12:10:00Z")))
	e.deliver(t, e.statuses(status("out.A2", waA, "sent", "2026-10-05T12:10:45Z"),
		status("out.A2", waA, "delivered", "2026-10-05T12:10:50Z")))
	e.annotate(t, alice("out.A1"), alice("out.A2"))
	e.annotate(t, insights.Annotation{WAMID: "out.B1", Agent: "bob"}, bot("out.B2"))
	e.deliver(t, e.texts(text(waB, "in.B1", "2026-10-05T13:00:00Z")))
	b1 := e.statuses(status("out.B1", waB, "sent", "2026-10-05T13:05:00Z"),
		status("out.B1", waB, "delivered", "2026-10-05T13:05:10Z"), status("out.B1", waB, "read", "2026-10-05T13:06:00Z"))
	e.deliver(t, b1)
	e.deliver(t, e.taps(metasim.ButtonTap{From: waB, Name: "b", WAMID: "in.B2", Timestamp: at("2026-10-05T13:07:00Z"),
		Payload: "THANKS", Text: "Thanks", ContextID: "out.B1"}))
	e.deliver(t, e.statuses(status("out.B2", waB, "sent", "2026-10-05T13:20:00Z"),
		status("out.B2", waB, "delivered", "2026-10-05T13:20:04Z")))
	e.deliver(t, e.texts(text(waC, "in.C1", "2026-10-05T14:00:00Z")))
	e.annotate(t, tmpl("out.T1"), tmpl("out.T2"), tmpl("out.T3"))
	failed := status("out.T2", waE, "failed", "2026-10-05T15:00:10Z")
	failed.Errors = []metasim.MessageError{metasim.HealthyEcosystemError}
	e.deliver(t, e.statuses(status("out.T1", waD, "sent", "2026-10-05T15:00:00Z"),
		status("out.T1", waD, "delivered", "2026-10-05T15:00:05Z"), status("out.T1", waD, "read", "2026-10-05T15:01:00Z"),
		status("out.T2", waE, "sent", "2026-10-05T15:00:00Z"), failed,
		status("out.T3", waF, "sent", "2026-10-05T15:00:00Z"), status("out.T3", waF, "delivered", "2026-10-05T15:00:06Z")))
	// The journey is defined mid-day: the messages before it are matched
	// by backfill, the rest as they arrive.
	j, err := e.insights.CreateJourney(e.ctx, e.tenant.ID, insights.NewJourney{Key: "promo", Name: "October promo",
		Steps: []insights.Step{{Key: "offer", Match: insights.MatchTemplate, Value: "promo_oct"},
			{Key: "buy", Match: insights.MatchButton, Value: "BUY"},
			{Key: "paid", Match: insights.MatchEvent, Value: "purchase"}}}, "")
	if err != nil {
		t.Fatalf("create journey: %v", err)
	}
	e.deliver(t, e.taps(metasim.ButtonTap{From: waD, Name: "d", WAMID: "in.D1", Timestamp: at("2026-10-05T15:10:00Z"),
		Payload: "BUY", Text: "Buy", ContextID: "out.T1"}))
	e.annotate(t, bot("out.D2"))
	e.deliver(t, e.statuses(status("out.D2", waD, "sent", "2026-10-05T15:10:07Z"),
		status("out.D2", waD, "delivered", "2026-10-05T15:10:09Z")))
	e.annotate(t, tmpl("out.T4"))
	e.deliver(t, e.statuses(status("out.T4", waD, "sent", "2026-10-05T15:30:00Z"),
		status("out.T4", waD, "delivered", "2026-10-05T15:30:05Z")))
	if _, err := e.insights.RecordEvents(e.ctx, e.tenant.ID, []insights.Event{
		{ID: "order-1", Contact: waD, Name: "purchase", At: at("2026-10-05T16:00:00Z")},
		{ID: "order-2", Contact: waF, Name: "purchase", At: at("2026-10-05T17:00:00Z")}}); err != nil {
		t.Fatalf("record events: %v", err)
	}
	e.deliver(t, e.texts(text(waG, "in.G1", "2026-10-05T20:50:00Z")))
	e.deliver(t, e.statuses(status("out.G1", waG, "sent", "2026-10-06T12:10:00Z"),
		status("out.G1", waG, "delivered", "2026-10-06T12:10:02Z"), status("out.G1", waG, "read", "2026-10-06T12:11:00Z")))
	e.annotate(t, alice("out.G1"))
	e.deliver(t, b1) // Meta redelivers; nothing may count twice
	return j
}

// golden is testdata/conversations.json, computed by hand in
// testdata/conversations.md.
type golden struct {
	Funnel         insights.Funnel          `json:"funnel"`
	FunnelTemplate []insights.FunnelRow     `json:"funnel_by_template"`
	Wall           insights.ResponseTimes   `json:"response_wall_by_agent"`
	Business       insights.ResponseRow     `json:"response_business_total"`
	Busiest        []insights.HourCell      `json:"busiest"`
	Daily          []insights.ContactPeriod `json:"contacts_daily"`
	Weekly         []insights.ContactPeriod `json:"contacts_weekly"`
	Journey        insights.JourneyResults  `json:"journey"`
	Failures       []insights.FailureCount  `json:"failures"`
}

func readGolden(t *testing.T, path string, v any) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

var approx = cmpopts.EquateApprox(0, 1e-9)

func TestGoldenConversations(t *testing.T) {
	e := newEnv(t)
	j := conversations(t, e)
	if _, err := e.insights.SetBusinessHours(e.ctx, e.tenant.ID, insights.BusinessHours{Intervals: weekdays("09:00", "18:00")}); err != nil {
		t.Fatalf("business hours: %v", err)
	}
	var want golden
	readGolden(t, "testdata/conversations.json", &want)
	r := insights.Range{From: day("2026-10-05"), To: day("2026-10-07")}
	tid := e.tenant.ID

	funnel, err := e.insights.Funnel(e.ctx, tid, insights.FunnelQuery{Range: r})
	must(t, err)
	byTemplate, err := e.insights.Funnel(e.ctx, tid, insights.FunnelQuery{Range: r, GroupBy: []string{insights.ByTemplate}})
	must(t, err)
	wall, err := e.insights.ResponseTimes(e.ctx, tid, insights.ResponseQuery{Range: r, GroupBy: insights.ByAgent})
	must(t, err)
	business, err := e.insights.ResponseTimes(e.ctx, tid, insights.ResponseQuery{Range: r, Clock: insights.ClockBusiness})
	must(t, err)
	hours, err := e.insights.BusiestHours(e.ctx, tid, insights.HoursQuery{Range: r})
	must(t, err)
	daily, err := e.insights.ContactActivity(e.ctx, tid, insights.ContactsQuery{Range: r})
	must(t, err)
	weekly, err := e.insights.ContactActivity(e.ctx, tid, insights.ContactsQuery{
		Range: insights.Range{From: day("2026-09-14"), To: day("2026-10-12")}, Grain: insights.ByWeek})
	must(t, err)
	journey, err := e.insights.JourneyResults(e.ctx, tid, j.ID, r)
	must(t, err)

	funnel.Failures, want.Funnel.Failures = nil, nil
	tests := []struct {
		name      string
		got, want any
		opts      []cmp.Option
	}{
		{"funnel", funnel, want.Funnel, []cmp.Option{cmpopts.IgnoreFields(insights.Funnel{}, "Groups")}},
		{"funnel by template", byTemplate.Groups, want.FunnelTemplate, nil},
		{"failures", byTemplate.Failures, want.Failures, nil},
		{"response times by agent (wall clock)", wall, want.Wall, nil},
		{"response times (business hours)", business.Total, want.Business, nil},
		{"busiest hours", hours.Busiest, want.Busiest, nil},
		{"new and returning contacts by day", daily.Periods, want.Daily, nil},
		{"new and returning contacts by week", weekly.Periods, want.Weekly, nil},
		{"journey", journey, want.Journey, []cmp.Option{cmpopts.IgnoreFields(insights.JourneyResults{}, "Journey")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := append([]cmp.Option{approx}, tt.opts...)
			if diff := cmp.Diff(tt.want, tt.got, opts...); diff != "" {
				t.Errorf("%s (-want +got):\n%s", tt.name, diff)
			}
		})
	}
	e.mustRecount(t, tid)
	// Rebuilding the roll-ups from the rows must land on the same numbers.
	must(t, e.insights.RebuildRollups(e.ctx, tid))
	e.mustRecount(t, tid)
}

// weekdays opens Monday to Friday from open to close.
func weekdays(open, close string) []insights.Interval {
	var out []insights.Interval
	for _, d := range []string{"monday", "tuesday", "wednesday", "thursday", "friday"} {
		out = append(out, insights.Interval{Day: d, Open: open, Close: close})
	}
	return out
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
