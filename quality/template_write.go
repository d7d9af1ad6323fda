package quality

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/wabsp/wabsp/internal/pg"
)

// SourceAPI marks what wabsp's own template API did: a submission, an edit,
// a deletion.
const SourceAPI = "api"

// What the template API records in a template's history (attribute
// "definition").
const (
	DefinitionSubmitted = "submitted"
	DefinitionEdited    = "edited"
	DefinitionDeleted   = "deleted"
)

// TemplateSubmitted is a template Meta accepted through the API: its id and
// the status and category Meta answered with.
type TemplateSubmitted struct {
	WABAID     string
	TemplateID string
	Status     string
	Category   string
	Draft      TemplateDraft
	// Actor names who submitted it; RequestID ties the record to the call.
	Actor     string
	RequestID string
	At        time.Time
}

// TemplateDefinition is what was submitted for a template: the components a
// send fills in.
type TemplateDefinition struct {
	TemplateID      string              `json:"template_id"`
	WABAID          string              `json:"waba_id"`
	Name            string              `json:"name"`
	Language        string              `json:"language"`
	Category        string              `json:"category"`
	Status          string              `json:"status"`
	ParameterFormat string              `json:"parameter_format"`
	Components      []TemplateComponent `json:"components"`
}

// RecordTemplateSubmitted stores a template Meta has just accepted, at once,
// so the status webhooks that follow land on it, with the submitted
// components and a history row naming the actor.
func (s *Service) RecordTemplateSubmitted(ctx context.Context, tenantID uuid.UUID, in TemplateSubmitted) error {
	return s.db.InTenantTx(ctx, tenantID, func(tx pgx.Tx) error {
		return s.recordSubmitted(ctx, tx, tenantID, in)
	})
}

func (s *Service) recordSubmitted(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, in TemplateSubmitted) error {
	comps, err := json.Marshal(in.Draft.Components)
	if err != nil {
		return fmt.Errorf("quality: encode components: %w", err)
	}
	o := origin{source: SourceAPI, eventID: "api:" + in.RequestID, receivedAt: in.At}
	if err := ensureAccount(ctx, tx, tenantID, in.WABAID); err != nil {
		return err
	}
	id := templateIdentity{id: in.TemplateID, wabaID: in.WABAID, name: in.Draft.Name, language: in.Draft.Language}
	if err := ensureTemplate(ctx, tx, tenantID, id, SourceAPI, in.At); err != nil {
		return err
	}
	if err := saveDefinition(ctx, tx, tenantID, in.TemplateID, comps, in.Draft.ParameterFormat); err != nil {
		return err
	}
	list := []obs{{attr: "status", value: upper(in.Status), at: in.At}, {attr: "category", value: upper(in.Category), at: in.At}}
	if _, err := s.applyTemplate(ctx, tx, tenantID, id, o, list, nil); err != nil {
		return err
	}
	return definitionHistory(ctx, tx, tenantID, in.TemplateID, o, DefinitionSubmitted, in.Actor)
}

// RecordTemplateEdited stores the components (and category) of an edit
// Meta accepted. The template goes back to review: PENDING until Meta's
// webhook says otherwise.
func (s *Service) RecordTemplateEdited(ctx context.Context, tenantID uuid.UUID, templateID string, d TemplateDraft, actor, requestID string, at time.Time) error {
	comps, err := json.Marshal(d.Components)
	if err != nil {
		return fmt.Errorf("quality: encode components: %w", err)
	}
	o := origin{source: SourceAPI, eventID: "api:" + requestID, receivedAt: at}
	err = s.db.InTenantTx(ctx, tenantID, func(tx pgx.Tx) error {
		t, err := getTemplate(ctx, tx, tenantID, templateID)
		if err != nil {
			return err
		}
		if err := saveDefinition(ctx, tx, tenantID, templateID, comps, d.ParameterFormat); err != nil {
			return err
		}
		list := []obs{{attr: "status", value: "PENDING", at: at}}
		if d.Category != "" {
			list = append(list, obs{attr: "category", value: upper(d.Category), at: at})
		}
		id := templateIdentity{id: templateID, wabaID: t.WABAID, name: t.Name, language: t.Language}
		if _, err := s.applyTemplate(ctx, tx, tenantID, id, o, list, nil); err != nil {
			return err
		}
		return definitionHistory(ctx, tx, tenantID, templateID, o, DefinitionEdited, actor)
	})
	return pg.Translate(err, "template")
}

