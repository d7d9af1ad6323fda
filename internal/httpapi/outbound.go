package httpapi

import (
	"context"
	"encoding/json"
	"time"

	"github.com/google/uuid"

	"github.com/wabsp/wabsp/internal/apperr"
	"github.com/wabsp/wabsp/openapi"
	"github.com/wabsp/wabsp/webhooks/outbound"
)

// Outbound subscriptions are served the same way to tenants (on their tenant
// paths) and to partners (on their partner paths); each operation below
// names its owner and hands over to one shared method.

var errNoOutbound = apperr.New(apperr.Unavailable, "webhook subscriptions are not available")

func (s *Server) outboundSvc() (*outbound.Service, error) {
	if s.outbound == nil {
		return nil, errNoOutbound
	}
	return s.outbound, nil
}

func obPage(limit *int, cursor *string) outbound.Page {
	p := page(limit, cursor)
	return outbound.Page{Limit: p.Limit, Cursor: p.Cursor}
}

func (s *Server) listSubscriptions(ctx context.Context, o outbound.Owner, limit *int, cursor *string) (openapi.WebhookSubscriptionList, error) {
	svc, err := s.outboundSvc()
	if err != nil {
		return openapi.WebhookSubscriptionList{}, err
	}
	l, err := svc.List(ctx, o, obPage(limit, cursor))
	if err != nil {
		return openapi.WebhookSubscriptionList{}, err
	}
	out := openapi.WebhookSubscriptionList{Items: make([]openapi.WebhookSubscription, len(l.Items)), NextCursor: nextCursor(l.NextCursor)}
	for i, sub := range l.Items {
		out.Items[i] = toSubscription(sub)
	}
	return out, nil
}

func (s *Server) createSubscription(ctx context.Context, o outbound.Owner, b *openapi.WebhookSubscriptionCreate, key *string) (openapi.WebhookSubscriptionSecret, error) {
	svc, err := s.outboundSvc()
	if err != nil {
		return openapi.WebhookSubscriptionSecret{}, err
	}
	if b == nil {
		return openapi.WebhookSubscriptionSecret{}, errNoBody
	}
	sub, secret, err := svc.Create(ctx, o, outbound.NewSubscription{
		URL: b.Url, Description: deref(b.Description), EventTypes: b.EventTypes,
		Ordered: deref(b.Ordered), MaxInFlight: deref(b.MaxInFlight),
	}, deref(key))
	if err != nil {
		return openapi.WebhookSubscriptionSecret{}, err
	}
	return openapi.WebhookSubscriptionSecret{Subscription: toSubscription(sub), Secret: secret}, nil
}

func (s *Server) getSubscription(ctx context.Context, o outbound.Owner, id uuid.UUID) (openapi.WebhookSubscription, error) {
	svc, err := s.outboundSvc()
	if err != nil {
		return openapi.WebhookSubscription{}, err
	}
	sub, err := svc.Get(ctx, o, id)
	return toSubscription(sub), err
}

func (s *Server) updateSubscription(ctx context.Context, o outbound.Owner, id uuid.UUID, b *openapi.WebhookSubscriptionUpdate) (openapi.WebhookSubscription, error) {
	svc, err := s.outboundSvc()
	if err != nil {
		return openapi.WebhookSubscription{}, err
	}
	if b == nil {
		return openapi.WebhookSubscription{}, errNoBody
	}
	sub, err := svc.Update(ctx, o, id, outbound.SubscriptionPatch{
		URL: b.Url, Description: b.Description, EventTypes: b.EventTypes, Ordered: b.Ordered,
		MaxInFlight: b.MaxInFlight, Active: b.Active,
	})
	return toSubscription(sub), err
}

func (s *Server) deleteSubscription(ctx context.Context, o outbound.Owner, id uuid.UUID) error {
	svc, err := s.outboundSvc()
	if err != nil {
		return err
	}
	return svc.Delete(ctx, o, id)
}

