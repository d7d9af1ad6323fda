package sending

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wabsp/wabsp/optins"
)

func tmpl(params int) Message {
	ps := make([]json.RawMessage, params)
	for i := range ps {
		ps[i] = json.RawMessage(`{"type":"text","text":"x"}`)
	}
	return Message{Type: TypeTemplate, Template: &Template{Name: "spring", Language: "en_US",
		Components: []TemplatePart{{Type: "body", Parameters: ps}}}}
}

var text = Message{Type: TypeText, Text: &Text{Body: "hi"}}

func okFacts() Facts {
	return Facts{
		Eligibility: optins.Eligibility{Allowed: true},
		Number:      NumberState{Status: "CONNECTED", MessagingLimit: "TIER_1K"},
		Template:    TemplateState{Known: true, Status: "APPROVED", Category: "MARKETING", BodyVariables: 1},
	}
}

func TestDecide(t *testing.T) {
	tests := []struct {
		name   string
		msg    Message
		change func(*Facts)
		want   []Reason
	}{
		{"allowed template", tmpl(1), func(*Facts) {}, []Reason{}},
		{"allowed text", text, func(*Facts) {}, []Reason{}},
		{"no consent", tmpl(1), func(f *Facts) { f.Eligibility.Reasons = []optins.Reason{optins.ReasonNoOptIn} },
			[]Reason{Reason(optins.ReasonNoOptIn)}},
		{"window closed", text, func(f *Facts) { f.Eligibility.Reasons = []optins.Reason{optins.ReasonWindowClosed} },
			[]Reason{Reason(optins.ReasonWindowClosed)}},
		{"identity changed", tmpl(1), func(f *Facts) { f.Eligibility.Reasons = []optins.Reason{optins.ReasonIdentityChanged} },
			[]Reason{Reason(optins.ReasonIdentityChanged)}},
		{"template unknown", tmpl(1), func(f *Facts) { f.Template = TemplateState{} }, []Reason{ReasonTemplateUnknown}},
		{"template pending", tmpl(1), func(f *Facts) { f.Template.Status = "PENDING" }, []Reason{ReasonTemplateNotApproved}},
		{"template paused", tmpl(1), func(f *Facts) { f.Template.Status = "PAUSED" }, []Reason{ReasonTemplatePaused}},
		{"template disabled", tmpl(1), func(f *Facts) { f.Template.Status = "DISABLED" }, []Reason{ReasonTemplateDisabled}},
		{"parameter count", tmpl(2), func(*Facts) {}, []Reason{ReasonTemplateParams}},
		{"components unknown", tmpl(2), func(f *Facts) { f.Template.BodyVariables = -1 }, []Reason{}},
		{"flagged still sends", tmpl(1), func(f *Facts) { f.Number.Status = "FLAGGED" }, []Reason{}},
		{"restricted", tmpl(1), func(f *Facts) { f.Number.Status = "RESTRICTED" }, []Reason{ReasonNumberNotConnected}},
		{"status unknown", text, func(f *Facts) { f.Number.Status = "" }, []Reason{ReasonNumberNotConnected}},
		{"over limit", tmpl(1), func(f *Facts) { f.RecentRecipients, f.NewRecipient = 1000, true }, []Reason{ReasonMessagingLimit}},
		{"known recipient at limit", tmpl(1), func(f *Facts) { f.RecentRecipients = 1000 }, []Reason{}},
		{"under limit", tmpl(1), func(f *Facts) { f.RecentRecipients, f.NewRecipient = 999, true }, []Reason{}},
		{"unlimited", tmpl(1), func(f *Facts) {
			f.Number.MessagingLimit, f.RecentRecipients, f.NewRecipient = "TIER_UNLIMITED", 1e7, true
		}, []Reason{}},
		{"several", tmpl(1), func(f *Facts) {
			f.Number.Status, f.Template.Status = "BANNED", "PAUSED"
			f.Eligibility.Reasons = []optins.Reason{optins.ReasonOptedOut}
		}, []Reason{Reason(optins.ReasonOptedOut), ReasonNumberNotConnected, ReasonTemplatePaused}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := okFacts()
			tc.change(&f)
			if diff := cmp.Diff(tc.want, Decide(tc.msg, f)); diff != "" {
				t.Errorf("reasons (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLimitOf(t *testing.T) {
	tests := []struct {
		tier string
		n    int
		ok   bool
	}{
		{"TIER_250", 250, true}, {"TIER_1K", 1000, true}, {"TIER_10K", 10000, true},
		{"TIER_100K", 100000, true}, {"TIER_2K", 2000, true}, {"TIER_UNLIMITED", 0, false}, {"", 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.tier, func(t *testing.T) {
			n, ok := LimitOf(tc.tier)
			if n != tc.n || ok != tc.ok {
				t.Errorf("LimitOf(%q) = %d, %v; want %d, %v", tc.tier, n, ok, tc.n, tc.ok)
			}
		})
	}
}

func TestClassify(t *testing.T) {
	tests := []struct {
		name   string
		code   int
		status int
		want   Outcome
	}{
		{"throughput", 130429, 400, Throttled},
		{"pair rate", 131056, 400, Throttled},
		{"something went wrong", 131000, 500, Transient},
		{"service unavailable", 131016, 503, Transient},
		{"server error without code", 0, 502, Transient},
		{"undeliverable", 131026, 400, Permanent},
		{"re-engagement", 131047, 400, Permanent},
		{"params mismatch", 132000, 400, Permanent},
		{"template missing", 132001, 404, Permanent},
		{"invalid parameter", 100, 400, Permanent},
		{"not allowed", 131030, 400, Permanent},
		{"unknown code", 139999, 400, Permanent},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Classify(tc.code, tc.status, false); got != tc.want {
				t.Errorf("Classify(%d, %d) = %v, want %v", tc.code, tc.status, got, tc.want)
			}
		})
	}
}

func TestBackoff(t *testing.T) {
	prev := Backoff(0)
	for n := 1; n < 30; n++ {
		d := Backoff(n)
		if d < prev || d > 5*60e9 {
			t.Fatalf("Backoff(%d) = %v after %v", n, d, prev)
		}
		prev = d
	}
}

func TestThroughputOf(t *testing.T) {
	for level, want := range map[string]int{"": 80, "STANDARD": 80, "NOT_APPLICABLE": 80, "HIGH": 1000, "high": 1000} {
		if got := ThroughputOf(level); got != want {
			t.Errorf("ThroughputOf(%q) = %d, want %d", level, got, want)
		}
	}
}
