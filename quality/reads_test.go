package quality_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/wabsp/wabsp/internal/apperr"
	"github.com/wabsp/wabsp/internal/metasim"
	"github.com/wabsp/wabsp/quality"
)

// poll applies one poll of the main number with the given rating and status.
func (e *env) poll(t testing.TB, tenant uuid.UUID, at time.Time, rating, status string) {
	t.Helper()
	_, err := e.svc.ApplyNumberPoll(e.ctx, tenant, wabaMain, at, []quality.NumberPoll{{
		PhoneNumberID: phoneMain, DisplayPhoneNumber: "+1 555-078-3881", QualityRating: rating, Status: status,
		MessagingLimitTier: "TIER_10K",
	}})
	if err != nil {
		t.Fatal(err)
	}
}

func TestNumberReads(t *testing.T) {
	e := newEnv(t)
	tenant := e.seedMain(t)
	e.exec(t, `UPDATE tenants SET time_zone = 'America/Sao_Paulo' WHERE id = $1`, tenant)
	sp, _ := time.LoadLocation("America/Sao_Paulo")
	at := func(d, h int) time.Time { return time.Date(2026, 3, d, h, 0, 0, 0, sp) }
	e.poll(t, tenant, at(1, 9), "GREEN", "CONNECTED")
	e.poll(t, tenant, at(2, 10), "RED", "CONNECTED")
	e.deliver(t, metasim.QualityUpdateBody(at(2, 11), wabaMain, digitsMain, "FLAGGED", "TIER_10K", ""))
	e.poll(t, tenant, at(2, 14), "YELLOW", "FLAGGED")
	e.now = at(4, 12)

	list, err := e.svc.ListNumbers(e.ctx, tenant, quality.NumberFilter{Status: "flagged"}, quality.Page{})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Items) != 1 {
		t.Fatalf("flagged numbers = %d, want 1", len(list.Items))
	}
	n := list.Items[0]
	since := at(2, 11).UTC()
	recovered := at(2, 14).UTC()
	wantLegacy := &quality.LegacyFlag{
		Since: since, Deadline: since.Add(quality.LegacyFlagWindow), DaysLeft: 5,
		QualitySince: []quality.RatingAt{
			{Rating: "RED", Label: "Low", At: at(2, 10).UTC()},
			{Rating: "YELLOW", Label: "Medium", At: recovered},
		},
		CurrentQuality: "YELLOW", MediumOrHighSince: &recovered,
		ProjectedOutcome: quality.OutcomeSameTier, CurrentTier: "TIER_10K", ProjectedTier: "TIER_10K",
	}
	if diff := cmp.Diff(wantLegacy, n.Legacy); diff != "" {
		t.Errorf("legacy flag (-want +got):\n%s", diff)
	}
	var kinds []string
	for _, a := range n.OpenAlerts {
		kinds = append(kinds, a.Kind+" "+a.Severity+" "+a.Value)
	}
	if diff := cmp.Diff([]string{"number_quality warning YELLOW", "number_status warning FLAGGED"}, kinds); diff != "" {
		t.Errorf("open alerts (-want +got):\n%s", diff)
	}
	if !n.Onboarded || n.QualityLabel != "Medium" {
		t.Errorf("onboarded = %v, label = %q", n.Onboarded, n.QualityLabel)
	}

	roll, err := e.svc.NumberDaily(e.ctx, tenant, n.ID, at(1, 0), at(4, 0))
	if err != nil {
		t.Fatal(err)
	}
	wantRoll := quality.Rollup{TimeZone: "America/Sao_Paulo", Attribute: "quality_rating", From: "2026-03-01", To: "2026-03-04",
		Days: []quality.Day{
			{Date: "2026-03-01", Lowest: "GREEN", LowestLabel: "High", Last: "GREEN", Changes: 1},
			{Date: "2026-03-02", Lowest: "RED", LowestLabel: "Low", Last: "YELLOW", Changes: 2},
			{Date: "2026-03-03", Lowest: "YELLOW", LowestLabel: "Medium", Last: "YELLOW"},
			{Date: "2026-03-04", Lowest: "YELLOW", LowestLabel: "Medium", Last: "YELLOW"},
		}}
	if diff := cmp.Diff(wantRoll, roll); diff != "" {
		t.Errorf("roll-up (-want +got):\n%s", diff)
	}

	var got []string
	p := quality.Page{Limit: 2}
	for {
		h, err := e.svc.NumberHistory(e.ctx, tenant, n.ID, quality.HistoryFilter{Attribute: "quality_rating"}, p)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range h.Items {
			got = append(got, r.Value+" "+r.Source)
		}
		if h.NextCursor == "" {
			break
		}
		p.Cursor = h.NextCursor
	}
	if diff := cmp.Diff([]string{"YELLOW poll", "RED poll", "GREEN poll"}, got); diff != "" {
		t.Errorf("history newest first (-want +got):\n%s", diff)
	}
}

