package billing_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wabsp/wabsp/billing"
	"github.com/wabsp/wabsp/internal/metasim"
)

func TestLedgerCountsEachMessageOnce(t *testing.T) {
	e := newEnv(t)
	sent := metasim.Status{WAMID: "wamid.A", Status: "sent", Timestamp: at("2026-10-05T10:00:00Z"), RecipientID: "5511999990000", Pricing: regular("marketing")}
	delivered := metasim.Status{WAMID: "wamid.A", Status: "delivered", Timestamp: at("2026-10-05T10:00:05Z"), RecipientID: "5511999990000", Pricing: regular("marketing")}
	read := metasim.Status{WAMID: "wamid.A", Status: "read", Timestamp: at("2026-10-05T10:01:00Z"), RecipientID: "5511999990000"}
	// Read first, then delivered with a duplicate sent, then everything again.
	e.deliver(t, e.statuses(read))
	e.deliver(t, e.statuses(delivered, sent, sent))
	e.deliver(t, e.statuses(sent, delivered, read))
	u := e.usage(t, "2026-10-01", "2026-10-31", billing.DimMarket, billing.DimCategory)
	want := []billing.UsageGroup{{Market: "Brazil", Category: "marketing",
		Counts: billing.Counts{Messages: 1, Sent: 1, Delivered: 1, Read: 1, Charged: 1}}}
	if diff := cmp.Diff(want, u.Groups); diff != "" {
		t.Errorf("groups (-want +got):\n%s", diff)
	}
	byPhone := e.usage(t, "2026-10-01", "2026-10-31", billing.DimDay, billing.DimPhoneNumber)
	day := at("2026-10-05T00:00:00Z")
	wantPhone := []billing.UsageGroup{{Day: &day, PhoneNumberID: e.phone.PhoneNumberID,
		Counts: billing.Counts{Messages: 1, Sent: 1, Delivered: 1, Read: 1, Charged: 1}}}
	if diff := cmp.Diff(wantPhone, byPhone.Groups); diff != "" {
		t.Errorf("groups by day and phone (-want +got):\n%s", diff)
	}
	if byPhone.Totals.ByClass[billing.ClassTemplate].Charged != 1 || byPhone.Totals.All.Messages != 1 {
		t.Errorf("totals by phone: %+v", byPhone.Totals)
	}
	e.mustRecount(t, e.tenant.ID)
}
