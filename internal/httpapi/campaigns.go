package httpapi

import (
	"context"
	"encoding/json"

	"github.com/wabsp/wabsp/internal/apperr"
	"github.com/wabsp/wabsp/internal/paging"
	"github.com/wabsp/wabsp/openapi"
	"github.com/wabsp/wabsp/sending"
)

var errNoCampaigns = apperr.New(apperr.Unavailable, "campaigns are not available")

// CreateCampaign implements openapi.StrictServerInterface.
func (s *Server) CreateCampaign(ctx context.Context, r openapi.CreateCampaignRequestObject) (openapi.CreateCampaignResponseObject, error) {
	if s.campaigns == nil {
		return nil, errNoCampaigns
	}
	if r.Body == nil {
		return nil, errNoBody
	}
	nc, err := fromCampaignRequest(*r.Body)
	if err != nil {
		return nil, err
	}
	c, _, err := s.campaigns.Create(ctx, r.TenantId, nc, deref(r.Params.IdempotencyKey))
	if err != nil {
		return nil, err
	}
	return openapi.CreateCampaign202JSONResponse(toCampaign(c)), nil
}

// ListCampaigns implements openapi.StrictServerInterface.
func (s *Server) ListCampaigns(ctx context.Context, r openapi.ListCampaignsRequestObject) (openapi.ListCampaignsResponseObject, error) {
	if s.campaigns == nil {
		return nil, errNoCampaigns
	}
	l, err := s.campaigns.List(ctx, r.TenantId, sendingPage(r.Params.Limit, r.Params.Cursor))
	if err != nil {
		return nil, err
	}
	out := openapi.ListCampaigns200JSONResponse{Items: make([]openapi.Campaign, len(l.Items)), NextCursor: nextCursor(l.NextCursor)}
	for i, c := range l.Items {
		out.Items[i] = toCampaign(c)
	}
	return out, nil
}

// GetCampaign implements openapi.StrictServerInterface.
func (s *Server) GetCampaign(ctx context.Context, r openapi.GetCampaignRequestObject) (openapi.GetCampaignResponseObject, error) {
	if s.campaigns == nil {
		return nil, errNoCampaigns
	}
	c, err := s.campaigns.Get(ctx, r.TenantId, r.CampaignId)
	if err != nil {
		return nil, err
	}
	return openapi.GetCampaign200JSONResponse(toCampaign(c)), nil
}

// CancelCampaign implements openapi.StrictServerInterface.
func (s *Server) CancelCampaign(ctx context.Context, r openapi.CancelCampaignRequestObject) (openapi.CancelCampaignResponseObject, error) {
	if s.campaigns == nil {
		return nil, errNoCampaigns
	}
	c, err := s.campaigns.Cancel(ctx, r.TenantId, r.CampaignId)
	if err != nil {
		return nil, err
	}
	return openapi.CancelCampaign200JSONResponse(toCampaign(c)), nil
}

// ListCampaignRecipients implements openapi.StrictServerInterface.
func (s *Server) ListCampaignRecipients(ctx context.Context, r openapi.ListCampaignRecipientsRequestObject) (openapi.ListCampaignRecipientsResponseObject, error) {
	if s.campaigns == nil {
		return nil, errNoCampaigns
	}
	f := sending.RecipientFilter{Outcome: string(deref(r.Params.Outcome))}
	l, err := s.campaigns.Recipients(ctx, r.TenantId, r.CampaignId, f, sendingPage(r.Params.Limit, r.Params.Cursor))
	if err != nil {
		return nil, err
	}
	out := openapi.ListCampaignRecipients200JSONResponse{Items: make([]openapi.CampaignRecipient, len(l.Items)),
		NextCursor: nextCursor(l.NextCursor)}
	for i, rc := range l.Items {
		out.Items[i] = toCampaignRecipient(rc)
	}
	return out, nil
}

func sendingPage(limit *int, cursor *string) paging.Page {
	p := page(limit, cursor)
	return paging.Page{Limit: p.Limit, Cursor: p.Cursor}
}

// fromCampaignRequest re-reads the validated body as the sending domain's
// campaign; the template's components are Meta's open shape.
func fromCampaignRequest(b openapi.CampaignRequest) (sending.NewCampaign, error) {
	nc := sending.NewCampaign{Name: b.Name, Label: deref(b.Label), PhoneNumberID: b.PhoneNumberId,
		Recipients: make([]sending.CampaignRecipient, len(b.Recipients))}
	raw, err := json.Marshal(b.Template)
	if err != nil {
		return nc, apperr.Wrap(err, apperr.Invalid, "template could not be read")
	}
	if err := json.Unmarshal(raw, &nc.Template); err != nil {
		return nc, apperr.InvalidField("template", "does not match Meta's template shape")
	}
	for i, r := range b.Recipients {
		nc.Recipients[i] = sending.CampaignRecipient{To: r.To, Parameters: deref(r.Parameters)}
	}
	return nc, nil
}

func toCampaign(c sending.Campaign) openapi.Campaign {
	var tmpl map[string]any
	raw, _ := json.Marshal(c.Template)
	_ = json.Unmarshal(raw, &tmpl)
	p := c.Progress
	reasons := make(map[string]int, len(p.RefusedReasons))
	for r, n := range p.RefusedReasons {
		reasons[string(r)] = n
	}
	return openapi.Campaign{Id: c.ID, Name: c.Name, Label: c.Label, PhoneNumberId: c.PhoneNumberID, Template: tmpl,
		State: c.Phase(), CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt, ExpandedAt: c.ExpandedAt, CancelledAt: c.CancelledAt,
		Progress: openapi.CampaignProgress{Total: p.Total, Pending: p.Pending, Queued: p.Queued, Sent: p.Sent,
			Delivered: p.Delivered, Read: p.Read, Failed: p.Failed, Refused: p.Refused, Cancelled: p.Cancelled,
			RefusedReasons: reasons}}
}

func toCampaignRecipient(r sending.RecipientOutcome) openapi.CampaignRecipient {
	reasons := make([]string, len(r.Reasons))
	for i, x := range r.Reasons {
		reasons[i] = string(x)
	}
	out := openapi.CampaignRecipient{To: r.Recipient, Outcome: openapi.CampaignOutcome(r.Outcome), SendId: r.SendID,
		Wamid: optString(r.Wamid), Reasons: reasons}
	if len(r.Parameters) > 0 {
		out.Parameters = &r.Parameters
	}
	if r.ErrorCode != 0 {
		out.ErrorCode = &r.ErrorCode
	}
	return out
}
