package httpapi

import (
	"context"

	"github.com/wabsp/wabsp/openapi"
	"github.com/wabsp/wabsp/tenants"
)

// ListPhoneNumbers implements openapi.StrictServerInterface.
func (s *Server) ListPhoneNumbers(ctx context.Context, r openapi.ListPhoneNumbersRequestObject) (openapi.ListPhoneNumbersResponseObject, error) {
	l, err := s.tenants.ListPhoneNumbers(ctx, r.TenantId, tenants.PhoneFilter{WABARef: deref(r.Params.WabaRef)},
		page(r.Params.Limit, r.Params.Cursor))
	if err != nil {
		return nil, err
	}
	out := openapi.PhoneNumberList{Items: make([]openapi.PhoneNumber, len(l.Items)), NextCursor: nextCursor(l.NextCursor)}
	for i, p := range l.Items {
		out.Items[i] = toPhoneNumber(p)
	}
	return openapi.ListPhoneNumbers200JSONResponse(out), nil
}

// CreatePhoneNumber implements openapi.StrictServerInterface.
func (s *Server) CreatePhoneNumber(ctx context.Context, r openapi.CreatePhoneNumberRequestObject) (openapi.CreatePhoneNumberResponseObject, error) {
	if r.Body == nil {
		return nil, errNoBody
	}
	p, err := s.tenants.CreatePhoneNumber(ctx, actor(ctx), r.TenantId, tenants.NewPhoneNumber{
		WABARef:            r.Body.WabaRef,
		PhoneNumberID:      r.Body.PhoneNumberId,
		DisplayPhoneNumber: r.Body.DisplayPhoneNumber,
		VerifiedName:       deref(r.Body.VerifiedName),
	})
	if err != nil {
		return nil, err
	}
	s.onboarded(ctx)
	s.trackRegistered(ctx, p)
	return openapi.CreatePhoneNumber201JSONResponse(toPhoneNumber(p)), nil
}

// GetPhoneNumber implements openapi.StrictServerInterface.
func (s *Server) GetPhoneNumber(ctx context.Context, r openapi.GetPhoneNumberRequestObject) (openapi.GetPhoneNumberResponseObject, error) {
	p, err := s.tenants.GetPhoneNumber(ctx, r.TenantId, r.PhoneRef)
	if err != nil {
		return nil, err
	}
	return openapi.GetPhoneNumber200JSONResponse(toPhoneNumber(p)), nil
}

// DeletePhoneNumber implements openapi.StrictServerInterface.
func (s *Server) DeletePhoneNumber(ctx context.Context, r openapi.DeletePhoneNumberRequestObject) (openapi.DeletePhoneNumberResponseObject, error) {
	if err := s.tenants.DeletePhoneNumber(ctx, actor(ctx), r.TenantId, r.PhoneRef); err != nil {
		return nil, err
	}
	return openapi.DeletePhoneNumber204Response{}, nil
}
