package workers

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/wabsp/wabsp/webhooks"
)

// The intake payload is a compact binary framing of bodies rather than JSON:
// JSON would base64 every body (a third larger) and cost CPU on the hottest
// path of the system. Frame: receivedAt unix nanos (8 bytes), app id length
// (2 bytes) and bytes, body length (4 bytes) and bytes; all big endian.
const intakeVersion = 1

func encodeBodies(bodies []webhooks.Body) []byte {
	n := 1
	for _, b := range bodies {
		n += 8 + 2 + len(b.AppID) + 4 + len(b.Raw)
	}
	out := make([]byte, 0, n)
	out = append(out, intakeVersion)
	for _, b := range bodies {
		out = appendBody(out, b)
	}
	return out
}

// appendBody appends the frame of one body to an intake payload.
func appendBody(out []byte, b webhooks.Body) []byte {
	out = binary.BigEndian.AppendUint64(out, uint64(b.ReceivedAt.UnixNano()))
	out = binary.BigEndian.AppendUint16(out, uint16(len(b.AppID)))
	out = append(out, b.AppID...)
	out = binary.BigEndian.AppendUint32(out, uint32(len(b.Raw)))
	return append(out, b.Raw...)
}

var errTruncated = errors.New("intake payload truncated")

func decodeBodies(p []byte) ([]webhooks.Body, error) {
	if len(p) == 0 || p[0] != intakeVersion {
		return nil, fmt.Errorf("intake payload: unknown version")
	}
	p = p[1:]
	var out []webhooks.Body
	for len(p) > 0 {
		if len(p) < 10 {
			return nil, errTruncated
		}
		at := int64(binary.BigEndian.Uint64(p))
		idLen := int(binary.BigEndian.Uint16(p[8:]))
		p = p[10:]
		if len(p) < idLen+4 {
			return nil, errTruncated
		}
		appID := string(p[:idLen])
		bodyLen := int(binary.BigEndian.Uint32(p[idLen:]))
		p = p[idLen+4:]
		if len(p) < bodyLen {
			return nil, errTruncated
		}
		out = append(out, webhooks.Body{Raw: p[:bodyLen:bodyLen], ReceivedAt: time.Unix(0, at).UTC(), AppID: appID})
		p = p[bodyLen:]
	}
	return out, nil
}

func applyTaskID(p ApplyPayload) string {
	h := sha256.New()
	h.Write(p.TenantID[:])
	var buf [12]byte
	for _, c := range p.Changes {
		binary.BigEndian.PutUint64(buf[:8], uint64(c.ArchiveID))
		binary.BigEndian.PutUint32(buf[8:], uint32(c.Index))
		h.Write(buf[:])
	}
	return "apply:" + hex.EncodeToString(h.Sum(nil)[:16])
}

// DecodeIntakeBodies returns the bodies an intake task carries, for tools
// and tests that inspect the queue.
func DecodeIntakeBodies(payload []byte) ([]webhooks.Body, error) { return decodeBodies(payload) }
