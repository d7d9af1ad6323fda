package auth

import (
	"fmt"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
)

// claims is the token payload. tid and pid are the tenant and partner a
// token is bound to; scope is space separated as in RFC 8693.
type claims struct {
	jwt.RegisteredClaims
	Role  Role   `json:"role"`
	Name  string `json:"name,omitempty"`
	TID   string `json:"tid,omitempty"`
	PID   string `json:"pid,omitempty"`
	Scope string `json:"scope,omitempty"`
}

// Issuer signs access tokens with a keyring's signing key.
type Issuer struct {
	keys     *Keyring
	issuer   string
	audience string
	ttl      time.Duration
}

// NewIssuer returns an Issuer whose tokens name issuer and audience and live
// for ttl.
func NewIssuer(k *Keyring, issuer, audience string, ttl time.Duration) *Issuer {
	return &Issuer{keys: k, issuer: issuer, audience: audience, ttl: ttl}
}

// Issue signs a token for p, valid from now for the issuer's TTL. expiresAt
// is the token's exp, which has whole-second precision.
func (i *Issuer) Issue(p Principal, now time.Time) (token string, expiresAt time.Time, err error) {
	if err := p.validate(); err != nil {
		return "", time.Time{}, fmt.Errorf("auth: issue token: %w", err)
	}
	now = now.Truncate(time.Second)
	expiresAt = now.Add(i.ttl)
	c := claims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    i.issuer,
			Subject:   p.ClientID.String(),
			Audience:  jwt.ClaimStrings{i.audience},
			ExpiresAt: jwt.NewNumericDate(expiresAt),
			NotBefore: jwt.NewNumericDate(now),
			IssuedAt:  jwt.NewNumericDate(now),
			ID:        uuid.NewString(),
		},
		Role:  p.Role,
		Name:  p.ClientName,
		Scope: strings.Join(p.Scopes, " "),
	}
	if p.TenantID != uuid.Nil {
		c.TID = p.TenantID.String()
	}
	if p.PartnerID != uuid.Nil {
		c.PID = p.PartnerID.String()
	}
	t := jwt.NewWithClaims(jwt.SigningMethodEdDSA, c)
	t.Header["kid"] = i.keys.signingID
	token, err = t.SignedString(i.keys.signing)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("auth: sign token: %w", err)
	}
	return token, expiresAt, nil
}
