package httpapi

import (
	"context"
	"encoding/base64"
	"net/url"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/wabsp/wabsp/internal/apperr"
	"github.com/wabsp/wabsp/internal/auth"
)

// authenticate bounds the request's context by timeout and, unless the
// operation is public, requires a valid bearer token and puts its principal
// in the user context, where the generated handlers pass it on. Public
// operations get the HTTP Basic credentials instead, if any were sent, for
// the token endpoint.
func authenticate(v *auth.Verifier, timeout time.Duration) fiber.Handler {
	return func(c *fiber.Ctx) error {
		ctx, cancel := context.WithTimeout(c.UserContext(), timeout)
		defer cancel()
		c.SetUserContext(ctx)

		if o, ok := operationOf(c); ok && accessRules[o.id].access == public {
			if creds, sent := basicCredentials(c.Get(fiber.HeaderAuthorization)); sent {
				c.SetUserContext(context.WithValue(ctx, basicKey{}, creds))
			}
			return c.Next()
		}
		token, ok := bearerToken(c.Get(fiber.HeaderAuthorization))
		if !ok {
			c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="wabsp"`)
			return apperr.New(apperr.Unauthenticated, "a bearer token is required")
		}
		p, err := v.Verify(ctx, token)
		if err != nil {
			if apperr.Is(err, apperr.Unauthenticated) {
				c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="wabsp", error="invalid_token"`)
			}
			return err
		}
		c.SetUserContext(auth.WithPrincipal(ctx, p))
		return c.Next()
	}
}

func bearerToken(header string) (string, bool) {
	scheme, token, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != ""
}

type basicKey struct{}

// basicCreds are client credentials sent with HTTP Basic. RFC 6749 §2.3.1
// has clients form-encode both parts before joining them, so they are
// decoded here; malformed is set when the header could not be read at all.
type basicCreds struct {
	id, secret string
	malformed  bool
}

// basicCredentials parses an Authorization header; sent is false when it is
// not a Basic one.
func basicCredentials(header string) (creds basicCreds, sent bool) {
	scheme, payload, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Basic") {
		return basicCreds{}, false
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(payload))
	if err != nil {
		return basicCreds{malformed: true}, true
	}
	id, secret, ok := strings.Cut(string(raw), ":")
	if !ok {
		return basicCreds{malformed: true}, true
	}
	if id, err = url.QueryUnescape(id); err != nil {
		return basicCreds{malformed: true}, true
	}
	if secret, err = url.QueryUnescape(secret); err != nil {
		return basicCreds{malformed: true}, true
	}
	return basicCreds{id: id, secret: secret}, true
}

// basicFrom returns the Basic credentials authenticate stored, if any.
func basicFrom(ctx context.Context) (basicCreds, bool) {
	c, ok := ctx.Value(basicKey{}).(basicCreds)
	return c, ok
}