func (s *Server) rotateSecret(ctx context.Context, o outbound.Owner, id uuid.UUID, b *openapi.WebhookSecretRotation) (openapi.WebhookSubscriptionSecret, error) {
	svc, err := s.outboundSvc()
	if err != nil {
		return openapi.WebhookSubscriptionSecret{}, err
	}
	overlap := outbound.DefaultSecretOverlap
	if b != nil && b.OverlapSeconds != nil {
		overlap = time.Duration(*b.OverlapSeconds) * time.Second
	}
	sub, secret, err := svc.RotateSecret(ctx, o, id, overlap)
	if err != nil {
		return openapi.WebhookSubscriptionSecret{}, err
	}
	return openapi.WebhookSubscriptionSecret{Subscription: toSubscription(sub), Secret: secret}, nil
}

func (s *Server) sendTest(ctx context.Context, o outbound.Owner, id uuid.UUID) (openapi.WebhookDelivery, error) {
	svc, err := s.outboundSvc()
	if err != nil {
		return openapi.WebhookDelivery{}, err
	}
	d, err := svc.SendTest(ctx, o, id)
	return toDelivery(d), err
}

func (s *Server) replayEvents(ctx context.Context, o outbound.Owner, id uuid.UUID, b *openapi.WebhookReplayRange, key *string) (openapi.WebhookReplayQueued, error) {
	svc, err := s.outboundSvc()
	if err != nil {
		return openapi.WebhookReplayQueued{}, err
	}
	if b == nil {
		return openapi.WebhookReplayQueued{}, errNoBody
	}
	n, err := svc.ReplayRange(ctx, o, id, b.From, b.To, deref(key))
	return openapi.WebhookReplayQueued{Queued: n}, err
}

func (s *Server) listDeliveries(ctx context.Context, o outbound.Owner, p openapi.ListWebhookDeliveriesParams) (openapi.WebhookDeliveryList, error) {
	svc, err := s.outboundSvc()
	if err != nil {
		return openapi.WebhookDeliveryList{}, err
	}
	f := outbound.DeliveryFilter{
		SubscriptionID: deref(p.SubscriptionId), Status: string(deref(p.Status)), EventType: deref(p.EventType),
		From: deref(p.From), To: deref(p.To),
	}
	l, err := svc.ListDeliveries(ctx, o, f, obPage(p.Limit, p.Cursor))
	if err != nil {
		return openapi.WebhookDeliveryList{}, err
	}
	out := openapi.WebhookDeliveryList{Items: make([]openapi.WebhookDelivery, len(l.Items)), NextCursor: nextCursor(l.NextCursor)}
	for i, d := range l.Items {
		out.Items[i] = toDelivery(d)
	}
	return out, nil
}

func (s *Server) getDelivery(ctx context.Context, o outbound.Owner, id int64) (openapi.WebhookDelivery, error) {
	svc, err := s.outboundSvc()
	if err != nil {
		return openapi.WebhookDelivery{}, err
	}
	d, err := svc.GetDelivery(ctx, o, id)
	return toDelivery(d), err
}

func (s *Server) replayDelivery(ctx context.Context, o outbound.Owner, id int64, key *string) (openapi.WebhookDelivery, error) {
	svc, err := s.outboundSvc()
	if err != nil {
		return openapi.WebhookDelivery{}, err
	}
	d, err := svc.Replay(ctx, o, id, deref(key))
	return toDelivery(d), err
}

// GetWebhookHealth implements openapi.StrictServerInterface.
func (s *Server) GetWebhookHealth(ctx context.Context, r openapi.GetWebhookHealthRequestObject) (openapi.GetWebhookHealthResponseObject, error) {
	svc, err := s.outboundSvc()
	if err != nil {
		return nil, err
	}
	l, sum, err := svc.Health(ctx, outbound.HealthFilter{
		TenantID: deref(r.Params.TenantId), PartnerID: deref(r.Params.PartnerId), Unhealthy: deref(r.Params.Unhealthy),
	}, obPage(r.Params.Limit, r.Params.Cursor))
	if err != nil {
		return nil, err
	}
	out := openapi.WebhookHealth{Items: make([]openapi.WebhookEndpointHealth, len(l.Items)), NextCursor: nextCursor(l.NextCursor)}
	out.Summary.Subscriptions, out.Summary.Disabled, out.Summary.Failing = sum.Subscriptions, sum.Disabled, sum.Failing
	out.Summary.Attempts24h, out.Summary.Failures24h = sum.Attempts24h, sum.Failures24h
	for i, h := range l.Items {
		out.Items[i] = openapi.WebhookEndpointHealth{
			Subscription: toSubscription(h.Subscription), Attempts24h: h.Attempts24h, Failures24h: h.Failures24h,
			FailureRate: float32(h.FailureRate()), Pending: h.Pending, Dead24h: h.Dead24h,
		}
	}
	return openapi.GetWebhookHealth200JSONResponse(out), nil
}

