package httpapi

import (
	"embed"
	"encoding/json"
	"fmt"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/gofiber/fiber/v2"
)

// docsFS is the API docs page; docs/README.md says where its files come from.
//
//go:embed docs/index.html docs/init.js docs/swagger-ui-bundle.js docs/swagger-ui.css
var docsFS embed.FS

// docsCSP lets the page load only its own files; Swagger UI sets inline
// styles, and renders the spec's images from data: URLs.
const docsCSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'"

// docsAssets maps the page's asset names to their content types.
var docsAssets = map[string]string{
	"init.js":              "text/javascript; charset=utf-8",
	"swagger-ui-bundle.js": "text/javascript; charset=utf-8",
	"swagger-ui.css":       "text/css; charset=utf-8",
}

// mountDocs serves the spec as JSON at /openapi.json and the docs page that
// renders it at /docs.
func mountDocs(app *fiber.App, doc *openapi3.T) error {
	spec, err := json.Marshal(doc)
	if err != nil {
		return fmt.Errorf("httpapi: encode spec: %w", err)
	}
	index, err := docsFS.ReadFile("docs/index.html")
	if err != nil {
		return fmt.Errorf("httpapi: docs page: %w", err)
	}
	app.Get("/openapi.json", func(c *fiber.Ctx) error {
		c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSONCharsetUTF8)
		c.Set(fiber.HeaderCacheControl, "no-cache")
		return c.Send(spec)
	})
	app.Get("/docs", func(c *fiber.Ctx) error {
		c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
		c.Set(fiber.HeaderContentSecurityPolicy, docsCSP)
		return c.Send(index)
	})
	app.Get("/docs/:asset", func(c *fiber.Ctx) error {
		name := c.Params("asset")
		ctype, ok := docsAssets[name]
		if !ok {
			return fiber.ErrNotFound
		}
		body, err := docsFS.ReadFile("docs/" + name)
		if err != nil {
			return err
		}
		c.Set(fiber.HeaderContentType, ctype)
		c.Set(fiber.HeaderCacheControl, "public, max-age=3600")
		return c.Send(body)
	})
	return nil
}
