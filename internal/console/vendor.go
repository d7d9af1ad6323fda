package console

import (
	"embed"
	"path"

	"github.com/gofiber/fiber/v2"
)

// The vendored libraries carry their version in the file name, so a file
// under one URL never changes and browsers may keep it for a year.
//
//go:embed static/vendor/*.js static/vendor/*.css
var vendorFS embed.FS

var vendorTypes = map[string]string{
	".js":  "text/javascript; charset=utf-8",
	".css": "text/css; charset=utf-8",
}

// serveVendor answers /console/static/vendor/:file from the embedded files
// and 404s anything else, including paths that try to climb out.
func serveVendor(c *fiber.Ctx) error {
	name := path.Base(c.Params("file"))
	typ, ok := vendorTypes[path.Ext(name)]
	if !ok {
		return fiber.ErrNotFound
	}
	body, err := vendorFS.ReadFile("static/vendor/" + name)
	if err != nil {
		return fiber.ErrNotFound
	}
	c.Set("Cache-Control", "public, max-age=31536000, immutable")
	c.Set("X-Content-Type-Options", "nosniff")
	c.Set(fiber.HeaderContentType, typ)
	return c.Send(body)
}

//go:embed static/charts.js
var chartScript []byte

// serveCharts answers the script that draws the charts from the pages'
// data islands. It changes with the binary, so browsers revalidate it.
func serveCharts(c *fiber.Ctx) error {
	c.Set("Cache-Control", "no-cache")
	c.Set("X-Content-Type-Options", "nosniff")
	c.Set(fiber.HeaderContentType, "text/javascript; charset=utf-8")
	return c.Send(chartScript)
}
