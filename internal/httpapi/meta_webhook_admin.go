package httpapi

import (
	"context"
	"encoding/base64"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/wabsp/wabsp/internal/apperr"
	"github.com/wabsp/wabsp/openapi"
	"github.com/wabsp/wabsp/webhooks"
)

// Jobs queues background work on behalf of API calls. It is implemented by
// the workers package; the API never runs such work inline.
type Jobs interface {
	// ReplayWebhooks queues a re-processing of archived Meta webhooks. A
	// non-empty key makes it idempotent: the same key returns the first id.
	ReplayWebhooks(ctx context.Context, f webhooks.ReplayFilter, key string) (string, error)
	// AdoptOrphans queues the routing of webhooks that arrived before the
	// WABA or number they name was onboarded.
	AdoptOrphans(ctx context.Context) error
}

// ListArchivedWebhooks implements openapi.StrictServerInterface.
func (s *Server) ListArchivedWebhooks(ctx context.Context, r openapi.ListArchivedWebhooksRequestObject) (openapi.ListArchivedWebhooksResponseObject, error) {
	f := webhooks.ArchiveFilter{
		Status:   string(deref(r.Params.Status)),
		From:     deref(r.Params.From),
		To:       deref(r.Params.To),
		TenantID: deref(r.Params.TenantId),
		SHA256:   strings.ToLower(deref(r.Params.Sha256)),
		Limit:    deref(r.Params.Limit),
		Cursor:   deref(r.Params.Cursor),
	}
	entries, next, err := s.webhooks.ListArchive(ctx, f)
	if err != nil {
		return nil, err
	}
	out := openapi.ArchivedWebhookPage{Items: make([]openapi.ArchivedWebhook, len(entries)), NextCursor: nextCursor(next)}
	for i, e := range entries {
		out.Items[i] = toArchivedWebhook(e)
	}
	return openapi.ListArchivedWebhooks200JSONResponse(out), nil
}

// GetArchivedWebhook implements openapi.StrictServerInterface.
func (s *Server) GetArchivedWebhook(ctx context.Context, r openapi.GetArchivedWebhookRequestObject) (openapi.GetArchivedWebhookResponseObject, error) {
	e, err := s.webhooks.GetArchive(ctx, r.ArchiveId)
	if err != nil {
		return nil, err
	}
	a := toArchivedWebhook(e)
	out := openapi.ArchivedWebhookWithBody{
		Id: a.Id, Sha256: a.Sha256, ReceivedAt: a.ReceivedAt, ArchivedAt: a.ArchivedAt, AppId: a.AppId,
		Size: a.Size, Status: a.Status, Error: a.Error, RoutedAt: a.RoutedAt, Orphans: a.Orphans, TenantIds: a.TenantIds,
		BodyBase64: base64.StdEncoding.EncodeToString(e.Body),
	}
	if utf8.Valid(e.Body) {
		text := string(e.Body)
		out.Body = &text
	}
	return openapi.GetArchivedWebhook200JSONResponse(out), nil
}

// CreateWebhookReplay implements openapi.StrictServerInterface.
func (s *Server) CreateWebhookReplay(ctx context.Context, r openapi.CreateWebhookReplayRequestObject) (openapi.CreateWebhookReplayResponseObject, error) {
	if s.jobs == nil {
		return nil, apperr.New(apperr.Unavailable, "the task queue is not configured")
	}
	b := r.Body
	f := webhooks.ReplayFilter{IDs: deref(b.Ids), From: deref(b.From), To: deref(b.To), TenantID: deref(b.TenantId)}
	if len(f.IDs) == 0 && f.From.IsZero() && f.To.IsZero() && f.TenantID == uuid.Nil {
		return nil, apperr.InvalidField("ids", "give ids, a time range or a tenant_id")
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.From.Before(f.To) {
		return nil, apperr.InvalidField("from", "must be before to")
	}
	id, err := s.jobs.ReplayWebhooks(ctx, f, deref(r.Params.IdempotencyKey))
	if err != nil {
		return nil, err
	}
	return openapi.CreateWebhookReplay202JSONResponse{ReplayId: id, Status: openapi.Queued}, nil
}

func toArchivedWebhook(e webhooks.ArchiveEntry) openapi.ArchivedWebhook {
	ids := make([]uuid.UUID, len(e.Tenants))
	copy(ids, e.Tenants)
	return openapi.ArchivedWebhook{
		Id: e.ID, Sha256: e.SHA256, ReceivedAt: e.ReceivedAt.UTC(), ArchivedAt: e.ArchivedAt.UTC(), AppId: e.AppID,
		Size: e.Size, Status: e.Status, Error: optString(e.Error), RoutedAt: optTime(e.RoutedAt), Orphans: e.Orphans,
		TenantIds: ids,
	}
}

// onboarded asks for the webhooks that arrived before a WABA or number was
// registered to be routed now. Failing to ask loses nothing: the scheduled
// adoption runs every minute anyway, so the write still succeeds.
func (s *Server) onboarded(ctx context.Context) {
	if s.jobs == nil {
		return
	}
	if err := s.jobs.AdoptOrphans(ctx); err != nil {
		s.log.Warn("orphan adoption not queued; the scheduled run will adopt them", "err", err, "request_id", requestIDFrom(ctx))
	}
}
