package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strings"
)

// NewClientID returns a public client identifier (api_clients.client_id):
// a role prefix, so a leaked id is recognisable in logs and secret scanners,
// and 20 random base32 characters (100 bits).
func NewClientID(r Role) string {
	prefix := "cli_"
	switch r {
	case RoleAdmin:
		prefix = "adm_"
	case RolePartner:
		prefix = "prt_"
	case RoleTenant:
		prefix = "tnt_"
	}
	return prefix + strings.ToLower(rand.Text()[:20])
}

// secretPrefix marks wabsp client secrets so secret scanners can find them.
const secretPrefix = "wsk_"

// NewSecret returns a new client secret: 32 random bytes, base64url encoded
// with the "wsk_" prefix. It is shown to the client once and stored only as
// HashSecret's output.
func NewSecret() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("auth: new secret: %w", err)
	}
	return secretPrefix + base64.RawURLEncoding.EncodeToString(b), nil
}

const hashVersion = "v1"

// HashSecret returns "v1$salt$hash" with hash = SHA-256(salt || secret).
//
// A slow password hash (bcrypt, argon2) exists to make guessing low-entropy
// human passwords expensive. Our secrets are 256 random bits, which no amount
// of hashing speed makes guessable, so a salted SHA-256 is as strong here and
// keeps the token endpoint fast and cheap to hammer.
func HashSecret(secret string) string {
	salt := make([]byte, 16)
	// Since Go 1.24 crypto/rand crashes the program instead of returning an
	// error, so there is no zero-salt path to guard against.
	_, _ = rand.Read(salt)
	return hashVersion + "$" + b64(salt) + "$" + b64(digest(salt, secret))
}

// CheckSecret reports whether secret matches a HashSecret output, comparing
// in constant time. A malformed hash never matches.
func CheckSecret(hash, secret string) bool {
	parts := strings.Split(hash, "$")
	if len(parts) != 3 || parts[0] != hashVersion {
		return false
	}
	salt, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil || len(salt) == 0 {
		return false
	}
	want, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return false
	}
	return subtle.ConstantTimeCompare(digest(salt, secret), want) == 1
}

func digest(salt []byte, secret string) []byte {
	h := sha256.New()
	h.Write(salt)
	h.Write([]byte(secret))
	return h.Sum(nil)
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }
