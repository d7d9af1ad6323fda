package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/wabsp/wabsp/billing"
	"github.com/wabsp/wabsp/internal/apperr"
	"github.com/wabsp/wabsp/openapi"
)

var errNoBilling = apperr.New(apperr.Unavailable, "billing is not available")

// acceptKey carries the Accept header to the operations that answer JSON or
// CSV; the generated handlers see only the user context.
type acceptKey struct{}

// negotiate is the strict middleware passing the Accept header on.
func negotiate(next openapi.StrictHandlerFunc, _ string) openapi.StrictHandlerFunc {
	return func(c *fiber.Ctx, req any) (any, error) {
		if a := c.Get(fiber.HeaderAccept); a != "" {
			c.SetUserContext(context.WithValue(c.UserContext(), acceptKey{}, a))
		}
		return next(c, req)
	}
}

// wantsCSV reports whether the caller asked for text/csv.
func wantsCSV(ctx context.Context) bool {
	a, _ := ctx.Value(acceptKey{}).(string)
	return strings.Contains(strings.ToLower(a), "text/csv")
}

// billingActor is the caller as billing's audit entries record it.
func billingActor(ctx context.Context) billing.Actor {
	p := principal(ctx)
	return billing.Actor{ID: p.ClientID, Role: string(p.Role), RequestID: requestIDFrom(ctx)}
}

func parseMonth(field, s string) (billing.Month, error) {
	m, err := billing.ParseMonth(s)
	if err != nil {
		return m, apperr.InvalidField(field, "must be a month (YYYY-MM)")
	}
	return m, nil
}

// GetBillingUsage implements openapi.StrictServerInterface.
func (s *Server) GetBillingUsage(ctx context.Context, r openapi.GetBillingUsageRequestObject) (openapi.GetBillingUsageResponseObject, error) {
	if s.billing == nil {
		return nil, errNoBilling
	}
	q := billing.UsageQuery{From: deref(r.Params.From).Time, To: deref(r.Params.To).Time,
		Limit: deref(r.Params.Limit), Cursor: deref(r.Params.Cursor)}
	for _, d := range deref(r.Params.GroupBy) {
		q.GroupBy = append(q.GroupBy, billing.Dimension(d))
	}
	u, err := s.billing.Usage(ctx, r.TenantId, q)
	if err != nil {
		return nil, err
	}
	return openapi.GetBillingUsage200JSONResponse(toBillingUsage(u)), nil
}

// GetBillingEstimate implements openapi.StrictServerInterface.
func (s *Server) GetBillingEstimate(ctx context.Context, r openapi.GetBillingEstimateRequestObject) (openapi.GetBillingEstimateResponseObject, error) {
	if s.billing == nil {
		return nil, errNoBilling
	}
	inv, err := s.billing.Estimate(ctx, r.TenantId)
	if err != nil {
		return nil, err
	}
	return openapi.GetBillingEstimate200JSONResponse(toInvoice(inv)), nil
}

// ListInvoices implements openapi.StrictServerInterface.
func (s *Server) ListInvoices(ctx context.Context, r openapi.ListInvoicesRequestObject) (openapi.ListInvoicesResponseObject, error) {
	if s.billing == nil {
		return nil, errNoBilling
	}
	p, err := s.billing.ListInvoices(ctx, r.TenantId, deref(r.Params.Limit), deref(r.Params.Cursor))
	if err != nil {
		return nil, err
	}
	out := openapi.InvoiceList{Items: make([]openapi.InvoiceSummary, len(p.Items)), NextCursor: nextCursor(p.NextCursor)}
	for i, it := range p.Items {
		out.Items[i] = toInvoiceSummary(it)
	}
	return openapi.ListInvoices200JSONResponse(out), nil
}

// GetInvoice implements openapi.StrictServerInterface.
func (s *Server) GetInvoice(ctx context.Context, r openapi.GetInvoiceRequestObject) (openapi.GetInvoiceResponseObject, error) {
	if s.billing == nil {
		return nil, errNoBilling
	}
	m, err := parseMonth("month", r.Month)
	if err != nil {
		return nil, err
	}
	inv, err := s.billing.Invoice(ctx, r.TenantId, m)
	if err != nil {
		return nil, err
	}
	if wantsCSV(ctx) {
		var buf bytes.Buffer
		if err := inv.WriteCSV(&buf, false); err != nil {
			return nil, err
		}
		return openapi.GetInvoice200TextcsvResponse{Body: &buf, ContentLength: int64(buf.Len())}, nil
	}
	return openapi.GetInvoice200JSONResponse(toInvoice(inv)), nil
}

// GetBillingPrices implements openapi.StrictServerInterface.
func (s *Server) GetBillingPrices(ctx context.Context, r openapi.GetBillingPricesRequestObject) (openapi.GetBillingPricesResponseObject, error) {
	if s.billing == nil {
		return nil, errNoBilling
	}
	pl, err := s.billing.Prices(ctx, r.TenantId, deref(r.Params.Day).Time)
	if err != nil {
		return nil, err
	}
	return openapi.GetBillingPrices200JSONResponse(toPriceList(pl)), nil
}

// GetBillingPlan implements openapi.StrictServerInterface.
func (s *Server) GetBillingPlan(ctx context.Context, r openapi.GetBillingPlanRequestObject) (openapi.GetBillingPlanResponseObject, error) {
	if s.billing == nil {
		return nil, errNoBilling
	}
	p, err := s.billing.Plan(ctx, r.TenantId)
	if err != nil {
		return nil, err
	}
	return openapi.GetBillingPlan200JSONResponse(toBillingPlan(p)), nil
}

