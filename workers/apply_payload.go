package workers

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/wabsp/wabsp/webhooks"
)

// An apply payload is one or more segments, each a self-contained binary
// frame of one tenant's changes. Merging tasks is then a concatenation, and
// neither queueing nor running a task re-validates the JSON values: with
// JSON, every value was scanned twice more on its way to the handlers.
//
// Segment: version (1 byte), tenant id (16), change count (4); per change:
// archive id (8), index (4), entry time (8), received at in unix nanos (8),
// field, entry id, WABA id and phone number id (2-byte length and bytes
// each), value (4-byte length and bytes). Big endian throughout.
const applyVersion = 2

func encodeApply(p ApplyPayload) []byte {
	n := 1 + 16 + 4
	for _, c := range p.Changes {
		n += 28 + 8 + len(c.Field) + len(c.EntryID) + len(c.WABAID) + len(c.PhoneNumberID) + 4 + len(c.Value)
	}
	out := make([]byte, 0, n)
	out = append(out, applyVersion)
	out = append(out, p.TenantID[:]...)
	out = binary.BigEndian.AppendUint32(out, uint32(len(p.Changes)))
	for _, c := range p.Changes {
		out = binary.BigEndian.AppendUint64(out, uint64(c.ArchiveID))
		out = binary.BigEndian.AppendUint32(out, uint32(c.Index))
		out = binary.BigEndian.AppendUint64(out, uint64(c.EntryTime))
		out = binary.BigEndian.AppendUint64(out, uint64(c.ReceivedAt.UnixNano()))
		for _, s := range []string{c.Field, c.EntryID, c.WABAID, c.PhoneNumberID} {
			out = binary.BigEndian.AppendUint16(out, uint16(len(s)))
			out = append(out, s...)
		}
		out = binary.BigEndian.AppendUint32(out, uint32(len(c.Value)))
		out = append(out, c.Value...)
	}
	return out
}

// decodeApply reads an apply payload, single or merged, whole. A merged one
// holds one tenant's segments only, since tasks are grouped by tenant.
// Payloads queued as JSON by an earlier release still decode.
func decodeApply(payload []byte) (ApplyPayload, error) {
	if isJSONApply(payload) {
		return decodeApplyJSON(payload)
	}
	var out ApplyPayload
	tenant, err := walkApply(payload, func(r *frameReader) error {
		out.Changes = append(out.Changes, r.change())
		return nil
	})
	out.TenantID = tenant
	return out, err
}

func isJSONApply(payload []byte) bool {
	return len(payload) > 0 && (payload[0] == '{' || payload[0] == '[')
}

// walkApply reads a binary payload's segments and calls visit once per
// change with the reader positioned at it; visit must consume the change.
// It returns the payload's tenant, or the first damage or visit error.
func walkApply(payload []byte, visit func(*frameReader) error) (uuid.UUID, error) {
	var tenant uuid.UUID
	r := frameReader{p: payload}
	for len(r.p) > 0 {
		if r.byte() != applyVersion {
			return uuid.Nil, errors.New("apply payload: unknown version")
		}
		var t uuid.UUID
		copy(t[:], r.bytes(16))
		if r.err == nil && tenant != uuid.Nil && t != tenant {
			return uuid.Nil, fmt.Errorf("merged apply payload mixes tenants %s and %s", tenant, t)
		}
		tenant = t
		for n := r.uint32(); n > 0 && r.err == nil; n-- {
			if err := visit(&r); err != nil {
				return uuid.Nil, err
			}
		}
		if r.err != nil {
			return uuid.Nil, r.err
		}
	}
	if tenant == uuid.Nil {
		return uuid.Nil, errors.New("apply payload: empty")
	}
	return tenant, nil
}

func (r *frameReader) change() webhooks.Change {
	c := webhooks.Change{ArchiveID: int64(r.uint64()), Index: int(r.uint32()), EntryTime: int64(r.uint64())}
	c.ReceivedAt = time.Unix(0, int64(r.uint64())).UTC()
	c.Field, c.EntryID, c.WABAID, c.PhoneNumberID = r.string16(0), r.string16(1), r.string16(2), r.string16(3)
	c.Value = json.RawMessage(r.bytes(int(r.uint32())))
	return c
}

// frameReader reads big-endian frames; the first short read sticks as err
// and every later read returns zero values.
type frameReader struct {
	p    []byte
	err  error
	last [4]string
}

func (r *frameReader) bytes(n int) []byte {
	if r.err != nil || n > len(r.p) {
		r.err, r.p = errTruncatedApply, nil
		return nil
	}
	b := r.p[:n:n]
	r.p = r.p[n:]
	return b
}

var errTruncatedApply = errors.New("apply payload truncated")

func (r *frameReader) byte() byte {
	if b := r.bytes(1); b != nil {
		return b[0]
	}
	return 0
}

func (r *frameReader) uint32() uint32 {
	if b := r.bytes(4); b != nil {
		return binary.BigEndian.Uint32(b)
	}
	return 0
}

func (r *frameReader) uint64() uint64 {
	if b := r.bytes(8); b != nil {
		return binary.BigEndian.Uint64(b)
	}
	return 0
}

// string16 reads a length-prefixed string. Consecutive changes of a tenant
// mostly share their field and ids, so slot keeps the last one read at that
// position and a repeat reuses it instead of allocating a copy.
func (r *frameReader) string16(slot int) string {
	b := r.bytes(2)
	if b == nil {
		return ""
	}
	s := r.bytes(int(binary.BigEndian.Uint16(b)))
	if string(s) == r.last[slot] {
		return r.last[slot]
	}
	r.last[slot] = string(s)
	return r.last[slot]
}

// skipChange consumes a change without decoding it, to check a payload
// whole before any of it is applied.
func (r *frameReader) skipChange() error {
	r.bytes(28)
	for range 4 {
		if b := r.bytes(2); b != nil {
			r.bytes(int(binary.BigEndian.Uint16(b)))
		}
	}
	r.bytes(int(r.uint32()))
	return nil
}

func decodeApplyJSON(payload []byte) (ApplyPayload, error) {
	if payload[0] == '{' {
		var p ApplyPayload
		err := json.Unmarshal(payload, &p)
		return p, err
	}
	var parts []ApplyPayload
	if err := json.Unmarshal(payload, &parts); err != nil {
		return ApplyPayload{}, err
	}
	var out ApplyPayload
	for _, p := range parts {
		if out.TenantID != uuid.Nil && p.TenantID != out.TenantID {
			return ApplyPayload{}, fmt.Errorf("merged apply payload mixes tenants %s and %s", out.TenantID, p.TenantID)
		}
		out.TenantID = p.TenantID
		out.Changes = append(out.Changes, p.Changes...)
	}
	return out, nil
}
