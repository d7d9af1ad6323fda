package workers

import (
	"github.com/google/uuid"

	"github.com/wabsp/wabsp/webhooks"
)

// applyChunkBytes caps the change values one apply transaction decodes and
// writes. A merged task carries up to 16 MiB of them, and every handler
// holds its decoded rows and statement arguments until the transaction
// ends: eight such tasks at once kept the worker's live heap near its soft
// limit, so the collector could not bring the resident set under 256 MiB.
// A run of 1 MiB (about 5,000 statuses) peaks near 9 MiB of live heap, so
// eight full merges in flight, payloads included, stay under the limit; it
// is still enough statuses per transaction to amortise its fixed round
// trips and commit.
const applyChunkBytes = 1 << 20

// checkApply reads a whole payload without keeping it decoded and returns
// its tenant, or what is damaged in it.
func checkApply(payload []byte) (uuid.UUID, error) {
	if isJSONApply(payload) {
		p, err := decodeApplyJSON(payload)
		return p.TenantID, err
	}
	return walkApply(payload, (*frameReader).skipChange)
}

// eachApplyChunk reads a payload checkApply accepted in runs of changes
// whose values add up to about maxBytes and calls apply on each, in payload
// order, decoding the next run only after the previous one is applied. A
// failed run stops the walk; since handlers are idempotent, a retry of the
// task re-applies the runs before it as no-ops.
func eachApplyChunk(payload []byte, maxBytes int, apply func([]webhooks.Change) error) error {
	if isJSONApply(payload) {
		p, err := decodeApplyJSON(payload)
		if err != nil {
			return err
		}
		return applyRuns(p.Changes, maxBytes, apply)
	}
	var run []webhooks.Change
	size := 0
	_, err := walkApply(payload, func(r *frameReader) error {
		c := r.change()
		run, size = append(run, c), size+len(c.Value)
		if size < maxBytes {
			return nil
		}
		err := apply(run)
		run, size = nil, 0
		return err
	})
	if err != nil || len(run) == 0 {
		return err
	}
	return apply(run)
}

// applyRuns is eachApplyChunk for changes already decoded.
func applyRuns(changes []webhooks.Change, maxBytes int, apply func([]webhooks.Change) error) error {
	for len(changes) > 0 {
		n, size := 0, 0
		for n < len(changes) && (n == 0 || size < maxBytes) {
			size += len(changes[n].Value)
			n++
		}
		if err := apply(changes[:n:n]); err != nil {
			return err
		}
		changes = changes[n:]
	}
	return nil
}
