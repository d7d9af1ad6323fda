package httpapi

import (
	"fmt"
	"strings"
	"time"

	openapi_types "github.com/oapi-codegen/runtime/types"

	"github.com/wabsp/wabsp/billing"
	"github.com/wabsp/wabsp/internal/apperr"
	"github.com/wabsp/wabsp/openapi"
)

func date(t time.Time) openapi_types.Date { return openapi_types.Date{Time: t} }

func optDate(t time.Time) *openapi_types.Date {
	if t.IsZero() {
		return nil
	}
	d := date(t)
	return &d
}

// amount formats a rounded amount with its currency's minor digits.
func amount(m billing.Micros, currency string) string {
	return m.Decimal(billing.MinorDigits(currency))
}

func toBillingCounts(c billing.Counts) openapi.BillingCounts {
	return openapi.BillingCounts{Messages: c.Messages, Sent: c.Sent, Delivered: c.Delivered, Read: c.Read,
		Failed: c.Failed, Charged: c.Charged, Fallback: c.Fallback}
}

func toUsageTotals(t billing.UsageTotals) openapi.UsageTotals {
	out := openapi.UsageTotals{All: toBillingCounts(t.All), ByClass: map[string]openapi.BillingCounts{},
		Inbound: openapi.InboundCounts{Messages: t.Inbound.Messages, Referrals: t.Inbound.Referrals}, Unrecognized: t.Unrecognized}
	for k, c := range t.ByClass {
		out.ByClass[k] = toBillingCounts(c)
	}
	if out.Unrecognized == nil {
		out.Unrecognized = []string{}
	}
	return out
}

func toBillingUsage(u billing.Usage) openapi.BillingUsage {
	out := openapi.BillingUsage{TimeZone: u.TimeZone, From: date(u.From), To: date(u.To),
		GroupBy: make([]openapi.UsageDimension, len(u.GroupBy)), Groups: make([]openapi.UsageGroup, len(u.Groups)),
		Totals: toUsageTotals(u.Totals), NextCursor: optString(u.NextCursor)}
	for i, d := range u.GroupBy {
		out.GroupBy[i] = openapi.UsageDimension(d)
	}
	for i, g := range u.Groups {
		og := openapi.UsageGroup{Counts: toBillingCounts(g.Counts), PhoneNumberId: optString(g.PhoneNumberID),
			Market: optString(g.Market), Category: optString(g.Category), PricingType: optString(g.PricingType)}
		if g.Day != nil {
			og.Day = optDate(*g.Day)
		}
		if g.Inbound != nil {
			og.Inbound = &openapi.InboundCounts{Messages: g.Inbound.Messages, Referrals: g.Inbound.Referrals}
		}
		out.Groups[i] = og
	}
	return out
}

// toInvoice is the tenant's view of an invoice: its prices, not Meta's
// cost (which the admin margin view shows).
func toInvoice(inv billing.Invoice) openapi.Invoice {
	c := inv.Currency
	out := openapi.Invoice{TenantId: inv.TenantID, Month: inv.Month, Status: openapi.InvoiceStatus(inv.Status),
		Currency: c, TimeZone: inv.TimeZone, PeriodStart: date(inv.PeriodStart), PeriodEnd: date(inv.PeriodEnd),
		MarkupPercent: billing.FormatPercent(inv.MarkupBP), MonthlyFee: amount(inv.MonthlyFee, c),
		Usage: amount(inv.Usage, c), Total: amount(inv.Total, c), Lines: make([]openapi.InvoiceLine, len(inv.Lines)),
		Counts: toUsageTotals(inv.Counts), Warnings: inv.Warnings, ComputedAt: inv.ComputedAt, FinalizedAt: inv.FinalizedAt}
	if inv.Status == billing.StatusFinal {
		id := inv.ID
		out.Id = &id
	}
	if out.Warnings == nil {
		out.Warnings = []string{}
	}
	for i, l := range inv.Lines {
		out.Lines[i] = openapi.InvoiceLine{Market: l.Market, Category: l.Category, RateFrom: optDate(l.RateFrom),
			TierFrom: l.TierFrom, Quantity: l.Quantity, UnitPrice: l.UnitPrice.String(), Amount: amount(l.Amount, c),
			Override: l.Override, Verified: l.Verified, RateMissing: l.RateMissing}
	}
	return out
}

func toInvoiceSummary(s billing.InvoiceSummary) openapi.InvoiceSummary {
	out := openapi.InvoiceSummary{Month: s.Month, Status: openapi.InvoiceSummaryStatus(s.Status), Currency: s.Currency,
		Total: amount(s.Total, s.Currency), FinalizedAt: s.FinalizedAt}
	if s.Status == billing.StatusFinal {
		id := s.ID
		out.Id = &id
	}
	return out
}

func toPriceList(pl billing.PriceList) openapi.PriceList {
	out := openapi.PriceList{Currency: pl.Currency, Day: date(pl.Day), MarkupPercent: billing.FormatPercent(pl.MarkupBP),
		Prices: make([]openapi.Price, len(pl.Prices))}
	for i, p := range pl.Prices {
		out.Prices[i] = openapi.Price{Market: p.Market, Category: p.Category, TierFrom: p.TierFrom,
			EffectiveFrom: date(p.EffectiveFrom), UnitPrice: p.UnitPrice.String(), Override: p.Override, Verified: p.Verified}
	}
	return out
}

