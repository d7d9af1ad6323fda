package httpapi

import (
	"context"

	"github.com/wabsp/wabsp/openapi"
	"github.com/wabsp/wabsp/webhooks/outbound"
)

// The outbound subscription operations of the spec, tenant paths first, then
// partner paths; each names the owner and calls the shared method in
// outbound.go.

// ListWebhookSubscriptions implements openapi.StrictServerInterface.
func (s *Server) ListWebhookSubscriptions(ctx context.Context, r openapi.ListWebhookSubscriptionsRequestObject) (openapi.ListWebhookSubscriptionsResponseObject, error) {
	res, err := s.listSubscriptions(ctx, outbound.TenantOwner(r.TenantId), r.Params.Limit, r.Params.Cursor)
	if err != nil {
		return nil, err
	}
	return openapi.ListWebhookSubscriptions200JSONResponse(res), nil
}

// CreateWebhookSubscription implements openapi.StrictServerInterface.
func (s *Server) CreateWebhookSubscription(ctx context.Context, r openapi.CreateWebhookSubscriptionRequestObject) (openapi.CreateWebhookSubscriptionResponseObject, error) {
	res, err := s.createSubscription(ctx, outbound.TenantOwner(r.TenantId), r.Body, r.Params.IdempotencyKey)
	if err != nil {
		return nil, err
	}
	return openapi.CreateWebhookSubscription201JSONResponse(res), nil
}

// GetWebhookSubscription implements openapi.StrictServerInterface.
func (s *Server) GetWebhookSubscription(ctx context.Context, r openapi.GetWebhookSubscriptionRequestObject) (openapi.GetWebhookSubscriptionResponseObject, error) {
	res, err := s.getSubscription(ctx, outbound.TenantOwner(r.TenantId), r.SubscriptionId)
	if err != nil {
		return nil, err
	}
	return openapi.GetWebhookSubscription200JSONResponse(res), nil
}

// UpdateWebhookSubscription implements openapi.StrictServerInterface.
func (s *Server) UpdateWebhookSubscription(ctx context.Context, r openapi.UpdateWebhookSubscriptionRequestObject) (openapi.UpdateWebhookSubscriptionResponseObject, error) {
	res, err := s.updateSubscription(ctx, outbound.TenantOwner(r.TenantId), r.SubscriptionId, r.Body)
	if err != nil {
		return nil, err
	}
	return openapi.UpdateWebhookSubscription200JSONResponse(res), nil
}

// DeleteWebhookSubscription implements openapi.StrictServerInterface.
func (s *Server) DeleteWebhookSubscription(ctx context.Context, r openapi.DeleteWebhookSubscriptionRequestObject) (openapi.DeleteWebhookSubscriptionResponseObject, error) {
	if err := s.deleteSubscription(ctx, outbound.TenantOwner(r.TenantId), r.SubscriptionId); err != nil {
		return nil, err
	}
	return openapi.DeleteWebhookSubscription204Response{}, nil
}

// RotateWebhookSecret implements openapi.StrictServerInterface.
func (s *Server) RotateWebhookSecret(ctx context.Context, r openapi.RotateWebhookSecretRequestObject) (openapi.RotateWebhookSecretResponseObject, error) {
	res, err := s.rotateSecret(ctx, outbound.TenantOwner(r.TenantId), r.SubscriptionId, r.Body)
	if err != nil {
		return nil, err
	}
	return openapi.RotateWebhookSecret200JSONResponse(res), nil
}

// SendWebhookTest implements openapi.StrictServerInterface.
func (s *Server) SendWebhookTest(ctx context.Context, r openapi.SendWebhookTestRequestObject) (openapi.SendWebhookTestResponseObject, error) {
	res, err := s.sendTest(ctx, outbound.TenantOwner(r.TenantId), r.SubscriptionId)
	if err != nil {
		return nil, err
	}
	return openapi.SendWebhookTest202JSONResponse(res), nil
}