// GetWebhookEventTypes implements openapi.StrictServerInterface.
func (s *Server) GetWebhookEventTypes(context.Context, openapi.GetWebhookEventTypesRequestObject) (openapi.GetWebhookEventTypesResponseObject, error) {
	cat := outbound.Catalogue()
	out := openapi.WebhookEventTypeList{Items: make([]openapi.WebhookEventType, len(cat))}
	for i, et := range cat {
		var schema map[string]any
		if err := json.Unmarshal(et.DataSchema, &schema); err != nil {
			return nil, err
		}
		out.Items[i] = openapi.WebhookEventType{Type: et.Type, Description: et.Description, DataSchema: schema}
	}
	return openapi.GetWebhookEventTypes200JSONResponse(out), nil
}

func toSubscription(s outbound.Subscription) openapi.WebhookSubscription {
	out := openapi.WebhookSubscription{
		Id: s.ID, TenantId: optUUID(s.TenantID), PartnerId: optUUID(s.PartnerID), Url: s.URL,
		Description: s.Description, EventTypes: s.EventTypes, Active: s.Active, Ordered: s.Ordered,
		MaxInFlight: s.MaxInFlight, DisabledAt: optTime(s.DisabledAt), FailingSince: optTime(s.FailingSince),
		LastSuccessAt: optTime(s.LastSuccessAt), LastFailureAt: optTime(s.LastFailureAt),
		PreviousSecretExpiresAt: optTime(s.PreviousSecretExpiresAt),
		CreatedAt:               s.CreatedAt.UTC(), UpdatedAt: s.UpdatedAt.UTC(),
	}
	if out.EventTypes == nil {
		out.EventTypes = []string{}
	}
	if s.DisabledReason != "" {
		r := openapi.WebhookSubscriptionDisabledReason(s.DisabledReason)
		out.DisabledReason = &r
	}
	return out
}

func toDelivery(d outbound.Delivery) openapi.WebhookDelivery {
	out := openapi.WebhookDelivery{
		Id: d.ID, TenantId: d.TenantID, SubscriptionId: d.SubscriptionID, EventId: d.EventID,
		MessageId: d.MessageID, EventType: d.EventType, Origin: openapi.WebhookDeliveryOrigin(d.Origin),
		ReplayOf: d.ReplayOf, Status: openapi.WebhookDeliveryStatus(d.Status), Attempts: d.Attempts,
		NextAttemptAt: optTime(d.NextAttemptAt), ExpiresAt: d.ExpiresAt.UTC(), LastAttemptAt: optTime(d.LastAttemptAt),
		LastStatusCode: d.LastStatusCode, LastError: optString(d.LastError), DeadReason: optString(d.DeadReason),
		DeliveredAt: optTime(d.DeliveredAt), CreatedAt: d.CreatedAt.UTC(),
	}
	if d.AttemptLog != nil {
		log := make([]openapi.WebhookAttempt, len(d.AttemptLog))
		for i, a := range d.AttemptLog {
			log[i] = openapi.WebhookAttempt{
				Attempt: a.Attempt, AttemptedAt: a.AttemptedAt.UTC(), LatencyMs: a.LatencyMS,
				StatusCode: a.StatusCode, Error: optString(a.Error), ResponseBody: a.ResponseBody,
			}
		}
		out.AttemptLog = &log
	}
	return out
}