func TestAlertsAcknowledgeAndIsolation(t *testing.T) {
	e := newEnv(t)
	tenant := e.seedMain(t)
	other := e.seedTenant(t, "other", "UTC")
	e.poll(t, tenant, t1, "RED", "CONNECTED")

	open, err := e.svc.ListAlerts(e.ctx, tenant, quality.AlertFilter{State: quality.AlertStateOpen}, quality.Page{})
	if err != nil {
		t.Fatal(err)
	}
	if len(open.Items) != 1 || open.Items[0].Kind != quality.AlertNumberQuality {
		t.Fatalf("open alerts = %+v", open.Items)
	}
	id := open.Items[0].ID
	e.now = t2
	a, err := e.svc.AcknowledgeAlert(e.ctx, tenant, id, "client-a")
	if err != nil {
		t.Fatal(err)
	}
	e.now = t2.Add(time.Hour)
	again, err := e.svc.AcknowledgeAlert(e.ctx, tenant, id, "client-b")
	if err != nil {
		t.Fatal(err)
	}
	if a.AcknowledgedAt == nil || !a.AcknowledgedAt.Equal(t2) || again.AcknowledgedBy != "client-a" || !again.AcknowledgedAt.Equal(t2) {
		t.Errorf("acknowledgements: first %v by %q, second %v by %q", a.AcknowledgedAt, a.AcknowledgedBy, again.AcknowledgedAt, again.AcknowledgedBy)
	}

	tests := map[string]func() error{
		"acknowledge": func() error { _, err := e.svc.AcknowledgeAlert(e.ctx, other, id, "x"); return err },
		"get alert":   func() error { _, err := e.svc.GetAlert(e.ctx, other, id); return err },
		"get number":  func() error { _, err := e.svc.GetNumber(e.ctx, other, uuid.MustParse(a.SubjectID)); return err },
		"history": func() error {
			_, err := e.svc.NumberHistory(e.ctx, other, uuid.MustParse(a.SubjectID), quality.HistoryFilter{}, quality.Page{})
			return err
		},
		"daily": func() error {
			_, err := e.svc.NumberDaily(e.ctx, other, uuid.MustParse(a.SubjectID), time.Time{}, time.Time{})
			return err
		},
	}
	for name, call := range tests {
		t.Run(name, func(t *testing.T) {
			if err := call(); !apperr.Is(err, apperr.NotFound) {
				t.Errorf("another tenant's %s: err = %v, want not found", name, err)
			}
		})
	}
	list, err := e.svc.ListAlerts(e.ctx, other, quality.AlertFilter{}, quality.Page{})
	if err != nil || len(list.Items) != 0 {
		t.Errorf("another tenant lists %d alerts (err %v)", len(list.Items), err)
	}
}

