package billing

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestClassifyPricing(t *testing.T) {
	yes, no := true, false
	tests := []struct {
		name, category, typ string
		billable            *bool
		want                pricing
		class               string
	}{
		{name: "regular marketing", category: "marketing", typ: "regular", billable: &yes,
			want: pricing{category: "marketing", rateCategory: "marketing", pricingType: "regular", chargeable: true}, class: ClassTemplate},
		{name: "free service in window", category: "service", typ: "free_customer_service", billable: &no,
			want: pricing{category: "service", rateCategory: "service", pricingType: "free_customer_service"}, class: ClassSession},
		{name: "charged service from 2026-10", category: "service", typ: "regular",
			want: pricing{category: "service", rateCategory: "service", pricingType: "regular", chargeable: true}, class: ClassSession},
		{name: "free entry point", category: "marketing", typ: "free_entry_point",
			want: pricing{category: "marketing", rateCategory: "marketing", pricingType: "free_entry_point"}, class: ClassFreeEntryPoint},
		{name: "underscore spelling", category: "AUTHENTICATION_INTERNATIONAL", typ: "REGULAR",
			want: pricing{category: CategoryAuthIntl, rateCategory: CategoryAuthIntl, pricingType: "regular", chargeable: true}, class: ClassTemplate},
		{name: "marketing lite", category: "marketing_lite", typ: "regular",
			want: pricing{category: "marketing_lite", rateCategory: "marketing", pricingType: "regular", chargeable: true}, class: ClassTemplate},
		{name: "conversation era billable", category: "service", billable: &yes,
			want: pricing{category: "service", rateCategory: "service", chargeable: true}, class: ClassSession},
		{name: "conversation era not billable", category: "utility", billable: &no,
			want: pricing{category: "utility", rateCategory: "utility"}, class: ClassTemplate},
		{name: "unknown category", category: "marketing_plus", typ: "regular",
			want: pricing{category: "marketing_plus", rateCategory: "marketing", pricingType: "regular", chargeable: true, fallback: true}, class: ClassOther},
		{name: "unknown type without billable", category: "utility", typ: "paid_later",
			want: pricing{category: "utility", rateCategory: "utility", pricingType: "paid_later", chargeable: true, fallback: true}, class: ClassTemplate},
		{name: "unknown type not billable", category: "utility", typ: "paid_later", billable: &no,
			want: pricing{category: "utility", rateCategory: "utility", pricingType: "paid_later", fallback: true}, class: ClassTemplate},
		{name: "charged referral conversion", category: "referral_conversion", typ: "regular",
			want: pricing{category: "referral_conversion", rateCategory: "marketing", pricingType: "regular", chargeable: true, fallback: true}, class: ClassOther},
		{name: "no pricing", want: pricing{}, class: ClassUnpriced},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := DefaultFallback.classifyPricing(tt.category, tt.typ, tt.billable)
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(pricing{})); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if c := ClassOf(got.category, got.pricingType); c != tt.class {
				t.Errorf("class %s, want %s", c, tt.class)
			}
		})
	}
}
