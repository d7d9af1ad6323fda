package httpapi

import (
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/gofiber/fiber/v2"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"github.com/valyala/fasthttp/fasthttpadaptor"

	"github.com/wabsp/wabsp/internal/apperr"
)

// validatedBodyKey is where the generated strict handlers look for the body
// value validation accepted, so they bind exactly what was validated
// (defaults included) instead of decoding the body a second time.
const validatedBodyKey = "x-oapi-codegen-validated-body"

// selfValidating lists operations that check their own input because the
// spec's validation errors are the wrong shape for their clients: the token
// endpoint must answer in RFC 6749's format.
var selfValidating = map[string]bool{"createToken": true}

// apiBodyLimit rejects API request bodies over limit. Fiber's own limit is
// higher, because Meta's webhook bodies may be larger than API bodies.
func apiBodyLimit(limit int) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if len(c.Body()) > limit {
			return apperr.New(apperr.PayloadTooLarge, "request body exceeds %d bytes", limit)
		}
		return c.Next()
	}
}

// validateRequest checks parameters and bodies against the spec before any
// handler runs. Failures are invalid_request problems naming each field.
func validateRequest(doc *openapi3.T) fiber.Handler {
	opts := &openapi3filter.Options{
		MultiError:         true,
		KeepValidatedValue: true,
		// Authentication is the authenticate middleware's job.
		AuthenticationFunc: openapi3filter.NoopAuthenticationFunc,
		// Formats are annotations in JSON Schema 2020-12 unless asserted;
		// ids must be checked here to be reported by name. RFC 9562, not
		// 4122: wabsp's ids are version 7.
		SchemaValidationOptions: []openapi3.SchemaValidationOption{
			openapi3.WithStringFormatValidator("uuid", openapi3.NewRegexpFormatValidator(openapi3.FormatOfStringForUUIDOfRFC9562)),
		},
	}
	return func(c *fiber.Ctx) error {
		o, ok := operationOf(c)
		if !ok || selfValidating[o.id] {
			return c.Next()
		}
		params, _ := c.Locals(pathParamsKey{}).(map[string]string)
		req := new(http.Request)
		if err := fasthttpadaptor.ConvertRequest(c.Context(), req, true); err != nil {
			return apperr.Wrap(err, apperr.Invalid, "the request could not be parsed")
		}
		in := &openapi3filter.RequestValidationInput{
			Request:    req,
			PathParams: params,
			Route:      &routers.Route{Spec: doc, Path: o.path, PathItem: o.item, Method: o.method, Operation: o.op},
			Options:    opts,
		}
		if err := openapi3filter.ValidateRequest(c.UserContext(), in); err != nil {
			return invalidRequest(err)
		}
		if body, ok := req.Body.(interface{ ValidatedValue() any }); ok {
			c.Locals(validatedBodyKey, body.ValidatedValue())
		}
		return c.Next()
	}
}

// invalidRequest turns a validation failure into an apperr.Invalid naming
// each offending field. Problems are written here from the failing schema
// keyword, never from the validator's messages, which quote the input.
func invalidRequest(err error) error {
	fields := map[string]string{}
	collectProblems(err, fields)
	if len(fields) == 0 {
		fields["request"] = "does not match the API description"
	}
	return &apperr.Error{Code: apperr.Invalid, Message: "the request is not valid", Fields: fields, Err: err}
}

func collectProblems(err error, fields map[string]string) {
	// Type assertions, not errors.As: every error below wraps a MultiError
	// of schema errors, which errors.As would find first.
	if multi, ok := err.(openapi3.MultiError); ok {
		for _, e := range multi {
			collectProblems(e, fields)
		}
		return
	}
	re, ok := err.(*openapi3filter.RequestError)
	if !ok {
		return
	}
	switch {
	case re.Parameter != nil:
		addProblems(fields, []string{re.Parameter.Name}, re.Err)
	case re.RequestBody != nil:
		switch {
		case errors.Is(re.Err, openapi3filter.ErrInvalidRequired):
			addField(fields, nil, "is required")
		case strings.HasPrefix(re.Reason, "header Content-Type"):
			fields["Content-Type"] = "must be " + strings.Join(contentTypes(re.RequestBody), " or ")
		case re.Reason == "failed to decode request body":
			addField(fields, nil, "is not a valid "+strings.Join(contentTypes(re.RequestBody), " or ")+" document")
		default:
			addProblems(fields, nil, re.Err)
		}
	}
}

