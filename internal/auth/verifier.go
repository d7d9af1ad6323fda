package auth

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"

	"github.com/wabsp/wabsp/internal/apperr"
)

// Leeway absorbs clock skew between the hosts that issue and verify tokens.
const Leeway = 30 * time.Second

// maxTokenLen bounds the work an unauthenticated caller can cause; our own
// tokens are well under 1 KiB.
const maxTokenLen = 8 << 10

// ClientChecker reports whether an API client may still use its tokens.
// Verify asks it after a token's signature checks out, so disabling a client
// takes effect before its tokens expire.
type ClientChecker interface {
	ClientActive(ctx context.Context, clientID uuid.UUID) (bool, error)
}

// Verifier checks access tokens and turns them into principals. It is safe
// for concurrent use.
type Verifier struct {
	keys    *Keyring
	clients ClientChecker
	cache   *clientCache
	parser  *jwt.Parser
	now     func() time.Time
}

// NewVerifier returns a Verifier accepting tokens signed by any key in k for
// issuer and audience. Answers from clients are cached per client for
// cacheTTL (no caching when it is zero or less), which bounds how long a
// disabled client's tokens keep working. clients must not be nil: skipping
// the check would let a disabled client work until its tokens expire.
func NewVerifier(k *Keyring, issuer, audience string, clients ClientChecker, cacheTTL time.Duration) *Verifier {
	if clients == nil {
		panic("auth: NewVerifier needs a ClientChecker")
	}
	v := &Verifier{
		keys:    k,
		clients: clients,
		cache:   newClientCache(cacheTTL, defaultCacheSize),
		now:     time.Now,
	}
	v.parser = jwt.NewParser(
		jwt.WithValidMethods([]string{jwt.SigningMethodEdDSA.Alg()}),
		jwt.WithIssuer(issuer),
		jwt.WithAudience(audience),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(Leeway),
		jwt.WithStrictDecoding(),
		jwt.WithTimeFunc(func() time.Time { return v.now() }),
	)
	return v
}

// Verify checks token and returns the principal it names. Every problem with
// the token is an apperr.Unauthenticated with a client-safe message; if the
// client's status cannot be checked the error is apperr.Unavailable, since
// accepting the token then could let a disabled client in.
func (v *Verifier) Verify(ctx context.Context, token string) (Principal, error) {
	if token == "" || len(token) > maxTokenLen {
		return Principal{}, apperr.New(apperr.Unauthenticated, "invalid token")
	}
	var c claims
	if _, err := v.parser.ParseWithClaims(token, &c, v.key); err != nil {
		return Principal{}, tokenError(err)
	}
	p, err := c.principal()
	if err != nil {
		return Principal{}, apperr.Wrap(err, apperr.Unauthenticated, "invalid token")
	}
	if err := v.checkClient(ctx, p.ClientID); err != nil {
		return Principal{}, err
	}
	return p, nil
}

// key picks the verification key by kid. The method check repeats
// WithValidMethods on purpose: handing an Ed25519 key to any other algorithm
// is how key-confusion attacks start.
func (v *Verifier) key(t *jwt.Token) (any, error) {
	if _, ok := t.Method.(*jwt.SigningMethodEd25519); !ok {
		return nil, fmt.Errorf("unexpected signing method %v", t.Header["alg"])
	}
	kid, _ := t.Header["kid"].(string)
	pub, ok := v.keys.publicKey(kid)
	if !ok {
		return nil, fmt.Errorf("unknown key id %q", kid)
	}
	return pub, nil
}

func (v *Verifier) checkClient(ctx context.Context, id uuid.UUID) error {
	now := v.now()
	active, ok := v.cache.get(id, now)
	if !ok {
		var err error
		active, err = v.clients.ClientActive(ctx, id)
		if err != nil {
			return apperr.Wrap(err, apperr.Unavailable, "cannot check the client's status, try again")
		}
		v.cache.put(id, active, now)
	}
	if !active {
		return apperr.New(apperr.Unauthenticated, "client disabled")
	}
	return nil
}

// tokenError keeps jwt's detail for logs and tells the client only what it
// can act on: an expired token needs a new one, a future one a clock fix.
func tokenError(err error) error {
	switch {
	case errors.Is(err, jwt.ErrTokenExpired):
		return apperr.Wrap(err, apperr.Unauthenticated, "token expired")
	case errors.Is(err, jwt.ErrTokenNotValidYet), errors.Is(err, jwt.ErrTokenUsedBeforeIssued):
		return apperr.Wrap(err, apperr.Unauthenticated, "token not yet valid")
	}
	return apperr.Wrap(err, apperr.Unauthenticated, "invalid token")
}

// principal rebuilds the Principal from verified claims. Unknown scopes are
// kept rather than rejected: during a rolling deploy a newer release may
// grant scopes this one does not know, and they grant nothing here.
func (c *claims) principal() (Principal, error) {
	p := Principal{Role: c.Role, ClientName: c.Name}
	if c.Scope != "" {
		p.Scopes = strings.Fields(c.Scope)
	}
	var err error
	if p.ClientID, err = uuid.Parse(c.Subject); err != nil {
		return Principal{}, fmt.Errorf("sub: %w", err)
	}
	if c.TID != "" {
		if p.TenantID, err = uuid.Parse(c.TID); err != nil {
			return Principal{}, fmt.Errorf("tid: %w", err)
		}
	}
	if c.PID != "" {
		if p.PartnerID, err = uuid.Parse(c.PID); err != nil {
			return Principal{}, fmt.Errorf("pid: %w", err)
		}
	}
	if err := p.validate(); err != nil {
		return Principal{}, err
	}
	return p, nil
}
