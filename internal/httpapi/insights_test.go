package httpapi_test

import (
	"net/http"
	"testing"

	"github.com/wabsp/wabsp/openapi"
)

// TestInsightsAPI walks the insights API as a tenant's sender and analyst
// would: annotate messages (retried with an Idempotency-Key), set business
// hours, read every tracker, define a journey and an experiment, ask for a
// contact's variant and read the results.
func TestInsightsAPI(t *testing.T) {
	e := newEnv(t, options{})
	tok := e.token(e.clientA)
	base := "/v1/tenants/" + e.tenantA.ID.String() + "/insights"
	key := map[string]string{"Idempotency-Key": "send-7"}

	ann := `{"annotations":[{"wamid":"wamid.A1","template_name":"welcome","agent":"ana","experiment":"welcome_wording","variant":"short"}]}`
	var first, again openapi.AnnotationResult
	must(t, e.do(request{method: "POST", path: base + "/annotations", token: tok, body: ann, header: key}), http.StatusOK, &first)
	must(t, e.do(request{method: "POST", path: base + "/annotations", token: tok, body: ann, header: key}), http.StatusOK, &again)
	if first != (openapi.AnnotationResult{Annotated: 1, Seen: 0}) || again != first {
		t.Errorf("annotate: first %+v, again %+v", first, again)
	}
	var ev openapi.InsightEventResult
	must(t, e.do(request{method: "POST", path: base + "/events", token: tok,
		body: `{"events":[{"id":"e1","contact":"16505551234","name":"signed_up","at":"2026-03-02T10:00:00Z"}]}`}), http.StatusOK, &ev)
	if ev.Recorded != 1 {
		t.Errorf("events recorded = %d", ev.Recorded)
	}

	var hours openapi.BusinessHours
	must(t, e.do(request{method: "PUT", path: base + "/business-hours", token: tok,
		body: `{"intervals":[{"day":"monday","open":"09:00","close":"17:00"}]}`}), http.StatusOK, &hours)
	must(t, e.do(request{method: "GET", path: base + "/business-hours", token: tok}), http.StatusOK, &hours)
	if len(hours.Intervals) != 1 || hours.Intervals[0].Close != "17:00" {
		t.Errorf("business hours = %+v", hours)
	}

	reads := []struct {
		name, path string
		status     int
	}{
		{"funnel", "/funnel?from=2026-03-01&to=2026-03-31&group_by=template,week", http.StatusOK},
		{"funnel with a bad grouping", "/funnel?group_by=agent", http.StatusBadRequest},
		{"response times", "/response-times?group_by=agent&clock=business", http.StatusOK},
		{"response times, to before from", "/response-times?from=2026-03-10&to=2026-03-01", http.StatusBadRequest},
		{"busiest hours", "/busiest-hours", http.StatusOK},
		{"contacts", "/contacts?grain=week", http.StatusOK},
		{"journeys", "/journeys", http.StatusOK},
		{"journey results", "/journeys/" + e.journeyA.String() + "/results?from=2026-03-01&to=2026-03-31", http.StatusOK},
		{"journey comparison", "/journeys/" + e.journeyA.String() + "/comparison?from=2026-03-01&boundary=2026-03-15&to=2026-03-31", http.StatusOK},
		{"journey comparison without a boundary", "/journeys/" + e.journeyA.String() + "/comparison?from=2026-03-01&to=2026-03-31", http.StatusBadRequest},
		{"experiments", "/experiments", http.StatusOK},
		{"experiment results", "/experiments/" + e.experimentA.String() + "/results", http.StatusOK},
		{"assignment without a contact", "/experiments/" + e.experimentA.String() + "/assignment", http.StatusBadRequest},
		{"journey of nobody", "/journeys/0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", http.StatusNotFound},
	}
	for _, r := range reads {
		t.Run(r.name, func(t *testing.T) {
			if res := e.do(request{method: "GET", path: base + r.path, token: tok}); res.status != r.status {
				t.Errorf("GET %s: %d %s", r.path, res.status, res.body)
			}
		})
	}

	var hrs openapi.BusiestHours
	must(t, e.do(request{method: "GET", path: base + "/busiest-hours", token: tok}), http.StatusOK, &hrs)
	if len(hrs.Hours) != 168 || hrs.Hours[0].Weekday != "monday" || hrs.Hours[167].Hour != 23 {
		t.Errorf("hours: %d cells, first %+v", len(hrs.Hours), hrs.Hours[0])
	}

	var j openapi.Journey
	must(t, e.do(request{method: "POST", path: base + "/journeys", token: tok, header: key,
		body: `{"key":"onboarding","name":"Onboarding","steps":[{"key":"a","match":"template","value":"welcome"},{"key":"b","match":"event","value":"signed_up"}]}`}),
		http.StatusCreated, &j)
	var x openapi.Experiment
	must(t, e.do(request{method: "POST", path: base + "/experiments", token: tok,
		body: `{"key":"tone","name":"Tone","variants":[{"key":"formal","weight":1},{"key":"casual","weight":3}],"journey_id":"` + j.Id.String() + `"}`}),
		http.StatusCreated, &x)
	var a1, a2 openapi.ExperimentAssignment
	must(t, e.do(request{method: "GET", path: base + "/experiments/" + x.Id.String() + "/assignment?contact=16505551234", token: tok}), http.StatusOK, &a1)
	must(t, e.do(request{method: "GET", path: base + "/experiments/" + x.Id.String() + "/assignment?contact=16505551234", token: tok}), http.StatusOK, &a2)
	if a1 != a2 || a1.Experiment != "tone" || (a1.Variant != "formal" && a1.Variant != "casual") {
		t.Errorf("assignments %+v, %+v", a1, a2)
	}
	var res openapi.ExperimentResults
	must(t, e.do(request{method: "GET", path: base + "/experiments/" + x.Id.String() + "/results", token: tok}), http.StatusOK, &res)
	if res.Control != "formal" || len(res.Variants) != 2 || len(res.Metrics) != 10 {
		t.Errorf("results: control %q, %d variants, %d metrics", res.Control, len(res.Variants), len(res.Metrics))
	}
	for _, path := range []string{"/experiments/" + x.Id.String(), "/journeys/" + j.Id.String()} {
		if r := e.do(request{method: "DELETE", path: base + path, token: tok}); r.status != http.StatusNoContent {
			t.Errorf("DELETE %s: %d %s", path, r.status, r.body)
		}
	}
}