// ReplayWebhookEvents implements openapi.StrictServerInterface.
func (s *Server) ReplayWebhookEvents(ctx context.Context, r openapi.ReplayWebhookEventsRequestObject) (openapi.ReplayWebhookEventsResponseObject, error) {
	res, err := s.replayEvents(ctx, outbound.TenantOwner(r.TenantId), r.SubscriptionId, r.Body, r.Params.IdempotencyKey)
	if err != nil {
		return nil, err
	}
	return openapi.ReplayWebhookEvents202JSONResponse(res), nil
}

// ListWebhookDeliveries implements openapi.StrictServerInterface.
func (s *Server) ListWebhookDeliveries(ctx context.Context, r openapi.ListWebhookDeliveriesRequestObject) (openapi.ListWebhookDeliveriesResponseObject, error) {
	res, err := s.listDeliveries(ctx, outbound.TenantOwner(r.TenantId), r.Params)
	if err != nil {
		return nil, err
	}
	return openapi.ListWebhookDeliveries200JSONResponse(res), nil
}

// GetWebhookDelivery implements openapi.StrictServerInterface.
func (s *Server) GetWebhookDelivery(ctx context.Context, r openapi.GetWebhookDeliveryRequestObject) (openapi.GetWebhookDeliveryResponseObject, error) {
	res, err := s.getDelivery(ctx, outbound.TenantOwner(r.TenantId), r.DeliveryId)
	if err != nil {
		return nil, err
	}
	return openapi.GetWebhookDelivery200JSONResponse(res), nil
}

// ReplayWebhookDelivery implements openapi.StrictServerInterface.
func (s *Server) ReplayWebhookDelivery(ctx context.Context, r openapi.ReplayWebhookDeliveryRequestObject) (openapi.ReplayWebhookDeliveryResponseObject, error) {
	res, err := s.replayDelivery(ctx, outbound.TenantOwner(r.TenantId), r.DeliveryId, r.Params.IdempotencyKey)
	if err != nil {
		return nil, err
	}
	return openapi.ReplayWebhookDelivery202JSONResponse(res), nil
}

// ListPartnerWebhookSubscriptions implements openapi.StrictServerInterface.
func (s *Server) ListPartnerWebhookSubscriptions(ctx context.Context, r openapi.ListPartnerWebhookSubscriptionsRequestObject) (openapi.ListPartnerWebhookSubscriptionsResponseObject, error) {
	res, err := s.listSubscriptions(ctx, outbound.PartnerOwner(r.PartnerId), r.Params.Limit, r.Params.Cursor)
	if err != nil {
		return nil, err
	}
	return openapi.ListPartnerWebhookSubscriptions200JSONResponse(res), nil
}

// CreatePartnerWebhookSubscription implements openapi.StrictServerInterface.
func (s *Server) CreatePartnerWebhookSubscription(ctx context.Context, r openapi.CreatePartnerWebhookSubscriptionRequestObject) (openapi.CreatePartnerWebhookSubscriptionResponseObject, error) {
	res, err := s.createSubscription(ctx, outbound.PartnerOwner(r.PartnerId), r.Body, r.Params.IdempotencyKey)
	if err != nil {
		return nil, err
	}
	return openapi.CreatePartnerWebhookSubscription201JSONResponse(res), nil
}

// GetPartnerWebhookSubscription implements openapi.StrictServerInterface.
func (s *Server) GetPartnerWebhookSubscription(ctx context.Context, r openapi.GetPartnerWebhookSubscriptionRequestObject) (openapi.GetPartnerWebhookSubscriptionResponseObject, error) {
	res, err := s.getSubscription(ctx, outbound.PartnerOwner(r.PartnerId), r.SubscriptionId)
	if err != nil {
		return nil, err
	}
	return openapi.GetPartnerWebhookSubscription200JSONResponse(res), nil
}

// UpdatePartnerWebhookSubscription implements openapi.StrictServerInterface.
func (s *Server) UpdatePartnerWebhookSubscription(ctx context.Context, r openapi.UpdatePartnerWebhookSubscriptionRequestObject) (openapi.UpdatePartnerWebhookSubscriptionResponseObject, error) {
	res, err := s.updateSubscription(ctx, outbound.PartnerOwner(r.PartnerId), r.SubscriptionId, r.Body)
	if err != nil {
		return nil, err
	}
	return openapi.UpdatePartnerWebhookSubscription200JSONResponse(res), nil
}

