package httpapi

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/wabsp/wabsp/internal/apperr"
	"github.com/wabsp/wabsp/openapi"
)

const tokenPath = "/v1/oauth/token"

// isOAuthRequest reports whether c is a request to the token endpoint, whose
// errors follow RFC 6749 rather than RFC 9457.
func isOAuthRequest(c *fiber.Ctx) bool {
	return strings.TrimRight(c.Path(), "/") == tokenPath
}

func oauthError(code openapi.OAuthErrorError, format string, args ...any) openapi.CreateToken400JSONResponse {
	desc := fmt.Sprintf(format, args...)
	return openapi.CreateToken400JSONResponse{Error: code, ErrorDescription: &desc}
}

// CreateToken implements openapi.StrictServerInterface: the OAuth 2.0 client
// credentials grant. It validates its own input (see selfValidating) so that
// every failure is an RFC 6749 error.
func (s *Server) CreateToken(ctx context.Context, r openapi.CreateTokenRequestObject) (openapi.CreateTokenResponseObject, error) {
	body := r.FormdataBody
	if body == nil {
		body = r.JSONBody
	}
	if body == nil {
		return oauthError(openapi.InvalidRequest,
			"send grant_type=client_credentials as application/x-www-form-urlencoded or application/json"), nil
	}
	if body.GrantType != "client_credentials" {
		return oauthError(openapi.UnsupportedGrantType, "only the client_credentials grant is supported"), nil
	}
	clientID, secret, usedBasic, resp := clientCredentials(ctx, body)
	if resp != nil {
		return resp, nil
	}
	p, err := s.tenants.Authenticate(ctx, clientID, secret)
	switch {
	case apperr.Is(err, apperr.Unauthenticated):
		out := openapi.CreateToken401JSONResponse{Body: openapi.OAuthError{Error: openapi.InvalidClient}}
		out.Body.ErrorDescription = optString("invalid client credentials")
		if usedBasic {
			out.Headers.WWWAuthenticate = optString(`Basic realm="wabsp"`)
		}
		return out, nil
	case apperr.Is(err, apperr.TenantSuspended):
		return oauthError(openapi.UnauthorizedClient, "the client's tenant is suspended"), nil
	case err != nil:
		return nil, err
	}
	if requested := strings.Fields(deref(body.Scope)); len(requested) > 0 {
		for _, sc := range requested {
			if !p.HasScope(sc) {
				return oauthError(openapi.InvalidScope, "the client does not hold scope %s", sc), nil
			}
		}
		slices.Sort(requested)
		p.Scopes = slices.Compact(requested)
	}
	now := s.now()
	token, expires, err := s.issuer.Issue(p, now)
	if err != nil {
		return nil, err
	}
	out := openapi.CreateToken200JSONResponse{Body: openapi.TokenResponse{
		AccessToken: token,
		TokenType:   "Bearer",
		ExpiresIn:   int(expires.Sub(now).Seconds()),
		Scope:       strings.Join(p.Scopes, " "),
	}}
	out.Headers.CacheControl = optString("no-store")
	return out, nil
}

// clientCredentials takes the client's id and secret from HTTP Basic or the
// body. RFC 6749 §2.3 forbids using both at once. resp is set when the
// request must be refused.
func clientCredentials(ctx context.Context, body *openapi.TokenRequest) (id, secret string, usedBasic bool, resp openapi.CreateTokenResponseObject) {
	inBody := body.ClientId != nil || body.ClientSecret != nil
	basic, sent := basicFrom(ctx)
	switch {
	case sent && inBody:
		return "", "", true, oauthError(openapi.InvalidRequest, "send the client credentials either with HTTP Basic or in the body, not both")
	case sent && basic.malformed:
		return "", "", true, openapi.CreateToken401JSONResponse{
			Body:    openapi.OAuthError{Error: openapi.InvalidClient, ErrorDescription: optString("malformed HTTP Basic credentials")},
			Headers: openapi.CreateToken401ResponseHeaders{WWWAuthenticate: optString(`Basic realm="wabsp"`)},
		}
	case sent:
		return basic.id, basic.secret, true, nil
	case body.ClientId == nil || body.ClientSecret == nil:
		return "", "", false, oauthError(openapi.InvalidRequest, "client_id and client_secret are required")
	}
	return *body.ClientId, *body.ClientSecret, false, nil
}
