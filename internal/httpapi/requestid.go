package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"regexp"
	"strings"
	"sync/atomic"

	"github.com/gofiber/fiber/v2"
)

const headerRequestID = "X-Request-Id"

// saneRequestID is what an incoming X-Request-Id must look like to be kept:
// short and free of anything that could forge log lines or headers.
var saneRequestID = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

type requestIDKey struct{}

// requestID gives every request an id, the caller's own when it sent a sane
// one, echoes it in X-Request-Id and puts it in the user context, where the
// handlers pick it up for the audit log.
func requestID() fiber.Handler {
	return func(c *fiber.Ctx) error {
		id := c.Get(headerRequestID)
		if id == "" || !saneRequestID.MatchString(id) {
			id = newRequestID()
		} else {
			// c.Get points into the request buffer; the id lives on in the
			// context, in audit rows and in work queued by the request.
			id = strings.Clone(id)
		}
		c.Set(headerRequestID, id)
		c.Locals(requestIDKey{}, id)
		c.SetUserContext(context.WithValue(c.UserContext(), requestIDKey{}, id))
		return c.Next()
	}
}

// requestIDOf returns the request's id. Requests that failed before the
// middleware ran (an oversized body) get one here, so no problem goes out
// without an id.
func requestIDOf(c *fiber.Ctx) string {
	if id, ok := c.Locals(requestIDKey{}).(string); ok {
		return id
	}
	id := newRequestID()
	c.Locals(requestIDKey{}, id)
	c.Set(headerRequestID, id)
	return id
}

// requestIDFrom returns the request id stored in a handler's context.
func requestIDFrom(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// Request ids must be unique, not unpredictable: a random prefix per process
// and a counter give that without reading the system's randomness (a
// syscall) on every request, which Meta's webhook traffic makes frequent.
var (
	requestIDPrefix = func() string {
		var b [8]byte
		_, _ = rand.Read(b[:])
		return hex.EncodeToString(b[:])
	}()
	requestIDSeq atomic.Uint64
)

func newRequestID() string {
	var buf [requestIDLen]byte
	return string(appendRequestID(buf[:0]))
}

const requestIDLen = 32 // hex of the 8-byte prefix and the 8-byte counter

func appendRequestID(dst []byte) []byte {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], requestIDSeq.Add(1))
	return hex.AppendEncode(append(dst, requestIDPrefix...), b[:])
}

// stampRequestID gives an answer a fresh X-Request-Id without keeping it
// in the request's locals: the Meta webhook's 200s are most of the traffic
// and nothing else reads their id, so it skips the string and the locals.
// An error answer still gets its id from requestIDOf.
func stampRequestID(c *fiber.Ctx) {
	var buf [requestIDLen]byte
	c.Response().Header.SetBytesV(headerRequestID, appendRequestID(buf[:0]))
}
