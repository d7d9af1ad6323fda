package sending

import (
	"context"

	"github.com/google/uuid"

	"github.com/wabsp/wabsp/optins"
)

// BulkEligibility answers the opt-in and window guards for many recipients
// with a few set-based queries (optins.Service does).
type BulkEligibility interface {
	CheckEligibilityBulk(ctx context.Context, tenantID uuid.UUID, refs []optins.ContactRef, q optins.EligibilityQuery) ([]optins.Eligibility, error)
}

// batchEligibility answers one expansion batch: the first question asks
// optins about every recipient of the batch at once, and the single-send
// decision then reads its answer from here. Asked per recipient, the same
// set-based query would run once for each of them.
type batchEligibility struct {
	bulk    BulkEligibility
	refs    []optins.ContactRef
	q       *optins.EligibilityQuery
	answers map[string]optins.Eligibility
}

func newBatchEligibility(bulk BulkEligibility, recipients []CampaignRecipient) *batchEligibility {
	refs := make([]optins.ContactRef, len(recipients))
	for i, r := range recipients {
		refs[i] = optins.ContactRef{WaID: r.To}
	}
	return &batchEligibility{bulk: bulk, refs: refs}
}

// CheckEligibility implements Eligibility.
func (b *batchEligibility) CheckEligibility(ctx context.Context, tenantID uuid.UUID, ref optins.ContactRef, q optins.EligibilityQuery) (optins.Eligibility, error) {
	if b.q == nil || *b.q != q {
		out, err := b.bulk.CheckEligibilityBulk(ctx, tenantID, b.refs, q)
		if err != nil {
			return optins.Eligibility{}, err
		}
		b.q, b.answers = &q, make(map[string]optins.Eligibility, len(out))
		for i, r := range b.refs {
			b.answers[r.WaID] = out[i]
		}
	}
	if e, ok := b.answers[ref.WaID]; ok {
		return e, nil
	}
	out, err := b.bulk.CheckEligibilityBulk(ctx, tenantID, []optins.ContactRef{ref}, q)
	if err != nil {
		return optins.Eligibility{}, err
	}
	return out[0], nil
}
