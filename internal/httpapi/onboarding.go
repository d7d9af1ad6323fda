package httpapi

import (
	"context"

	"github.com/wabsp/wabsp/internal/apperr"
	"github.com/wabsp/wabsp/openapi"
	"github.com/wabsp/wabsp/tenants/onboarding"
)

// OnboardingQueue queues an onboarding's next step (implemented by
// workers.Onboarder).
type OnboardingQueue interface {
	StartOnboarding(ctx context.Context, o onboarding.Onboarding) error
}

func (s *Server) onboardingReady() error {
	if s.onboardings == nil || s.onboardingQueue == nil {
		return apperr.New(apperr.Unavailable, "onboarding is not configured")
	}
	return nil
}

// CreateOnboarding implements openapi.StrictServerInterface. A duplicate
// changes nothing, but the current step is asked for again: if its task
// was lost, that queues it; if not, the task id makes it a no-op.
func (s *Server) CreateOnboarding(ctx context.Context, r openapi.CreateOnboardingRequestObject) (openapi.CreateOnboardingResponseObject, error) {
	if err := s.onboardingReady(); err != nil {
		return nil, err
	}
	if r.Body == nil {
		return nil, errNoBody
	}
	p := principal(ctx)
	o, created, err := s.onboardings.Create(ctx, r.TenantId, string(p.Role)+":"+p.ClientID.String(), onboarding.New{
		Code: r.Body.Code, WABAID: r.Body.WabaId, PhoneNumberID: r.Body.PhoneNumberId, PIN: deref(r.Body.Pin),
	})
	if err != nil {
		return nil, err
	}
	if o.State != onboarding.StateFailed {
		if err := s.onboardingQueue.StartOnboarding(ctx, o); err != nil {
			return nil, err
		}
	}
	if created {
		return openapi.CreateOnboarding201JSONResponse(toOnboarding(o)), nil
	}
	return openapi.CreateOnboarding200JSONResponse(toOnboarding(o)), nil
}

// GetOnboarding implements openapi.StrictServerInterface.
func (s *Server) GetOnboarding(ctx context.Context, r openapi.GetOnboardingRequestObject) (openapi.GetOnboardingResponseObject, error) {
	if err := s.onboardingReady(); err != nil {
		return nil, err
	}
	o, err := s.onboardings.Get(ctx, r.TenantId, r.OnboardingId)
	if err != nil {
		return nil, err
	}
	return openapi.GetOnboarding200JSONResponse(toOnboarding(o)), nil
}

// ListOnboardings implements openapi.StrictServerInterface.
func (s *Server) ListOnboardings(ctx context.Context, r openapi.ListOnboardingsRequestObject) (openapi.ListOnboardingsResponseObject, error) {
	if err := s.onboardingReady(); err != nil {
		return nil, err
	}
	l, err := s.onboardings.List(ctx, r.TenantId, onboarding.Filter{State: string(deref(r.Params.State))},
		page(r.Params.Limit, r.Params.Cursor))
	if err != nil {
		return nil, err
	}
	return openapi.ListOnboardings200JSONResponse(toOnboardingList(l.Items, l.NextCursor)), nil
}

// ListAdminOnboardings implements openapi.StrictServerInterface.
func (s *Server) ListAdminOnboardings(ctx context.Context, r openapi.ListAdminOnboardingsRequestObject) (openapi.ListAdminOnboardingsResponseObject, error) {
	if err := s.onboardingReady(); err != nil {
		return nil, err
	}
	l, err := s.onboardings.ListAll(ctx, onboarding.Filter{State: string(deref(r.Params.State))},
		page(r.Params.Limit, r.Params.Cursor))
	if err != nil {
		return nil, err
	}
	return openapi.ListAdminOnboardings200JSONResponse(toOnboardingList(l.Items, l.NextCursor)), nil
}

// RetryOnboarding implements openapi.StrictServerInterface.
func (s *Server) RetryOnboarding(ctx context.Context, r openapi.RetryOnboardingRequestObject) (openapi.RetryOnboardingResponseObject, error) {
	if err := s.onboardingReady(); err != nil {
		return nil, err
	}
	var code, pin string
	if r.Body != nil {
		code, pin = deref(r.Body.Code), deref(r.Body.Pin)
	}
	o, err := s.onboardings.Retry(ctx, r.TenantId, r.OnboardingId, code, pin)
	if err != nil {
		return nil, err
	}
	if err := s.onboardingQueue.StartOnboarding(ctx, o); err != nil {
		return nil, err
	}
	return openapi.RetryOnboarding200JSONResponse(toOnboarding(o)), nil
}

func toOnboardingList(items []onboarding.Onboarding, next string) openapi.OnboardingList {
	out := openapi.OnboardingList{Items: make([]openapi.Onboarding, len(items)), NextCursor: nextCursor(next)}
	for i, o := range items {
		out.Items[i] = toOnboarding(o)
	}
	return out
}

func toOnboarding(o onboarding.Onboarding) openapi.Onboarding {
	out := openapi.Onboarding{
		Id: o.ID, TenantId: o.TenantID, WabaId: o.WABAID, PhoneNumberId: o.PhoneNumberID, State: o.State, Run: o.Run,
		WabaRef: o.WABARef, PinGenerated: o.PINGenerated, Steps: make([]openapi.OnboardingStep, len(o.Steps)),
		CreatedAt: o.CreatedAt.UTC(), UpdatedAt: o.UpdatedAt.UTC(), CompletedAt: utcPtr(o.CompletedAt),
	}
	for i, st := range o.Steps {
		out.Steps[i] = openapi.OnboardingStep{Name: st.Name, State: st.State, Attempts: st.Attempts,
			StartedAt: utcPtr(st.StartedAt), FinishedAt: utcPtr(st.FinishedAt), UpdatedAt: st.UpdatedAt.UTC()}
		if e := st.LastError; e != nil {
			out.Steps[i].LastError = &openapi.OnboardingError{Code: optInt(e.Code), Subcode: optInt(e.Subcode),
				Type: optString(e.Type), Message: e.Message, FbtraceId: optString(e.FBTraceID)}
		}
	}
	return out
}

func utcPtr[T interface{ UTC() T }](t *T) *T {
	if t == nil {
		return nil
	}
	u := (*t).UTC()
	return &u
}

func optInt(n int) *int {
	if n == 0 {
		return nil
	}
	return &n
}
