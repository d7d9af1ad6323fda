package httpapi_test

import (
	"net/http"
	"testing"

	"github.com/google/uuid"
	"github.com/hibiken/asynq"

	"github.com/wabsp/wabsp/openapi"
	"github.com/wabsp/wabsp/tenants/tenantstest"
)

// A number registered through the API is in quality monitoring at once,
// with its values unknown, and only for its own tenant; registering it again
// changes nothing, and a poll of its WABA is queued when wabsp can call Meta
// about it.
func TestRegisteredNumberIsMonitoredAtOnce(t *testing.T) {
	e := newEnv(t, options{})
	noToken := tenantstest.MustCreateWABA(t, e.svc, e.tenantA.ID, "")
	tests := []struct {
		name     string
		wabaRef  uuid.UUID
		wantPoll bool
	}{
		{"WABA with a token", e.wabaA.ID, true},
		{"WABA without a token", noToken.ID, false},
	}
	tokA, tokB := e.token(e.clientA), e.token(e.clientB)
	base := "/v1/tenants/" + e.tenantA.ID.String()
	inspector := asynq.NewInspectorFromRedisClient(e.rdb)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			phoneID := tenantstest.Digits(15)
			body := mustJSON(t, map[string]any{"waba_ref": tc.wabaRef, "phone_number_id": phoneID,
				"display_phone_number": "+44 7700 " + tenantstest.Digits(6), "verified_name": "Shop"})
			must(t, e.do(request{method: "POST", path: base + "/phone-numbers", token: tokA, body: body}), http.StatusCreated, nil)

			list := base + "/quality/phone-numbers?phone_number_id=" + phoneID
			var got openapi.QualityNumberList
			must(t, e.do(request{method: "GET", path: list, token: tokA}), http.StatusOK, &got)
			if len(got.Items) != 1 {
				t.Fatalf("quality numbers = %+v, want the registered one", got.Items)
			}
			n := got.Items[0]
			if n.DiscoveredVia != openapi.QualityNumberDiscoveredViaRegistered || n.QualityRating.Value != "" ||
				n.Status.Value != "" || n.QualityLabel != "Unknown" || !n.Onboarded || n.VerifiedName != "Shop" {
				t.Errorf("registered number = %+v", n)
			}

			must(t, e.do(request{method: "POST", path: base + "/phone-numbers", token: tokA, body: body}), http.StatusConflict, nil)
			var again openapi.QualityNumberList
			must(t, e.do(request{method: "GET", path: list, token: tokA}), http.StatusOK, &again)
			if len(again.Items) != 1 || again.Items[0].Id != n.Id || !again.Items[0].UpdatedAt.Equal(n.UpdatedAt) {
				t.Errorf("after registering again = %+v, want %+v unchanged", again.Items, n)
			}

			var other openapi.QualityNumberList
			must(t, e.do(request{method: "GET", path: "/v1/tenants/" + e.tenantB.ID.String() + "/quality/phone-numbers?phone_number_id=" + phoneID,
				token: tokB}), http.StatusOK, &other)
			if len(other.Items) != 0 {
				t.Errorf("tenant B sees %+v", other.Items)
			}
			must(t, e.do(request{method: "GET", path: list, token: tokB}), http.StatusForbidden, nil)
			must(t, e.do(request{method: "GET", path: base + "/quality/phone-numbers/" + n.Id.String(), token: tokB}), http.StatusForbidden, nil)

			info, err := inspector.GetTaskInfo("low", "quality:reconcile:numbers:now:"+tc.wabaRef.String())
			if tc.wantPoll && (err != nil || info.Type != "quality:reconcile") {
				t.Errorf("numbers poll: %+v, %v", info, err)
			}
			if !tc.wantPoll && err == nil {
				t.Errorf("numbers poll queued for a WABA wabsp cannot call Meta about: %+v", info)
			}
		})
	}
}