// SetBillingPlan implements openapi.StrictServerInterface.
func (s *Server) SetBillingPlan(ctx context.Context, r openapi.SetBillingPlanRequestObject) (openapi.SetBillingPlanResponseObject, error) {
	if s.billing == nil {
		return nil, errNoBilling
	}
	in, err := fromBillingPlanInput(*r.Body)
	if err != nil {
		return nil, err
	}
	p, err := s.billing.SetPlan(ctx, billingActor(ctx), r.TenantId, in)
	if err != nil {
		return nil, err
	}
	return openapi.SetBillingPlan200JSONResponse(toBillingPlan(p)), nil
}

// FinalizeInvoice implements openapi.StrictServerInterface.
func (s *Server) FinalizeInvoice(ctx context.Context, r openapi.FinalizeInvoiceRequestObject) (openapi.FinalizeInvoiceResponseObject, error) {
	if s.billing == nil {
		return nil, errNoBilling
	}
	m, err := parseMonth("month", r.Month)
	if err != nil {
		return nil, err
	}
	inv, err := s.billing.FinalizeMonth(ctx, billingActor(ctx), r.TenantId, m)
	if err != nil {
		return nil, err
	}
	return openapi.FinalizeInvoice200JSONResponse(toInvoice(inv)), nil
}

// ReconcileBilling implements openapi.StrictServerInterface.
func (s *Server) ReconcileBilling(ctx context.Context, r openapi.ReconcileBillingRequestObject) (openapi.ReconcileBillingResponseObject, error) {
	if s.billing == nil {
		return nil, errNoBilling
	}
	m := billing.MonthOf(s.now().UTC()).Prev()
	if r.Params.Month != nil {
		var err error
		if m, err = parseMonth("month", *r.Params.Month); err != nil {
			return nil, err
		}
	}
	raw, err := json.Marshal(r.Body)
	if err != nil {
		return nil, apperr.Wrap(err, apperr.Invalid, "not a pricing_analytics response")
	}
	points, err := billing.ParsePricingAnalytics(raw)
	if err != nil {
		return nil, err
	}
	rec, err := s.billing.Reconcile(ctx, r.TenantId, m, points)
	if err != nil {
		return nil, err
	}
	return openapi.ReconcileBilling200JSONResponse(toReconciliation(rec)), nil
}

// RecountBilling implements openapi.StrictServerInterface.
func (s *Server) RecountBilling(ctx context.Context, r openapi.RecountBillingRequestObject) (openapi.RecountBillingResponseObject, error) {
	if s.billing == nil {
		return nil, errNoBilling
	}
	from, to := deref(r.Params.From).Time, deref(r.Params.To).Time
	if !from.IsZero() && !to.IsZero() && to.Before(from) {
		return nil, apperr.InvalidField("to", "must not be before from")
	}
	mm, err := s.billing.Recount(ctx, r.TenantId, from, to)
	if err != nil {
		return nil, err
	}
	out := openapi.RecountResult{Mismatches: make([]openapi.RecountMismatch, len(mm))}
	for i, m := range mm {
		out.Mismatches[i] = toRecountMismatch(m)
	}
	return openapi.RecountBilling200JSONResponse(out), nil
}

// GetRateCard implements openapi.StrictServerInterface.
func (s *Server) GetRateCard(ctx context.Context, r openapi.GetRateCardRequestObject) (openapi.GetRateCardResponseObject, error) {
	if s.billing == nil {
		return nil, errNoBilling
	}
	rates, err := s.billing.Rates(ctx, deref(r.Params.Currency))
	if err != nil {
		return nil, err
	}
	if wantsCSV(ctx) {
		var buf bytes.Buffer
		if err := billing.WriteRatesCSV(&buf, rates); err != nil {
			return nil, err
		}
		return openapi.GetRateCard200TextcsvResponse{Body: &buf, ContentLength: int64(buf.Len())}, nil
	}
	out := openapi.RateList{Items: make([]openapi.Rate, len(rates))}
	for i, rt := range rates {
		out.Items[i] = toRate(rt)
	}
	return openapi.GetRateCard200JSONResponse(out), nil
}

// ImportRates implements openapi.StrictServerInterface.
func (s *Server) ImportRates(ctx context.Context, r openapi.ImportRatesRequestObject) (openapi.ImportRatesResponseObject, error) {
	if s.billing == nil {
		return nil, errNoBilling
	}
	rates, err := fromRateImport(*r.Body)
	if err != nil {
		return nil, err
	}
	v, err := s.billing.ImportRates(ctx, billingActor(ctx), billing.RateImport{
		IdempotencyKey: deref(r.Params.IdempotencyKey), Note: deref(r.Body.Note), Rates: rates,
	})
	if err != nil {
		return nil, err
	}
	return openapi.ImportRates201JSONResponse{Id: v.ID, Note: v.Note, RowCount: v.RowCount, CreatedAt: v.CreatedAt}, nil
}

// ListBillingMargins implements openapi.StrictServerInterface.
func (s *Server) ListBillingMargins(ctx context.Context, r openapi.ListBillingMarginsRequestObject) (openapi.ListBillingMarginsResponseObject, error) {
	if s.billing == nil {
		return nil, errNoBilling
	}
	m := billing.MonthOf(s.now().UTC())
	if r.Params.Month != nil {
		var err error
		if m, err = parseMonth("month", *r.Params.Month); err != nil {
			return nil, err
		}
	}
	p, err := s.billing.Margins(ctx, m, deref(r.Params.Limit), deref(r.Params.Cursor))
	if err != nil {
		return nil, err
	}
	out := openapi.MarginList{Items: make([]openapi.Margin, len(p.Items)), NextCursor: nextCursor(p.NextCursor)}
	for i, mg := range p.Items {
		out.Items[i] = toMargin(mg)
	}
	return openapi.ListBillingMargins200JSONResponse(out), nil
}
