package httpapi_test

import (
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hibiken/asynq"

	"github.com/wabsp/wabsp/openapi"
)

// TestQualityFlow reads tenant A's seeded quality state through the API the
// way a tenant's client would, acknowledges its alert, and checks that a new
// WABA is queued for onboarding.
func TestQualityFlow(t *testing.T) {
	e := newEnv(t, options{})
	tok := e.token(e.clientA)
	base := "/v1/tenants/" + e.tenantA.ID.String() + "/quality"

	var numbers openapi.QualityNumberList
	must(t, e.do(request{method: "GET", path: base + "/phone-numbers?quality_rating=RED", token: tok}), http.StatusOK, &numbers)
	if len(numbers.Items) != 1 {
		t.Fatalf("red numbers = %d, want 1", len(numbers.Items))
	}
	n := numbers.Items[0]
	if n.Id != e.qualityNumberA || n.QualityLabel != "Low" || !n.Onboarded || len(n.OpenAlerts) != 1 ||
		n.OpenAlerts[0].Severity != openapi.Critical {
		t.Errorf("number = %+v", n)
	}

	var history openapi.QualityHistoryList
	must(t, e.do(request{method: "GET", path: base + "/phone-numbers/" + n.Id.String() + "/history?attribute=quality_rating", token: tok}),
		http.StatusOK, &history)
	if len(history.Items) != 1 || history.Items[0].Value != "RED" || history.Items[0].Source != openapi.QualityHistoryEntrySourcePoll {
		t.Errorf("history = %+v", history.Items)
	}
	var daily openapi.QualityRollup
	must(t, e.do(request{method: "GET", path: base + "/phone-numbers/" + n.Id.String() + "/daily", token: tok}), http.StatusOK, &daily)
	if len(daily.Days) != 30 || daily.Days[29].Lowest != "RED" || daily.TimeZone != "UTC" {
		t.Errorf("roll-up: %d days, last %+v, zone %s", len(daily.Days), daily.Days[len(daily.Days)-1], daily.TimeZone)
	}
	must(t, e.do(request{method: "GET", path: base + "/phone-numbers/" + n.Id.String() + "/daily?from=2001-01-01", token: tok}),
		http.StatusBadRequest, nil)

	var templates openapi.QualityTemplateList
	must(t, e.do(request{method: "GET", path: base + "/templates?status=approved", token: tok}), http.StatusOK, &templates)
	if len(templates.Items) != 1 || templates.Items[0].TemplateId != e.qualityTemplateA {
		t.Errorf("templates = %+v", templates.Items)
	}

	var acked openapi.QualityAlert
	must(t, e.do(request{method: "POST", path: base + "/alerts/" + e.qualityAlertA.String() + "/acknowledge", token: tok}), http.StatusOK, &acked)
	if acked.AcknowledgedAt == nil || acked.AcknowledgedBy == nil || *acked.AcknowledgedBy != e.clientA.Client.ID.String() {
		t.Errorf("acknowledged alert = %+v", acked)
	}
	var summary openapi.QualitySummary
	must(t, e.do(request{method: "GET", path: base + "/summary", token: tok}), http.StatusOK, &summary)
	if diff := cmp.Diff(map[string]int{"critical": 1, "warning": 0, "info": 0}, summary.OpenAlerts); diff != "" || summary.WorstNumberRating != "RED" {
		t.Errorf("summary worst %q, open alerts (-want +got):\n%s", summary.WorstNumberRating, diff)
	}

	admin := e.token(e.admin)
	var overview openapi.QualityTenantRiskList
	must(t, e.do(request{method: "GET", path: "/v1/admin/quality/tenants", token: admin}), http.StatusOK, &overview)
	if len(overview.Items) == 0 || overview.Items[0].TenantId != e.tenantA.ID {
		t.Errorf("riskiest tenant = %+v, want tenant A", overview.Items)
	}
	must(t, e.do(request{method: "GET", path: "/v1/admin/quality/tenants", token: tok}), http.StatusForbidden, nil)

	var w openapi.WABA
	must(t, e.do(request{method: "POST", path: "/v1/tenants/" + e.tenantA.ID.String() + "/wabas", token: tok,
		body: `{"waba_id":"998877665544332","access_token":"EAAJB0new"}`}), http.StatusCreated, &w)
	info, err := asynq.NewInspectorFromRedisClient(e.rdb).GetTaskInfo("default", "quality:onboard:"+w.Id.String())
	if err != nil || info.Type != "quality:onboard" {
		t.Errorf("onboarding task: %+v, %v", info, err)
	}
}
