package metasim

import (
	"fmt"
	"net/http"
	"regexp"
)

// Onboarding operations, for FailNext.
const (
	OpExchangeCode = "oauth/access_token"
	OpSubscribeApp = "subscribed_apps"
	OpRegister     = "register"
	OpPhoneNumbers = "phone_numbers"
	OpTemplates    = "message_templates"
)

// onboardingState is what Embedded Signup leaves behind at Meta: codes that
// trade for a business token once, each number's two-step PIN, and faults
// tests inject.
type onboardingState struct {
	appSecret  string
	codes      map[string]*signupCode
	pins       map[string]string
	registered map[string]int
	faults     map[string]*fault
}

type signupCode struct {
	token string
	used  bool
}

type fault struct {
	// times left; negative means every call fails.
	times int
	code  int
}

// onb returns the onboarding state, creating it on first use; runs with
// g.mu held.
func (g *Graph) onb() *onboardingState {
	if g.onboarding == nil {
		g.onboarding = &onboardingState{
			codes: map[string]*signupCode{}, pins: map[string]string{},
			registered: map[string]int{}, faults: map[string]*fault{},
		}
	}
	return g.onboarding
}

// SetAppSecret sets the secret the app's code exchange must present (with
// the app id of WithApp as client_id).
func (g *Graph) SetAppSecret(secret string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.onb().appSecret = secret
}

// AddSignupCode makes code, as Embedded Signup returns it to the partner's
// page, exchangeable once for token (a WABA's AccessToken).
func (g *Graph) AddSignupCode(code, token string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.onb().codes[code] = &signupCode{token: token}
}

// SetPIN gives the phone number a two-step verification PIN, as a number
// that was registered before has.
func (g *Graph) SetPIN(phoneNumberID, pin string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.onb().pins[phoneNumberID] = pin
}

// Registration reports a number's PIN and how many register calls succeeded.
func (g *Graph) Registration(phoneNumberID string) (pin string, registrations int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	o := g.onb()
	return o.pins[phoneNumberID], o.registered[phoneNumberID]
}

// Subscription returns the WABA's app subscription, nil when unsubscribed.
func (g *Graph) Subscription(wabaID string) *Subscription {
	g.mu.Lock()
	defer g.mu.Unlock()
	ws, ok := g.wabas[wabaID]
	if !ok || ws.sub == nil {
		return nil
	}
	s := *ws.sub
	return &s
}

// FailNext makes the next times calls of op (an Op* constant) fail with the
// Graph error code (2 transient, 80008 and 130429 throttling, 133016 register
// rate limit, 100 bad parameter, 190 bad token, 133005 PIN mismatch); a
// negative times fails every call until FailNext(op, 0, 0).
func (g *Graph) FailNext(op string, times, code int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if times == 0 {
		delete(g.onb().faults, op)
		return
	}
	g.onb().faults[op] = &fault{times: times, code: code}
}

// injected answers a call with an injected fault; runs with g.mu held.
func (g *Graph) injected(req graphRequest) (graphResult, bool) {
	if g.onboarding == nil {
		return graphResult{}, false
	}
	op := req.edge
	if req.object == "oauth" {
		op = OpExchangeCode
	}
	f, ok := g.onboarding.faults[op]
	if !ok || (req.method == http.MethodGet && op == OpSubscribeApp) {
		return graphResult{}, false
	}
	if f.times > 0 {
		f.times--
		if f.times == 0 {
			delete(g.onboarding.faults, op)
		}
	}
	return g.fail(errCode(f.code)), true
}

// errCode is the error body Meta sends for code.
func errCode(code int) *graphError {
	switch code {
	case 80008:
		return errThrottled()
	case 2:
		return &graphError{status: http.StatusServiceUnavailable, Type: "OAuthException", Code: 2, IsTransient: true,
			Message: "An unexpected error has occurred. Please retry your request later."}
	case 130429:
		return &graphError{status: http.StatusBadRequest, Type: "OAuthException", Code: 130429,
			Message: "(#130429) Rate limit hit"}
	case 133016:
		return &graphError{status: http.StatusBadRequest, Type: "OAuthException", Code: 133016,
			Message: "(#133016) Account register deregister rate limit exceeded"}
	case 133005:
		return errPINMismatch()
	case 190:
		return errBadToken(false)
	case 100:
		return errParam("Invalid parameter")
	}
	return &graphError{status: http.StatusBadRequest, Type: "OAuthException", Code: code,
		Message: fmt.Sprintf("(#%d) injected error", code)}
}

func errPINMismatch() *graphError {
	return &graphError{status: http.StatusBadRequest, Type: "OAuthException", Code: 133005,
		Message: "(#133005) Two step verification PIN Mismatch"}
}

// exchangeCode answers GET /oauth/access_token; runs with g.mu held.
func (g *Graph) exchangeCode(req graphRequest) graphResult {
	if req.edge != "access_token" || req.method != http.MethodGet {
		return g.fail(errUnknownPath(req.r.URL.Path))
	}
	o := g.onb()
	p := req.params
	if p.Get("client_id") != g.app.ID || o.appSecret == "" || p.Get("client_secret") != o.appSecret {
		return g.fail(&graphError{status: http.StatusBadRequest, Type: "OAuthException", Code: 1,
			Message: "Error validating client secret."})
	}
	c, known := o.codes[p.Get("code")]
	switch {
	case p.Get("code") == "":
		return g.fail(errParam("Missing code parameter."))
	case !known:
		return g.fail(&graphError{status: http.StatusBadRequest, Type: "OAuthException", Code: 100, Subcode: 36007,
			Message: "Invalid verification code format."})
	case c.used:
		return g.fail(&graphError{status: http.StatusBadRequest, Type: "OAuthException", Code: 100, Subcode: 36009,
			Message: "This authorization code has been used."})
	}
	c.used = true
	return ok(map[string]any{"access_token": c.token, "token_type": "bearer"})
}

var sixDigits = regexp.MustCompile(`^[0-9]{6}$`)

// register answers POST /{phone_number_id}/register: a number without a
// PIN takes the one given, a number with one must be given the same.
func (g *Graph) register(req graphRequest, node any) graphResult {
	ps, isPhone := node.(*phoneState)
	if !isPhone || req.method != http.MethodPost {
		return g.fail(errUnknownPath("/" + req.edge))
	}
	if req.params.Get("messaging_product") != "whatsapp" {
		return g.fail(errParam("The parameter messaging_product is required."))
	}
	pin := req.params.Get("pin")
	if !sixDigits.MatchString(pin) {
		return g.fail(errParam("Param pin must be 6 digits."))
	}
	o := g.onb()
	if have, set := o.pins[ps.ID]; set && have != pin {
		return g.fail(errPINMismatch())
	}
	o.pins[ps.ID] = pin
	o.registered[ps.ID]++
	return ok(map[string]any{"success": true})
}