// addProblems records the schema errors in err under their paths, prefixed
// by at (a parameter's name, or nothing for the body).
func addProblems(fields map[string]string, at []string, err error) {
	if multi, ok := err.(openapi3.MultiError); ok {
		for _, e := range multi {
			addProblems(fields, at, e)
		}
		return
	}
	se, ok := err.(*openapi3.SchemaError)
	if !ok {
		switch {
		case errors.Is(err, openapi3filter.ErrInvalidRequired):
			addField(fields, at, "is required")
		case errors.Is(err, openapi3filter.ErrInvalidEmptyValue):
			addField(fields, at, "must not be empty")
		default:
			addField(fields, at, "has the wrong type or format")
		}
		return
	}
	// A schema error grouping others (the 2020-12 validator's) is about
	// its causes.
	var multi openapi3.MultiError
	if se.Origin != nil && errors.As(se.Origin, &multi) {
		addProblems(fields, at, multi)
		return
	}
	path := append(append([]string{}, at...), se.JSONPointer()...)
	var ve *jsonschema.ValidationError
	if errors.As(se, &ve) {
		addKindProblems(fields, path, ve.ErrorKind)
		return
	}
	addField(fields, path, "does not match the schema's "+se.SchemaField)
}

// addKindProblems words one failed JSON Schema keyword for the client.
func addKindProblems(fields map[string]string, path []string, k jsonschema.ErrorKind) {
	switch k := k.(type) {
	case *kind.Required:
		for _, name := range k.Missing {
			addField(fields, append(path, name), "is required")
		}
	case *kind.AdditionalProperties:
		for _, name := range k.Properties {
			addField(fields, append(path, name), "is not a member of this object")
		}
	case *kind.Type:
		addField(fields, path, "must be of type "+strings.Join(k.Want, " or "))
	case *kind.Enum:
		addField(fields, path, fmt.Sprintf("must be one of %v", k.Want))
	case *kind.Const:
		addField(fields, path, fmt.Sprintf("must be %v", k.Want))
	case *kind.MinLength:
		addField(fields, path, fmt.Sprintf("must be at least %d character(s) long", k.Want))
	case *kind.MaxLength:
		addField(fields, path, fmt.Sprintf("must be at most %d character(s) long", k.Want))
	case *kind.Pattern:
		addField(fields, path, "must match "+k.Want)
	case *kind.Format:
		addField(fields, path, "must be a valid "+k.Want)
	case *kind.Minimum:
		addField(fields, path, "must be at least "+k.Want.RatString())
	case *kind.Maximum:
		addField(fields, path, "must be at most "+k.Want.RatString())
	case *kind.MinProperties:
		addField(fields, path, fmt.Sprintf("must have at least %d member(s)", k.Want))
	case *kind.MaxItems:
		addField(fields, path, fmt.Sprintf("must have at most %d items", k.Want))
	default:
		addField(fields, path, "does not match the schema")
	}
}

// addField records a problem under its dotted path; the body itself is
// "body". The first problem found for a field is kept.
func addField(fields map[string]string, path []string, problem string) {
	field := strings.Join(path, ".")
	if field == "" {
		field = "body"
	}
	if _, seen := fields[field]; !seen {
		fields[field] = problem
	}
}

func contentTypes(rb *openapi3.RequestBody) []string {
	out := make([]string, 0, len(rb.Content))
	for ct := range rb.Content {
		out = append(out, ct)
	}
	sort.Strings(out)
	return out
}
