package outbound

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
	"time"
)

// Standard Webhooks header names.
const (
	HeaderID        = "webhook-id"
	HeaderTimestamp = "webhook-timestamp"
	HeaderSignature = "webhook-signature"
)

// secretPrefix marks a Standard Webhooks secret; what follows is the base64
// of the HMAC key.
const secretPrefix = "whsec_"

// secretBytes is the HMAC key length: the spec asks for 24 to 64 bytes.
const secretBytes = 32

// newSecret returns a fresh endpoint secret in the whsec_ form receivers'
// libraries accept as is.
func newSecret() string {
	key := make([]byte, secretBytes)
	_, _ = rand.Read(key) // crypto/rand.Read never fails on supported platforms
	return secretPrefix + base64.StdEncoding.EncodeToString(key)
}

var errSecretFormat = errors.New("outbound: secret is not whsec_<base64>")

// secretKey returns the HMAC key inside a whsec_ secret.
func secretKey(secret string) ([]byte, error) {
	b64, ok := strings.CutPrefix(secret, secretPrefix)
	if !ok {
		return nil, errSecretFormat
	}
	key, err := base64.StdEncoding.DecodeString(b64)
	if err != nil || len(key) == 0 {
		return nil, errSecretFormat
	}
	return key, nil
}

// Sign returns the webhook-signature value for one message: a v1 HMAC-SHA256
// over "id.timestamp.body" per key, space separated. Several keys sign
// during a secret rotation, so a receiver holding either secret verifies.
func Sign(msgID string, ts time.Time, body []byte, keys ...[]byte) string {
	unix := strconv.FormatInt(ts.Unix(), 10)
	var b strings.Builder
	for i, key := range keys {
		mac := hmac.New(sha256.New, key)
		mac.Write([]byte(msgID))
		mac.Write([]byte{'.'})
		mac.Write([]byte(unix))
		mac.Write([]byte{'.'})
		mac.Write(body)
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString("v1,")
		b.WriteString(base64.StdEncoding.EncodeToString(mac.Sum(nil)))
	}
	return b.String()
}
