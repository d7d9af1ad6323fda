package graph

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
)

// ExchangeCode trades an Embedded Signup code for the business integration
// system user token (GET /oauth/access_token). The code is single use: a
// second exchange is refused by Meta with code 100.
func (c *Client) ExchangeCode(ctx context.Context, appID, appSecret, code string) (string, error) {
	var res struct {
		AccessToken string `json:"access_token"`
		TokenType   string `json:"token_type"`
	}
	q := url.Values{"client_id": {appID}, "client_secret": {appSecret}, "code": {code}}
	err := c.do(ctx, request{method: http.MethodGet, key: "oauth:" + appID, path: []string{"oauth", "access_token"}, query: q}, &res)
	if err != nil {
		return "", err
	}
	if res.AccessToken == "" {
		return "", errors.New("graph: code exchange answered without an access_token")
	}
	return res.AccessToken, nil
}

// SubscribeApp subscribes the token's app to the WABA's webhooks. With a
// non-empty overrideURI Meta sends this WABA's webhooks there instead of to
// the app's callback, after checking the URI with verifyToken; with an
// empty one any earlier override is removed.
func (c *Client) SubscribeApp(ctx context.Context, token, wabaID, overrideURI, verifyToken string) error {
	q := url.Values{}
	if overrideURI != "" {
		q.Set("override_callback_uri", overrideURI)
		q.Set("verify_token", verifyToken)
	}
	return c.post(ctx, request{method: http.MethodPost, key: wabaID, path: []string{wabaID, "subscribed_apps"}, query: q, token: token})
}

// Register registers a phone number for Cloud API use with its two-step
// verification PIN (POST /{phone_number_id}/register). A number without a
// PIN gets this one; a number with another PIN is refused with 133005.
// wabaID is the budget the call is charged to.
func (c *Client) Register(ctx context.Context, token, wabaID, phoneNumberID, pin string) error {
	q := url.Values{"messaging_product": {"whatsapp"}, "pin": {pin}}
	return c.post(ctx, request{method: http.MethodPost, key: wabaID, path: []string{phoneNumberID, "register"}, query: q, token: token})
}

// post makes a call Meta answers with {"success": true}.
func (c *Client) post(ctx context.Context, r request) error {
	var res struct {
		Success bool `json:"success"`
	}
	if err := c.do(ctx, r, &res); err != nil {
		return err
	}
	if !res.Success {
		return fmt.Errorf("graph: %s %s did not succeed", r.method, r.path[len(r.path)-1])
	}
	return nil
}

// MetaError returns the Graph error in err's chain, Meta's refusal behind a
// rate limit included.
func MetaError(err error) (*Error, bool) {
	var e *Error
	if errors.As(err, &e) {
		return e, true
	}
	return nil, false
}