func TestSummaryAndAdminOverview(t *testing.T) {
	e := newEnv(t)
	calm := e.seedTenant(t, "calm", "UTC")
	troubled := e.seedMain(t)
	e.poll(t, troubled, t1, "RED", "FLAGGED")
	ref := metasim.TemplateRef{WABAID: wabaMain, ID: 1689556908129841, Name: "promo", Language: "en", Category: "MARKETING"}
	e.deliver(t, metasim.TemplateStatusBody(t2, wabaMain, metasim.TemplateStatus{Event: "PAUSED", ID: ref.ID, Name: ref.Name,
		Language: ref.Language, Reason: "NONE", Category: ref.Category, OtherInfo: &metasim.OtherInfo{Title: "FIRST_PAUSE"}}))
	e.deliver(t, metasim.BusinessCapabilityBody(t2, wabaMain, metasim.BusinessCapability{MaxDailyConversationsPerBusiness: "10000"}))

	sum, err := e.svc.Summary(e.ctx, troubled)
	if err != nil {
		t.Fatal(err)
	}
	want := quality.Summary{
		WorstNumberRating: "RED", NumbersByRating: map[string]int{"RED": 1}, NumbersByStatus: map[string]int{"FLAGGED": 1},
		FlaggedNumbers: 1, WorstTemplateScore: "UNKNOWN",
		TemplatesByScore: map[string]int{"UNKNOWN": 1}, TemplatesByStatus: map[string]int{"PAUSED": 1},
		OpenAlerts: map[string]int{"critical": 1, "warning": 2, "info": 0},
		Portfolios: []quality.Portfolio{{WABAID: wabaMain, Limit: "TIER_10K", NextLimit: "TIER_100K",
			Path: sum.Portfolios[0].Path, Blockers: []string{"number +15550783881"}}},
	}
	if diff := cmp.Diff(want, sum); diff != "" {
		t.Errorf("summary (-want +got):\n%s", diff)
	}

	over, err := e.svc.AdminOverview(e.ctx, quality.Page{Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(over.Items) != 1 || over.Items[0].TenantID != troubled || over.NextCursor == "" {
		t.Fatalf("first page = %+v (next %q), want the troubled tenant first", over.Items, over.NextCursor)
	}
	if r := over.Items[0]; r.WorstNumberRating != "RED" || r.OpenCritical != 1 || r.OpenWarning != 2 || r.TemplatesBlocked != 1 || r.Risk != 1205 {
		t.Errorf("troubled tenant line = %+v", r)
	}
	next, err := e.svc.AdminOverview(e.ctx, quality.Page{Limit: 1, Cursor: over.NextCursor})
	if err != nil || len(next.Items) != 1 || next.Items[0].TenantID != calm || next.Items[0].Risk != 0 {
		t.Fatalf("second page = %+v, err %v", next.Items, err)
	}

	alerts, err := e.svc.AdminAlerts(e.ctx, quality.AlertFilter{}, quality.Page{})
	if err != nil {
		t.Fatal(err)
	}
	var order []string
	for _, a := range alerts.Items {
		order = append(order, a.Severity+" "+a.Kind)
	}
	wantOrder := []string{"critical number_quality", "warning number_status", "warning template_paused"}
	if diff := cmp.Diff(wantOrder, order); diff != "" {
		t.Errorf("admin alerts by risk (-want +got):\n%s", diff)
	}
}

// A number known only from a quality webhook (digits, no Graph poll yet)
// still shows a display number: its digits in E.164.
func TestWebhookOnlyNumberShowsItsDigits(t *testing.T) {
	e := newEnv(t)
	tenant := e.seedMain(t)
	e.deliver(t, metasim.QualityUpdateBody(time.Date(2026, 3, 2, 11, 0, 0, 0, time.UTC), wabaMain, digitsMain, "FLAGGED", "TIER_10K", ""))
	list, err := e.svc.ListNumbers(e.ctx, tenant, quality.NumberFilter{}, quality.Page{})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Items) != 1 || list.Items[0].DisplayPhoneNumber != "+"+digitsMain {
		t.Fatalf("numbers %+v, want one showing +%s", list.Items, digitsMain)
	}
}

// Filters by Meta's ids combine with the cursor: a page's cursor continues
// the same filtered list.
func TestNumberFilterByPhoneNumberID(t *testing.T) {
	e := newEnv(t)
	tenant := e.seedMain(t)
	e.poll(t, tenant, t1, "GREEN", "CONNECTED")
	tests := []struct {
		name, phoneID string
		want          int
	}{
		{"the registered id", phoneMain, 1},
		{"an id no number has", "999000111", 0},
		{"no filter", "", 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l, err := e.svc.ListNumbers(e.ctx, tenant, quality.NumberFilter{PhoneNumberID: tc.phoneID}, quality.Page{Limit: 1})
			if err != nil {
				t.Fatal(err)
			}
			if len(l.Items) != tc.want {
				t.Fatalf("numbers = %d, want %d", len(l.Items), tc.want)
			}
			if tc.want > 0 && l.Items[0].PhoneNumberID != phoneMain {
				t.Fatalf("phone_number_id = %q", l.Items[0].PhoneNumberID)
			}
		})
	}
}

func TestTemplateFilterByNameAndLanguage(t *testing.T) {
	e := newEnv(t)
	tenant := e.seedMain(t)
	_, err := e.svc.ApplyTemplatePoll(e.ctx, tenant, wabaMain, t1, []quality.TemplatePoll{
		{ID: "101", Name: "welcome", Language: "en_US", Status: "APPROVED", Category: "MARKETING"},
		{ID: "102", Name: "welcome", Language: "pt_BR", Status: "APPROVED", Category: "MARKETING"},
		{ID: "103", Name: "otp", Language: "en_US", Status: "APPROVED", Category: "AUTHENTICATION"},
	})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		filter  quality.TemplateFilter
		wantIDs []string
	}{
		{"name", quality.TemplateFilter{Name: "welcome"}, []string{"102", "101"}},
		{"language", quality.TemplateFilter{Language: "en_US"}, []string{"103", "101"}},
		{"name and language", quality.TemplateFilter{Name: "welcome", Language: "pt_BR"}, []string{"102"}},
		{"unknown name", quality.TemplateFilter{Name: "nope"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			p := quality.Page{Limit: 1}
			for {
				l, err := e.svc.ListTemplates(e.ctx, tenant, tc.filter, p)
				if err != nil {
					t.Fatal(err)
				}
				for _, v := range l.Items {
					got = append(got, v.TemplateID)
				}
				if l.NextCursor == "" {
					break
				}
				p.Cursor = l.NextCursor
			}
			if diff := cmp.Diff(tc.wantIDs, got); diff != "" {
				t.Fatalf("templates, one per page (-want +got):\n%s", diff)
			}
		})
	}
}
