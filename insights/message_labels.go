package insights

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// MessageLabels returns what the business labelled one outbound message
// with (template, campaign, agent and the rest of its annotation). found is
// false while the message carries no annotation: statuses alone label
// nothing.
func (s *Service) MessageLabels(ctx context.Context, tenantID uuid.UUID, wamid string) (a Annotation, found bool, err error) {
	err = s.inTenant(ctx, tenantID, func(tx pgx.Tx) error {
		a.WAMID = wamid
		err := tx.QueryRow(ctx, `
			SELECT m.template_name, m.template_language, m.agent, m.automated, m.campaign, m.journey, m.journey_step,
			    m.experiment, m.variant
			FROM insight_message_keys k JOIN insight_messages m
			    ON m.tenant_id = k.tenant_id AND m.wamid = k.wamid AND m.month = k.month
			WHERE k.tenant_id = $1 AND k.wamid = $2 AND m.annotated_at IS NOT NULL`, tenantID, wamid).
			Scan(&a.TemplateName, &a.TemplateLanguage, &a.Agent, &a.Automated, &a.Campaign, &a.Journey, &a.JourneyStep,
				&a.Experiment, &a.Variant)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("insights: labels of %s: %w", wamid, err)
		}
		found = true
		return nil
	})
	return a, found, err
}
