package httpapi

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/wabsp/wabsp/billing"
	"github.com/wabsp/wabsp/insights"
	"github.com/wabsp/wabsp/openapi"
	"github.com/wabsp/wabsp/webhooks"
)

// GetMessage implements openapi.StrictServerInterface.
func (s *Server) GetMessage(ctx context.Context, r openapi.GetMessageRequestObject) (openapi.GetMessageResponseObject, error) {
	m, err := s.message(ctx, r.TenantId, r.Wamid)
	if err != nil {
		return nil, err
	}
	return openapi.GetMessage200JSONResponse(m), nil
}

// GetAdminMessage implements openapi.StrictServerInterface.
func (s *Server) GetAdminMessage(ctx context.Context, r openapi.GetAdminMessageRequestObject) (openapi.GetAdminMessageResponseObject, error) {
	owner, err := s.webhooks.MessageOwner(ctx, r.Wamid)
	if err != nil {
		return nil, err
	}
	m, err := s.message(ctx, owner, r.Wamid)
	if err != nil {
		return nil, err
	}
	return openapi.GetAdminMessage200JSONResponse(m), nil
}

// message composes the status history with the insights labels and the
// ledger row; each is left out when its domain is not wired.
func (s *Server) message(ctx context.Context, tenantID uuid.UUID, wamid string) (openapi.Message, error) {
	rec, err := s.webhooks.Message(ctx, tenantID, wamid)
	if err != nil {
		return openapi.Message{}, err
	}
	out := toMessage(rec)
	if s.insights != nil {
		a, found, err := s.insights.MessageLabels(ctx, tenantID, wamid)
		if err != nil {
			return openapi.Message{}, err
		}
		if found {
			out.Labels = toMessageLabels(a)
		}
	}
	if s.billing == nil {
		return out, nil
	}
	e, found, err := s.billing.LedgerEntry(ctx, tenantID, wamid)
	if err != nil {
		return openapi.Message{}, err
	}
	if found {
		b := toMessageBilling(e)
		out.Billing = &b
	}
	return out, nil
}

func toMessage(m webhooks.MessageRecord) openapi.Message {
	out := openapi.Message{Wamid: m.WAMID, TenantId: m.TenantID, PhoneNumberId: m.PhoneNumberID,
		DisplayPhoneNumber: optString(m.DisplayPhoneNumber), RecipientWaId: optString(m.RecipientID),
		Status: m.Status, StatusAt: optZeroTime(m.StatusAt),
		History: make([]openapi.MessageStatusEvent, 0, len(m.History))}
	for _, st := range m.History {
		ev := openapi.MessageStatusEvent{Status: st.Status, EventTime: optZeroTime(st.EventTime),
			ReceivedAt: st.ReceivedAt.UTC(), Errors: make([]openapi.MessageStatusError, 0, len(st.Errors))}
		for _, e := range st.Errors {
			ev.Errors = append(ev.Errors, openapi.MessageStatusError{Code: e.Code, Title: e.Title})
		}
		out.History = append(out.History, ev)
	}
	return out
}

func toMessageLabels(a insights.Annotation) *openapi.MessageLabels {
	return &openapi.MessageLabels{TemplateName: optString(a.TemplateName), TemplateLanguage: optString(a.TemplateLanguage),
		Campaign: optString(a.Campaign), Agent: optString(a.Agent), Automated: a.Automated, Journey: optString(a.Journey),
		JourneyStep: optString(a.JourneyStep), Experiment: optString(a.Experiment), Variant: optString(a.Variant)}
}

func toMessageBilling(e billing.LedgerEntry) openapi.MessageBilling {
	return openapi.MessageBilling{Market: e.Market, Category: e.Category, RateCategory: e.RateCategory,
		PricingType: e.PricingType, PricingModel: e.PricingModel, Billable: e.Billable, Charged: e.Charged,
		Fallback: e.Fallback, Day: date(e.Day), Currency: e.Currency, RateMissing: e.RateMissing,
		MetaCost: e.MetaCost.String(), Price: e.Price.String()}
}

func optZeroTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return optTime(&t)
}
