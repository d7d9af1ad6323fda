package httpapi_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/wabsp/wabsp/openapi"
	"github.com/wabsp/wabsp/tenants/onboarding"
)

// seedOnboarding gives tenant A an onboarding (its steps are not run: no
// worker serves this env's queue).
func (e *env) seedOnboarding() {
	o, _, err := e.onboardings.Create(context.Background(), e.tenantA.ID, "test", onboarding.New{
		Code: "seed-code", WABAID: "7100000000001", PhoneNumberID: "7200000000001",
	})
	if err != nil {
		e.t.Fatalf("seed onboarding: %v", err)
	}
	e.onboardingA = o.ID
}

func TestOnboardingAPI(t *testing.T) {
	e := newEnv(t, options{})
	base := "/v1/tenants/" + e.tenantA.ID.String() + "/onboardings"
	body := `{"code":"AQBcode","waba_id":"7100000000002","phone_number_id":"7200000000002"}`
	partner, tenant, admin := e.token(e.partnerClientA), e.token(e.clientA), e.token(e.admin)

	tests := []struct {
		name   string
		req    request
		status int
	}{
		{"the tenant itself may not onboard", request{method: http.MethodPost, path: base, token: tenant, body: body}, http.StatusForbidden},
		{"the partner onboards", request{method: http.MethodPost, path: base, token: partner, body: body}, http.StatusCreated},
		{"a duplicate answers the existing one", request{method: http.MethodPost, path: base, token: admin, body: body}, http.StatusOK},
		{"a PIN must be 6 digits", request{method: http.MethodPost, path: base, token: partner,
			body: `{"code":"c","waba_id":"7100000000003","phone_number_id":"7200000000003","pin":"12"}`}, http.StatusBadRequest},
		{"the tenant reads its onboardings", request{method: http.MethodGet, path: base, token: tenant}, http.StatusOK},
		{"a running onboarding cannot be retried", request{method: http.MethodPost, path: base + "/" + e.onboardingA.String() + "/retry",
			token: partner, body: `{}`}, http.StatusConflict},
		{"admins filter every tenant's by state", request{method: http.MethodGet, path: "/v1/admin/onboardings?state=pending", token: admin},
			http.StatusOK},
		{"an unknown state is refused", request{method: http.MethodGet, path: "/v1/admin/onboardings?state=stuck", token: admin},
			http.StatusBadRequest},
	}
	var created openapi.Onboarding
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := e.do(tc.req)
			if res.status != tc.status {
				t.Fatalf("status %d, want %d; body %s", res.status, tc.status, res.body)
			}
			switch tc.status {
			case http.StatusCreated:
				res.decode(t, &created)
			case http.StatusOK:
				if tc.req.method != http.MethodPost {
					return
				}
				var again openapi.Onboarding
				res.decode(t, &again)
				if again.Id != created.Id || len(again.Steps) != len(onboarding.Steps) {
					t.Fatalf("duplicate answered %s with %d steps, want %s", again.Id, len(again.Steps), created.Id)
				}
			}
		})
	}
	var list openapi.OnboardingList
	e.do(request{method: http.MethodGet, path: "/v1/admin/onboardings?state=pending", token: admin}).decode(t, &list)
	if len(list.Items) != 2 {
		t.Fatalf("admin sees %d pending onboardings, want 2", len(list.Items))
	}
}
