package httpapi_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/wabsp/wabsp/openapi"
	"github.com/wabsp/wabsp/sending"
)

// seedRecentRecipients sets tenant A's portfolio messaging limit to tier and
// gives it template sends to n distinct recipients in the last day, the
// first of them to also.
func (e *env) seedRecentRecipients(tier string, n int, also string) {
	t, ctx := e.t, context.Background()
	err := e.db.InTenantTx(ctx, e.tenantA.ID, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE quality_numbers SET messaging_limit = $2 WHERE tenant_id = $1`, e.tenantA.ID, tier); err != nil {
			return err
		}
		for i := range n {
			to := fmt.Sprintf("1415555%04d", i)
			if i == 0 && also != "" {
				to = also
			}
			if _, err := sending.Insert(ctx, tx, sending.Send{ID: uuid.New(), TenantID: e.tenantA.ID,
				PhoneNumberID: e.phoneA.PhoneNumberID, WabaID: e.wabaA.WABAID, Recipient: to, State: sending.StateSent,
				Message: sending.Message{Type: sending.TypeTemplate, Template: &sending.Template{Name: "order_update", Language: "en_US"}}}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("seed recent recipients: %v", err)
	}
}

// TestSendMessagingLimit refuses a template send to a new recipient once the
// portfolio has reached its messaging limit in the last 24 hours, and still
// accepts one to a recipient already counted in it.
func TestSendMessagingLimit(t *testing.T) {
	const to = "16505550000" // has utility consent in the seed
	tests := []struct {
		name string
		// recent distinct recipients in the last day; withTo counts to
		// among them.
		recent     int
		withTo     bool
		wantStatus int
		wantReason []string
	}{
		{name: "one below the limit", recent: 249, wantStatus: http.StatusAccepted},
		{name: "at the limit", recent: 250, wantStatus: http.StatusUnprocessableEntity, wantReason: []string{"messaging_limit_reached"}},
		{name: "at the limit, recipient already counted", recent: 250, withTo: true, wantStatus: http.StatusAccepted},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, options{})
			also := ""
			if tc.withTo {
				also = to
			}
			e.seedRecentRecipients("TIER_250", tc.recent, also)
			path := "/v1/tenants/" + e.tenantA.ID.String() + "/messages"
			res := e.do(request{method: "POST", path: path, token: e.token(e.clientA), body: templateBody(e.phoneA.PhoneNumberID, to, "order_update")})
			if tc.wantStatus == http.StatusAccepted {
				must(t, res, http.StatusAccepted, nil)
				return
			}
			var p openapi.Problem
			must(t, res, tc.wantStatus, &p)
			if p.Code != "send_refused" || p.Reasons == nil {
				t.Fatalf("problem = %+v", p)
			}
			if diff := cmp.Diff(tc.wantReason, *p.Reasons); diff != "" {
				t.Errorf("reasons (-want +got):\n%s", diff)
			}
		})
	}
}