// DeletePartnerWebhookSubscription implements openapi.StrictServerInterface.
func (s *Server) DeletePartnerWebhookSubscription(ctx context.Context, r openapi.DeletePartnerWebhookSubscriptionRequestObject) (openapi.DeletePartnerWebhookSubscriptionResponseObject, error) {
	if err := s.deleteSubscription(ctx, outbound.PartnerOwner(r.PartnerId), r.SubscriptionId); err != nil {
		return nil, err
	}
	return openapi.DeletePartnerWebhookSubscription204Response{}, nil
}

// RotatePartnerWebhookSecret implements openapi.StrictServerInterface.
func (s *Server) RotatePartnerWebhookSecret(ctx context.Context, r openapi.RotatePartnerWebhookSecretRequestObject) (openapi.RotatePartnerWebhookSecretResponseObject, error) {
	res, err := s.rotateSecret(ctx, outbound.PartnerOwner(r.PartnerId), r.SubscriptionId, r.Body)
	if err != nil {
		return nil, err
	}
	return openapi.RotatePartnerWebhookSecret200JSONResponse(res), nil
}

// SendPartnerWebhookTest implements openapi.StrictServerInterface.
func (s *Server) SendPartnerWebhookTest(ctx context.Context, r openapi.SendPartnerWebhookTestRequestObject) (openapi.SendPartnerWebhookTestResponseObject, error) {
	res, err := s.sendTest(ctx, outbound.PartnerOwner(r.PartnerId), r.SubscriptionId)
	if err != nil {
		return nil, err
	}
	return openapi.SendPartnerWebhookTest202JSONResponse(res), nil
}

// ReplayPartnerWebhookEvents implements openapi.StrictServerInterface.
func (s *Server) ReplayPartnerWebhookEvents(ctx context.Context, r openapi.ReplayPartnerWebhookEventsRequestObject) (openapi.ReplayPartnerWebhookEventsResponseObject, error) {
	res, err := s.replayEvents(ctx, outbound.PartnerOwner(r.PartnerId), r.SubscriptionId, r.Body, r.Params.IdempotencyKey)
	if err != nil {
		return nil, err
	}
	return openapi.ReplayPartnerWebhookEvents202JSONResponse(res), nil
}

// ListPartnerWebhookDeliveries implements openapi.StrictServerInterface.
func (s *Server) ListPartnerWebhookDeliveries(ctx context.Context, r openapi.ListPartnerWebhookDeliveriesRequestObject) (openapi.ListPartnerWebhookDeliveriesResponseObject, error) {
	res, err := s.listDeliveries(ctx, outbound.PartnerOwner(r.PartnerId), openapi.ListWebhookDeliveriesParams(r.Params))
	if err != nil {
		return nil, err
	}
	return openapi.ListPartnerWebhookDeliveries200JSONResponse(res), nil
}

// GetPartnerWebhookDelivery implements openapi.StrictServerInterface.
func (s *Server) GetPartnerWebhookDelivery(ctx context.Context, r openapi.GetPartnerWebhookDeliveryRequestObject) (openapi.GetPartnerWebhookDeliveryResponseObject, error) {
	res, err := s.getDelivery(ctx, outbound.PartnerOwner(r.PartnerId), r.DeliveryId)
	if err != nil {
		return nil, err
	}
	return openapi.GetPartnerWebhookDelivery200JSONResponse(res), nil
}

// ReplayPartnerWebhookDelivery implements openapi.StrictServerInterface.
func (s *Server) ReplayPartnerWebhookDelivery(ctx context.Context, r openapi.ReplayPartnerWebhookDeliveryRequestObject) (openapi.ReplayPartnerWebhookDeliveryResponseObject, error) {
	res, err := s.replayDelivery(ctx, outbound.PartnerOwner(r.PartnerId), r.DeliveryId, r.Params.IdempotencyKey)
	if err != nil {
		return nil, err
	}
	return openapi.ReplayPartnerWebhookDelivery202JSONResponse(res), nil
}