// RecordTemplatesDeleted marks the named templates deleted (every language
// of name in the WABA when templateID is empty) and returns how many.
func (s *Service) RecordTemplatesDeleted(ctx context.Context, tenantID uuid.UUID, wabaID, name, templateID, actor, requestID string, at time.Time) (int, error) {
	o := origin{source: SourceAPI, eventID: "api:" + requestID, receivedAt: at}
	n := 0
	err := s.db.InTenantTx(ctx, tenantID, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `UPDATE quality_templates SET deleted_at = $5, updated_at = now()
			WHERE tenant_id = $1 AND waba_id = $2 AND name = $3 AND ($4 = '' OR template_id = $4) AND deleted_at IS NULL
			RETURNING template_id`, tenantID, wabaID, name, templateID, at)
		if err != nil {
			return err
		}
		ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return err
		}
		n = len(ids)
		for _, id := range ids {
			if err := definitionHistory(ctx, tx, tenantID, id, o, DefinitionDeleted, actor); err != nil {
				return err
			}
		}
		return nil
	})
	return n, err
}

// TemplateByName finds a WABA's live template by name and language, with
// what was submitted for it (no components when wabsp only ever saw it in
// webhooks and polls).
func (s *Service) TemplateByName(ctx context.Context, tenantID uuid.UUID, wabaID, name, language string) (TemplateDefinition, error) {
	var d TemplateDefinition
	err := s.db.InTenantTx(ctx, tenantID, func(tx pgx.Tx) error {
		return scanDefinition(tx.QueryRow(ctx, `SELECT `+definitionCols+` FROM quality_templates
			WHERE tenant_id = $1 AND waba_id = $2 AND name = $3 AND language = $4 AND deleted_at IS NULL`,
			tenantID, wabaID, name, language), &d)
	})
	return d, pg.Translate(err, "template")
}

// TemplateDefinitionOf returns one template's definition by Meta's id.
func (s *Service) TemplateDefinitionOf(ctx context.Context, tenantID uuid.UUID, templateID string) (TemplateDefinition, error) {
	if !isDigits(templateID) {
		return TemplateDefinition{}, errNoTemplate
	}
	var d TemplateDefinition
	err := s.db.InTenantTx(ctx, tenantID, func(tx pgx.Tx) error {
		return scanDefinition(tx.QueryRow(ctx, `SELECT `+definitionCols+` FROM quality_templates
			WHERE tenant_id = $1 AND template_id = $2 AND deleted_at IS NULL`, tenantID, templateID), &d)
	})
	return d, pg.Translate(err, "template")
}

const definitionCols = `template_id, waba_id, name, language, category, status, parameter_format, components`

func scanDefinition(row pgx.Row, d *TemplateDefinition) error {
	var comps []byte
	if err := row.Scan(&d.TemplateID, &d.WABAID, &d.Name, &d.Language, &d.Category, &d.Status, &d.ParameterFormat, &comps); err != nil {
		return err
	}
	if comps == nil {
		return nil
	}
	return json.Unmarshal(comps, &d.Components)
}

func saveDefinition(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, id string, comps []byte, format string) error {
	_, err := tx.Exec(ctx, `UPDATE quality_templates SET components = $3, parameter_format = $4, deleted_at = NULL, updated_at = now()
		WHERE tenant_id = $1 AND template_id = $2`, tenantID, id, comps, upper(format))
	if err != nil {
		return fmt.Errorf("quality: save template definition: %w", err)
	}
	return nil
}

func definitionHistory(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, id string, o origin, what, actor string) error {
	ob := obs{attr: "definition", value: what, at: o.receivedAt, detail: map[string]any{"actor": actor}}
	_, err := insertHistory(ctx, tx, tenantID, KindTemplate, id, o, ob, nil, false)
	return err
}
