package workers

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/hibiken/asynq"

	"github.com/wabsp/wabsp/internal/apperr"
	"github.com/wabsp/wabsp/sending"
)

// TypeExpandCampaign turns a campaign's recipients into sends.
const TypeExpandCampaign = "campaign:expand"

// CampaignPayload names the campaign to expand.
type CampaignPayload struct {
	TenantID   uuid.UUID `json:"tenant_id"`
	CampaignID uuid.UUID `json:"campaign_id"`
}

// NewExpandCampaignTask builds the expansion task of a campaign. Its id is
// the campaign's, so one expansion is queued at a time; a retry resumes
// where the last run stopped.
func NewExpandCampaignTask(p CampaignPayload) *asynq.Task {
	payload, _ := json.Marshal(p)
	return asynq.NewTask(TypeExpandCampaign, payload, asynq.Queue(QueueDefault), asynq.MaxRetry(20),
		asynq.Timeout(30*time.Minute), asynq.TaskID("campaign:"+p.CampaignID.String()))
}

// CampaignEnqueuer queues the expansion of stored campaigns.
type CampaignEnqueuer struct {
	Client *asynq.Client
}

// Enqueue queues the campaign's expansion; one already queued is not an
// error.
func (e CampaignEnqueuer) Enqueue(ctx context.Context, tenantID, campaignID uuid.UUID) error {
	return enqueueOnce(ctx, e.Client, NewExpandCampaignTask(CampaignPayload{TenantID: tenantID, CampaignID: campaignID}))
}

// CampaignTasks are the asynq handlers of campaigns.
type CampaignTasks struct {
	Expander *sending.Expander
}

// Register adds the expansion handler to mux.
func (c *CampaignTasks) Register(mux *asynq.ServeMux) {
	mux.HandleFunc(TypeExpandCampaign, c.handleExpand)
}

func (c *CampaignTasks) handleExpand(ctx context.Context, t *asynq.Task) error {
	var p CampaignPayload
	if err := json.Unmarshal(t.Payload(), &p); err != nil {
		return fmt.Errorf("workers: decode campaign payload: %w: %w", err, asynq.SkipRetry)
	}
	err := c.Expander.Expand(ctx, p.TenantID, p.CampaignID)
	if apperr.CodeOf(err) == apperr.NotFound {
		return fmt.Errorf("%w: %w", err, asynq.SkipRetry)
	}
	return err
}
