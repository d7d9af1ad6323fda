package httpapi

import (
	"errors"
	"log/slog"
	"net/http"
	"sort"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/wabsp/wabsp/internal/apperr"
	"github.com/wabsp/wabsp/openapi"
)

// statusOf is the one table from error codes to HTTP statuses.
var statusOf = map[apperr.Code]int{
	apperr.Invalid:            http.StatusBadRequest,
	apperr.NotFound:           http.StatusNotFound,
	apperr.Conflict:           http.StatusConflict,
	apperr.FailedPrecondition: http.StatusConflict,
	apperr.Unauthenticated:    http.StatusUnauthorized,
	apperr.Forbidden:          http.StatusForbidden,
	apperr.TenantSuspended:    http.StatusForbidden,
	apperr.RateLimited:        http.StatusTooManyRequests,
	apperr.PayloadTooLarge:    http.StatusRequestEntityTooLarge,
	apperr.Unavailable:        http.StatusServiceUnavailable,
	apperr.Refused:            http.StatusUnprocessableEntity,
	apperr.Internal:           http.StatusInternalServerError,
	apperr.Unprocessable:      http.StatusUnprocessableEntity,
	apperr.MetaRejected:       http.StatusUnprocessableEntity,
	apperr.MetaTokenInvalid:   http.StatusFailedDependency,
}

// fiberError turns Fiber's own errors (unknown route, wrong method, body too
// large, undecodable body or parameters) into an apperr. Fiber's messages
// can quote Go error text, so each gets a fixed client-safe message instead.
func fiberError(fe *fiber.Error) *apperr.Error {
	switch fe.Code {
	case fiber.StatusNotFound:
		return apperr.New(apperr.NotFound, "no such resource")
	case fiber.StatusMethodNotAllowed:
		return apperr.New(apperr.Invalid, "method not allowed for this resource")
	case fiber.StatusRequestEntityTooLarge:
		return apperr.New(apperr.PayloadTooLarge, "request body too large")
	case fiber.StatusRequestTimeout:
		return apperr.New(apperr.Unavailable, "request timed out")
	}
	if fe.Code >= 500 {
		return apperr.Wrap(fe, apperr.Internal, "internal error")
	}
	return apperr.Wrap(fe, apperr.Invalid, "the request could not be parsed")
}

// classify returns the client-facing error and HTTP status for err. Errors
// without a code are internal: the client learns only that, and the error
// handler logs the real error.
func classify(err error) (*apperr.Error, int) {
	if e, ok := apperr.As(err); ok {
		status, known := statusOf[e.Code]
		if !known || e.Code == apperr.Internal {
			return apperr.Wrap(err, apperr.Internal, "internal error"), http.StatusInternalServerError
		}
		return e, status
	}
	var fe *fiber.Error
	if errors.As(err, &fe) {
		e := fiberError(fe)
		if fe.Code == fiber.StatusMethodNotAllowed {
			return e, fe.Code
		}
		return e, statusOf[e.Code]
	}
	return apperr.Wrap(err, apperr.Internal, "internal error"), http.StatusInternalServerError
}

// problemFor builds the problem document for err and its HTTP status.
func problemFor(err error, requestID string) (openapi.Problem, int) {
	e, status := classify(err)
	p := openapi.Problem{
		Type:      "urn:wabsp:problem:" + string(e.Code),
		Title:     http.StatusText(status),
		Status:    status,
		Code:      string(e.Code),
		RequestId: requestID,
	}
	if e.Message != "" {
		p.Detail = &e.Message
	}
	if len(e.Fields) > 0 {
		p.Errors = fieldErrors(e.Fields)
	}
	if len(e.Violations) > 0 {
		p.Errors = violationErrors(e.Violations)
	}
	if e.Code == apperr.Refused {
		p.Reasons = &e.Reasons
		if id, err := uuid.Parse(e.Subject); err == nil {
			p.SendId = &id
		}
	}
	return p, status
}

func fieldErrors(fields map[string]string) *[]openapi.FieldError {
	names := make([]string, 0, len(fields))
	for name := range fields {
		names = append(names, name)
	}
	sort.Strings(names)
	out := make([]openapi.FieldError, len(names))
	for i, name := range names {
		out[i] = openapi.FieldError{Field: name, Problem: fields[name]}
	}
	return &out
}

func violationErrors(list []apperr.Violation) *[]openapi.FieldError {
	out := make([]openapi.FieldError, len(list))
	for i, v := range list {
		out[i] = openapi.FieldError{Field: v.Field, Problem: v.Problem, Code: &v.Code}
	}
	return &out
}

// errorHandler is fiber.Config.ErrorHandler: every error becomes an RFC 9457
// problem, except on the OAuth token endpoint, whose clients expect RFC 6749
// errors. 5xx answers are logged with the cause; clients see none of it.
func errorHandler(log *slog.Logger) fiber.ErrorHandler {
	return func(c *fiber.Ctx, err error) error {
		id := requestIDOf(c)
		p, status := problemFor(err, id)
		if status >= 500 {
			log.Error("request failed", "request_id", id, "method", c.Method(), "path", c.Path(),
				"status", status, "err", err.Error())
		}
		if isOAuthRequest(c) && status < 500 && status != fiber.StatusTooManyRequests && status != fiber.StatusRequestEntityTooLarge {
			return c.Status(fiber.StatusBadRequest).JSON(openapi.OAuthError{
				Error: openapi.InvalidRequest, ErrorDescription: p.Detail,
			})
		}
		c.Status(status)
		if e, ok := apperr.As(err); ok && e.RetryAfter > 0 {
			c.Set(fiber.HeaderRetryAfter, seconds(e.RetryAfter))
		}
		c.Set(fiber.HeaderContentType, "application/problem+json")
		body, mErr := c.App().Config().JSONEncoder(p)
		if mErr != nil {
			return c.SendString(`{"title":"Internal Server Error","status":500,"code":"internal"}`)
		}
		return c.Send(body)
	}
}