func toBillingPlan(p billing.Plan) openapi.BillingPlan {
	out := openapi.BillingPlan{Currency: p.Currency, MonthlyFee: amount(p.MonthlyFee.Amount(p.Currency), p.Currency),
		MarkupPercent: billing.FormatPercent(p.MarkupBP), Default: !p.Stored, Overrides: make([]openapi.PriceOverride, len(p.Overrides))}
	if p.Stored {
		at := p.UpdatedAt
		out.UpdatedAt = &at
	}
	for i, o := range p.Overrides {
		out.Overrides[i] = openapi.PriceOverride{Market: o.Market, Category: o.Category, Price: o.Price.String()}
	}
	return out
}

func fromBillingPlanInput(in openapi.BillingPlanInput) (billing.PlanInput, error) {
	out := billing.PlanInput{Currency: in.Currency}
	var err error
	if in.MonthlyFee != nil {
		if out.MonthlyFee, err = billing.ParseMicros(*in.MonthlyFee); err != nil {
			return out, apperr.InvalidField("monthly_fee", "must be a decimal amount")
		}
	}
	if in.MarkupPercent != nil {
		if out.MarkupBP, err = billing.ParsePercent(*in.MarkupPercent); err != nil {
			return out, apperr.InvalidField("markup_percent", "must be a percentage with at most 2 decimals, up to 10000")
		}
	}
	for i, o := range deref(in.Overrides) {
		price, err := billing.ParseSignedMicros(o.Price)
		if err != nil {
			return out, apperr.InvalidField(fmt.Sprintf("overrides[%d].price", i), "must be a decimal amount")
		}
		out.Overrides = append(out.Overrides, billing.Override{Market: o.Market, Category: o.Category, Price: price})
	}
	return out, nil
}

func toRate(r billing.Rate) openapi.Rate {
	v := r.Version
	return openapi.Rate{EffectiveFrom: date(r.EffectiveFrom), EffectiveTo: optDate(r.EffectiveTo), Currency: r.Currency,
		Market: r.Market, Category: r.Category, TierFrom: r.TierFrom, Rate: r.Rate.String(), Verified: r.Verified,
		Source: r.Source, Version: &v}
}

// fromRateImport reads the rates of an import, from CSV text or a list;
// malformed rows are reported by row, like a CSV's lines.
func fromRateImport(in openapi.RateImport) ([]billing.Rate, error) {
	switch {
	case in.Csv != nil && in.Rates != nil:
		return nil, apperr.InvalidField("csv", "give csv or rates, not both")
	case in.Csv != nil:
		return billing.ParseRatesCSV(strings.NewReader(*in.Csv))
	case in.Rates == nil:
		return nil, apperr.InvalidField("rates", "give csv or rates")
	}
	errs := map[string]string{}
	out := make([]billing.Rate, 0, len(*in.Rates))
	for i, r := range *in.Rates {
		rate, err := billing.ParseSignedMicros(r.Rate)
		if err != nil {
			errs[fmt.Sprintf("rates[%d]", i)] = "rate is not a decimal with at most 6 decimals"
			continue
		}
		out = append(out, billing.Rate{Currency: r.Currency, Market: r.Market, Category: r.Category,
			EffectiveFrom: r.EffectiveFrom.Time, EffectiveTo: deref(r.EffectiveTo).Time, TierFrom: deref(r.TierFrom),
			Rate: rate, Verified: deref(r.Verified), Source: deref(r.Source)})
	}
	if len(errs) > 0 {
		return nil, &apperr.Error{Code: apperr.Invalid, Message: "rate card: rows have errors", Fields: errs}
	}
	return out, nil
}

func toMargin(m billing.Margin) openapi.Margin {
	return openapi.Margin{TenantId: m.TenantID, TenantName: m.TenantName, Month: m.Month, Status: openapi.MarginStatus(m.Status),
		Currency: m.Currency, MetaCost: amount(m.MetaCost, m.Currency), Revenue: amount(m.Revenue, m.Currency),
		Margin: amount(m.Margin, m.Currency), Charged: m.Charged, Warnings: m.Warnings}
}

func toReconciliation(r billing.Reconciliation) openapi.Reconciliation {
	out := openapi.Reconciliation{TenantId: r.TenantID, Month: r.Month, Matches: r.Matches,
		UnknownCountries: r.UnknownCountries, Rows: make([]openapi.ReconciliationRow, len(r.Rows))}
	for i, row := range r.Rows {
		out.Rows[i] = openapi.ReconciliationRow{Market: row.Market, Category: row.Category, PricingType: row.PricingType,
			Ours: row.Ours, Meta: row.Meta, Difference: row.Difference, MetaCost: row.MetaCost.String()}
	}
	return out
}

func toRecountMismatch(m billing.Mismatch) openapi.RecountMismatch {
	return openapi.RecountMismatch{Kind: m.Kind, Day: date(m.Day), PhoneNumberId: m.PhoneNumberID, Market: m.Market,
		Category: optString(m.Category), PricingType: optString(m.PricingType), RateCategory: optString(m.RateCategory),
		RollUp: toBillingCounts(m.RollUp), Ledger: toBillingCounts(m.Ledger)}
}
