package httpapi

import (
	"net/http"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/gofiber/fiber/v2"
)

// operation is one operation of the spec, as the middleware in front of the
// generated handlers needs it: authentication asks its access rule,
// validation its parameters and body, metrics its path.
type operation struct {
	id       string
	method   string
	path     string // the OpenAPI template, such as /v1/tenants/{tenant_id}
	route    string // path as Fiber names it, /v1/tenants/:tenant_id: the metrics label
	segments []string
	literals int
	item     *openapi3.PathItem
	op       *openapi3.Operation
}

// operations finds the spec operation a request is for. The generated
// routes are the same paths, so a request Fiber routes and one found here
// agree; TestRoutesMatchSpec keeps it so.
type operations struct {
	list []*operation
}

func newOperations(doc *openapi3.T) *operations {
	x := &operations{}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			o := &operation{id: operationName(op.OperationID), method: method, path: path, item: item, op: op,
				route: fiberPath(path), segments: splitPath(path)}
			for _, s := range o.segments {
				if !isParam(s) {
					o.literals++
				}
			}
			x.list = append(x.list, o)
		}
	}
	// Literal segments win over parameters, as in Fiber's router.
	sort.Slice(x.list, func(i, j int) bool {
		if x.list[i].literals != x.list[j].literals {
			return x.list[i].literals > x.list[j].literals
		}
		return x.list[i].path < x.list[j].path
	})
	return x
}

// operationName returns an operation's id as openapi.yaml spells it. The
// generated code, and the spec it embeds, capitalise ids into Go method
// names; the authorization table keeps the spelling integrators see.
func operationName(id string) string {
	if id == "" {
		return id
	}
	r, size := utf8.DecodeRuneInString(id)
	return string(unicode.ToLower(r)) + id[size:]
}

func splitPath(p string) []string {
	p = strings.Trim(p, "/")
	if p == "" {
		return nil
	}
	return strings.Split(p, "/")
}

func isParam(segment string) bool {
	return strings.HasPrefix(segment, "{") && strings.HasSuffix(segment, "}")
}

// match returns the operation for method and path with its path
// parameters, or nil.
func (x *operations) match(method, path string) (*operation, map[string]string) {
	segs := splitPath(path)
	for _, o := range x.list {
		if o.method != method || len(o.segments) != len(segs) {
			continue
		}
		if params, ok := o.bind(segs); ok {
			return o, params
		}
	}
	return nil, nil
}

func (o *operation) bind(segs []string) (map[string]string, bool) {
	params := map[string]string{}
	for i, s := range o.segments {
		switch {
		case isParam(s):
			if segs[i] == "" {
				return nil, false
			}
			params[s[1:len(s)-1]] = segs[i]
		case s != segs[i]:
			return nil, false
		}
	}
	return params, true
}

type (
	operationKey  struct{}
	pathParamsKey struct{}
)

// resolveOperation finds the request's operation for the middleware after
// it. Requests matching none go on unmarked; Fiber answers 404 or 405.
func resolveOperation(x *operations) fiber.Handler {
	return func(c *fiber.Ctx) error {
		method := c.Method()
		if method == http.MethodHead {
			method = http.MethodGet
		}
		if o, params := x.match(method, c.Path()); o != nil {
			c.Locals(operationKey{}, o)
			c.Locals(pathParamsKey{}, params)
		}
		return c.Next()
	}
}

// operationOf returns the operation resolveOperation found, if any.
func operationOf(c *fiber.Ctx) (*operation, bool) {
	o, ok := c.Locals(operationKey{}).(*operation)
	return o, ok
}
