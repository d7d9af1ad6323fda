package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/wabsp/wabsp/internal/apperr"
	"github.com/wabsp/wabsp/internal/graph"
	"github.com/wabsp/wabsp/openapi"
	"github.com/wabsp/wabsp/quality"
)

// TemplateGraph is the part of the Graph client the template operations
// call (implemented by *graph.Client).
type TemplateGraph interface {
	CreateTemplate(ctx context.Context, token, wabaID string, draft json.RawMessage) (graph.TemplateSubmission, error)
	EditTemplate(ctx context.Context, token, wabaID, templateID string, edit json.RawMessage) error
	DeleteTemplate(ctx context.Context, token, wabaID, name, templateID string) error
}

var errNoTemplateAPI = apperr.New(apperr.Unavailable, "template management is not available")

// templateWABA is a WABA the caller may manage templates of, with the token
// to call Meta about it.
type templateWABA struct {
	wabaID string
	token  string
}

// templateAccess resolves the WABA in the path within the caller's tenant
// (another tenant's WABA is not found) and decrypts its token.
func (s *Server) templateAccess(ctx context.Context, tenantID, ref uuid.UUID) (templateWABA, error) {
	if s.quality == nil || s.graph == nil {
		return templateWABA{}, errNoTemplateAPI
	}
	w, err := s.tenants.GetWABA(ctx, tenantID, ref)
	if err != nil {
		return templateWABA{}, err
	}
	token, err := s.tenants.AccessToken(ctx, tenantID, ref)
	if err != nil {
		return templateWABA{}, err
	}
	return templateWABA{wabaID: w.WABAID, token: token}, nil
}

// CreateTemplate implements openapi.StrictServerInterface.
func (s *Server) CreateTemplate(ctx context.Context, r openapi.CreateTemplateRequestObject) (openapi.CreateTemplateResponseObject, error) {
	if r.Body == nil {
		return nil, errNoBody
	}
	a, err := s.templateAccess(ctx, r.TenantId, r.WabaRef)
	if err != nil {
		return nil, err
	}
	var d quality.TemplateDraft
	if err := fromAPI(r.Body, &d); err != nil {
		return nil, err
	}
	in := quality.Submission{WABAID: a.wabaID, Draft: d, Key: deref(r.Params.IdempotencyKey),
		Actor: optinsActor(ctx), RequestID: requestIDFrom(ctx), At: s.now()}
	def, _, err := s.quality.SubmitTemplate(ctx, r.TenantId, in, func(ctx context.Context, d quality.TemplateDraft) (quality.MetaAnswer, error) {
		body, err := json.Marshal(d)
		if err != nil {
			return quality.MetaAnswer{}, fmt.Errorf("httpapi: encode template: %w", err)
		}
		sub, err := s.graph.CreateTemplate(ctx, a.token, a.wabaID, body)
		if err != nil {
			return quality.MetaAnswer{}, metaError(err)
		}
		return quality.MetaAnswer{TemplateID: string(sub.ID), Status: sub.Status, Category: sub.Category}, nil
	})
	if err != nil {
		return nil, err
	}
	out, err := toAPI(def)
	if err != nil {
		return nil, err
	}
	return openapi.CreateTemplate201JSONResponse(out), nil
}

// EditTemplate implements openapi.StrictServerInterface.
func (s *Server) EditTemplate(ctx context.Context, r openapi.EditTemplateRequestObject) (openapi.EditTemplateResponseObject, error) {
	if r.Body == nil {
		return nil, errNoBody
	}
	a, def, err := s.wabaTemplate(ctx, r.TenantId, r.WabaRef, r.TemplateId)
	if err != nil {
		return nil, err
	}
	d := quality.TemplateDraft{Category: deref(r.Body.Category), ParameterFormat: def.ParameterFormat}
	if err := fromAPI(r.Body.Components, &d.Components); err != nil {
		return nil, err
	}
	if err := quality.CheckTemplateEdit(d); err != nil {
		return nil, err
	}
	edit, err := json.Marshal(struct {
		Category   string                      `json:"category,omitempty"`
		Components []quality.TemplateComponent `json:"components"`
	}{d.Category, d.Components})
	if err != nil {
		return nil, fmt.Errorf("httpapi: encode template edit: %w", err)
	}
	if err := s.graph.EditTemplate(ctx, a.token, a.wabaID, def.TemplateID, edit); err != nil {
		return nil, metaError(err)
	}
	if err := s.quality.RecordTemplateEdited(ctx, r.TenantId, def.TemplateID, d, optinsActor(ctx), requestIDFrom(ctx), s.now()); err != nil {
		return nil, err
	}
	def, err = s.quality.TemplateDefinitionOf(ctx, r.TenantId, def.TemplateID)
	if err != nil {
		return nil, err
	}
	out, err := toAPI(def)
	if err != nil {
		return nil, err
	}
	return openapi.EditTemplate200JSONResponse(out), nil
}

