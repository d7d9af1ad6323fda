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
	runs := &applyRuns{maxBytes: maxBytes, apply: apply}
	if isJSONApply(payload) {
		p, err := decodeApplyJSON(payload)
		if err != nil {
			return err
		}
		for _, c := range p.Changes {
			if err := runs.add(c); err != nil {
				return err
			}
		}
		return runs.flush()
	}
	if _, err := walkApply(payload, func(r *frameReader) error { return runs.add(r.change()) }); err != nil {
		return err
	}
	return runs.flush()
}

// applyRuns gathers changes into runs whose values add up to about maxBytes
// (a run ends with the change that reaches it) and applies each run as it
// fills.
type applyRuns struct {
	maxBytes int
	apply    func([]webhooks.Change) error
	run      []webhooks.Change
	size     int
}

func (a *applyRuns) add(c webhooks.Change) error {
	a.run, a.size = append(a.run, c), a.size+len(c.Value)
	if a.size < a.maxBytes {
		return nil
	}
	return a.flush()
}

// flush applies the run gathered so far, if any.
func (a *applyRuns) flush() error {
	if len(a.run) == 0 {
		return nil
	}
	run := a.run
	a.run, a.size = nil, 0
	return a.apply(run)
}
