package httpapi

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/wabsp/wabsp/internal/apperr"
	"github.com/wabsp/wabsp/internal/paging"
	"github.com/wabsp/wabsp/openapi"
	"github.com/wabsp/wabsp/sending"
)

var errNoSending = apperr.New(apperr.Unavailable, "sending is not available")

// SendMessage implements openapi.StrictServerInterface. A refused send is
// answered 422 with every reason; it was recorded, so a retry with the same
// Idempotency-Key answers the same.
func (s *Server) SendMessage(ctx context.Context, r openapi.SendMessageRequestObject) (openapi.SendMessageResponseObject, error) {
	if s.submitter == nil {
		return nil, errNoSending
	}
	if r.Body == nil {
		return nil, errNoBody
	}
	req, err := fromSendRequest(*r.Body)
	if err != nil {
		return nil, err
	}
	send, _, err := s.submitter.Submit(ctx, r.TenantId, req, deref(r.Params.IdempotencyKey))
	if err != nil {
		return nil, err
	}
	if send.State == sending.StateRefused {
		return nil, refused(send)
	}
	return openapi.SendMessage202JSONResponse(toSend(send)), nil
}

// GetSend implements openapi.StrictServerInterface.
func (s *Server) GetSend(ctx context.Context, r openapi.GetSendRequestObject) (openapi.GetSendResponseObject, error) {
	if s.sends == nil {
		return nil, errNoSending
	}
	send, err := s.sends.Get(ctx, r.TenantId, r.SendId)
	if err != nil {
		return nil, err
	}
	d, ok, err := s.sends.Delivery(ctx, r.TenantId, send.Wamid)
	if err != nil {
		return nil, err
	}
	out := toSend(send)
	if ok {
		out.Delivery = toSendDelivery(d)
	}
	return openapi.GetSend200JSONResponse(out), nil
}

// ListSends implements openapi.StrictServerInterface.
func (s *Server) ListSends(ctx context.Context, r openapi.ListSendsRequestObject) (openapi.ListSendsResponseObject, error) {
	if s.sends == nil {
		return nil, errNoSending
	}
	p := page(r.Params.Limit, r.Params.Cursor)
	l, err := s.sends.List(ctx, r.TenantId, sending.State(deref(r.Params.State)), paging.Page{Limit: p.Limit, Cursor: p.Cursor})
	if err != nil {
		return nil, err
	}
	out := openapi.ListSends200JSONResponse{Items: make([]openapi.Send, len(l.Items)), NextCursor: nextCursor(l.NextCursor)}
	for i, send := range l.Items {
		out.Items[i] = toSend(send)
	}
	return out, nil
}

func refused(send sending.Send) error {
	reasons := make([]string, len(send.Reasons))
	for i, r := range send.Reasons {
		reasons[i] = string(r)
	}
	e := apperr.New(apperr.Refused, "the send guards refused this send: %s", strings.Join(reasons, ", "))
	e.Reasons, e.Subject = reasons, send.ID.String()
	return e
}

// fromSendRequest re-reads the validated body as the sending domain's
// message, whose members the spec leaves open.
func fromSendRequest(b openapi.SendRequest) (sending.Request, error) {
	raw, err := json.Marshal(b.Message)
	if err != nil {
		return sending.Request{}, apperr.Wrap(err, apperr.Invalid, "message could not be read")
	}
	r := sending.Request{PhoneNumberID: b.PhoneNumberId, To: b.To}
	if err := json.Unmarshal(raw, &r.Message); err != nil {
		return sending.Request{}, apperr.InvalidField("message", "does not match the message shapes")
	}
	if b.Labels != nil {
		r.Labels = sending.Labels{CampaignID: deref(b.Labels.CampaignId), Agent: deref(b.Labels.Agent)}
	}
	return r, nil
}

func toSend(s sending.Send) openapi.Send {
	var msg map[string]any
	raw, _ := json.Marshal(s.Message)
	_ = json.Unmarshal(raw, &msg)
	reasons := make([]string, len(s.Reasons))
	for i, r := range s.Reasons {
		reasons[i] = string(r)
	}
	out := openapi.Send{Id: s.ID, PhoneNumberId: s.PhoneNumberID, To: s.Recipient, Message: msg,
		Labels: openapi.SendLabels{CampaignId: optString(s.Labels.CampaignID), Agent: optString(s.Labels.Agent)},
		State:  string(s.State), Attempts: s.Attempts, Wamid: optString(s.Wamid), ErrorMessage: optString(s.ErrorMessage),
		Reasons: reasons, CreatedAt: s.CreatedAt, UpdatedAt: s.UpdatedAt}
	if s.ErrorCode != 0 {
		out.ErrorCode = &s.ErrorCode
	}
	return out
}

func toSendDelivery(d sending.Delivery) *openapi.SendDelivery {
	out := &openapi.SendDelivery{Status: d.Status, At: d.At, ErrorTitle: optString(d.ErrorTitle)}
	if d.ErrorCode != 0 {
		out.ErrorCode = &d.ErrorCode
	}
	return out
}