// DeleteTemplate implements openapi.StrictServerInterface.
func (s *Server) DeleteTemplate(ctx context.Context, r openapi.DeleteTemplateRequestObject) (openapi.DeleteTemplateResponseObject, error) {
	a, def, err := s.wabaTemplate(ctx, r.TenantId, r.WabaRef, r.TemplateId)
	if err != nil {
		return nil, err
	}
	if err := s.graph.DeleteTemplate(ctx, a.token, a.wabaID, def.Name, def.TemplateID); err != nil {
		return nil, metaError(err)
	}
	_, err = s.quality.RecordTemplatesDeleted(ctx, r.TenantId, a.wabaID, def.Name, def.TemplateID, optinsActor(ctx), requestIDFrom(ctx), s.now())
	if err != nil {
		return nil, err
	}
	return openapi.DeleteTemplate204Response{}, nil
}

// DeleteTemplatesByName implements openapi.StrictServerInterface.
func (s *Server) DeleteTemplatesByName(ctx context.Context, r openapi.DeleteTemplatesByNameRequestObject) (openapi.DeleteTemplatesByNameResponseObject, error) {
	a, err := s.templateAccess(ctx, r.TenantId, r.WabaRef)
	if err != nil {
		return nil, err
	}
	if err := s.graph.DeleteTemplate(ctx, a.token, a.wabaID, r.Params.Name, ""); err != nil {
		return nil, metaError(err)
	}
	n, err := s.quality.RecordTemplatesDeleted(ctx, r.TenantId, a.wabaID, r.Params.Name, "", optinsActor(ctx), requestIDFrom(ctx), s.now())
	if err != nil {
		return nil, err
	}
	return openapi.DeleteTemplatesByName200JSONResponse{Deleted: n}, nil
}

// wabaTemplate finds a live template of the WABA in the path; one of
// another WABA, even of the same tenant, is not found.
func (s *Server) wabaTemplate(ctx context.Context, tenantID, ref uuid.UUID, templateID string) (templateWABA, quality.TemplateDefinition, error) {
	a, err := s.templateAccess(ctx, tenantID, ref)
	if err != nil {
		return templateWABA{}, quality.TemplateDefinition{}, err
	}
	def, err := s.quality.TemplateDefinitionOf(ctx, tenantID, templateID)
	if err != nil {
		return templateWABA{}, quality.TemplateDefinition{}, err
	}
	if def.WABAID != a.wabaID {
		return templateWABA{}, quality.TemplateDefinition{}, apperr.New(apperr.NotFound, "template not found")
	}
	return a, def, nil
}

// metaRefusals maps the Graph subcodes of template calls to what they mean
// for the client.
var metaRefusals = map[int]apperr.Code{
	2388023: apperr.Conflict,           // the name is being deleted
	2388024: apperr.Conflict,           // the name and language exist
	2388040: apperr.FailedPrecondition, // in review: cannot be edited
	2388049: apperr.FailedPrecondition, // edited too often
	2593002: apperr.NotFound,           // no such template
}

// metaError turns a Graph failure into a problem naming Meta's code and
// message, which are Meta's words and safe to show; anything that is not
// Meta's answer stays internal.
func metaError(err error) error {
	if wait, limited := graph.RetryAfter(err); limited {
		e := apperr.Wrap(err, apperr.RateLimited, "Meta is throttling calls for this WABA; retry later")
		e.RetryAfter = wait
		return e
	}
	var gerr *graph.Error
	if !errors.As(err, &gerr) {
		return err
	}
	detail := fmt.Sprintf("Meta refused the call: error %d", gerr.Code)
	if gerr.Subcode != 0 {
		detail += fmt.Sprintf(" (subcode %d)", gerr.Subcode)
	}
	detail += ": " + metaMessage(gerr)
	switch {
	case metaRefusals[gerr.Subcode] != "":
		return apperr.Wrap(err, metaRefusals[gerr.Subcode], "%s", detail)
	case gerr.Code == 190:
		return apperr.Wrap(err, apperr.MetaTokenInvalid, "%s", detail)
	case gerr.Code == 130429:
		return &apperr.Error{Code: apperr.RateLimited, Message: detail, RetryAfter: graphThrottleWait, Err: err}
	case gerr.Temporary():
		return &apperr.Error{Code: apperr.Unavailable, Message: detail, RetryAfter: graphThrottleWait, Err: err}
	}
	return apperr.Wrap(err, apperr.MetaRejected, "%s", detail)
}

// graphThrottleWait is the wait advised when Meta gives none.
const graphThrottleWait = time.Minute

func metaMessage(e *graph.Error) string {
	if e.UserMessage != "" {
		return e.Message + " - " + e.UserMessage
	}
	return e.Message
}

// fromAPI converts a request's template into the domain type of the same
// JSON shape. The spec leaves examples and buttons open, so a member of the
// wrong type only shows here, and is the client's error.
func fromAPI(in, out any) error {
	b, err := json.Marshal(in)
	if err != nil {
		return fmt.Errorf("httpapi: encode %T: %w", in, err)
	}
	if err := json.Unmarshal(b, out); err != nil {
		return apperr.Wrap(err, apperr.Invalid, "the template is not in Meta's shape: a member has the wrong type")
	}
	return nil
}

// toAPI converts a domain template into its generated API type.
func toAPI(def quality.TemplateDefinition) (openapi.TemplateDefinition, error) {
	var out openapi.TemplateDefinition
	b, err := json.Marshal(def)
	if err != nil {
		return out, fmt.Errorf("httpapi: encode template: %w", err)
	}
	if err := json.Unmarshal(b, &out); err != nil {
		return out, fmt.Errorf("httpapi: decode template: %w", err)
	}
	return out, nil
}
