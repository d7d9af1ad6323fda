// Package apperr defines the error codes every layer of wabsp shares. Domain
// packages return *Error values (or wrap them); the HTTP layer maps a Code to a
// status in exactly one table, and workers map them to retry decisions. The
// Message of an Error is written for API clients; the wrapped Err is for logs
// only and never leaves the process.
package apperr

import (
	"errors"
	"fmt"
	"time"
)

// Code is a stable, machine-readable error code. Clients may branch on it, so
// a code once published is never renamed.
type Code string

// The codes wabsp uses. Each maps to one HTTP status in internal/httpapi.
const (
	Invalid            Code = "invalid_request"
	NotFound           Code = "not_found"
	Conflict           Code = "conflict"
	Unauthenticated    Code = "unauthenticated"
	Forbidden          Code = "forbidden"
	TenantSuspended    Code = "tenant_suspended"
	FailedPrecondition Code = "failed_precondition"
	RateLimited        Code = "rate_limited"
	PayloadTooLarge    Code = "payload_too_large"
	Unavailable        Code = "unavailable"
	Internal           Code = "internal"
	// Unprocessable is a well-formed request that breaks domain rules; the
	// error's Violations list every broken rule.
	Unprocessable Code = "unprocessable"
	// MetaRejected is a request Meta refused for its content.
	MetaRejected Code = "meta_rejected"
	// MetaTokenInvalid is a call to Meta refused because the stored access
	// token is expired or revoked.
	MetaTokenInvalid Code = "meta_token_invalid"
	// Refused: the request was understood and recorded but a business rule
	// refused it; Reasons lists every rule that did.
	Refused Code = "send_refused"
)

// Error is an application error with a stable code and a client-safe message.
type Error struct {
	Code    Code
	Message string
	// Fields names the offending inputs for Invalid errors (field → problem).
	Fields map[string]string
	// Violations lists every broken rule of an Unprocessable error, in order.
	Violations []Violation
	// RetryAfter, when set, is how long the client should wait before
	// retrying.
	RetryAfter time.Duration
	// Reasons lists the rules that refused a Refused request, and Subject
	// names what was recorded for it.
	Reasons []string
	Subject string
	Err     error
}

// Violation is one broken rule: where, which rule (a stable code clients
// may branch on) and what is wrong, in words.
type Violation struct {
	Field   string `json:"field"`
	Code    string `json:"code"`
	Problem string `json:"problem"`
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

func (e *Error) Unwrap() error { return e.Err }

// New returns an error with a code and a client-safe message.
func New(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Wrap returns an error with a code and client-safe message that keeps err for logs.
func Wrap(err error, code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...), Err: err}
}

// InvalidField returns an Invalid error naming one field.
func InvalidField(field, problem string) *Error {
	return &Error{Code: Invalid, Message: field + ": " + problem, Fields: map[string]string{field: problem}}
}

// CodeOf returns the code of the first *Error in err's chain, or Internal.
func CodeOf(err error) Code {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return Internal
}

// As returns the first *Error in err's chain.
func As(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}

// Is reports whether err carries the given code.
func Is(err error, code Code) bool { return err != nil && CodeOf(err) == code }
