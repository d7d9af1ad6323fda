package quality

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/wabsp/wabsp/internal/apperr"
	"github.com/wabsp/wabsp/internal/idempotency"
)

// MetaAnswer is what Meta answered a template submission with.
type MetaAnswer struct {
	TemplateID string
	Status     string
	Category   string
}

// Submission is one template creation through the API.
type Submission struct {
	WABAID string
	Draft  TemplateDraft
	// Key is the client's Idempotency-Key; empty submits every time.
	Key       string
	Actor     string
	RequestID string
	At        time.Time
}

// SubmitTemplate checks the draft against Meta's rules, then has submit
// send it to Meta and stores what Meta accepted, once per Idempotency-Key:
// a retry with the same key and draft answers the first result without
// calling Meta again (replayed is true). A draft breaking any rule is an
// Unprocessable error listing every violation, and submit is not called.
// The key is claimed in the transaction that stores the template, so a
// failed call to Meta leaves no claim and a concurrent retry waits for the
// first one.
func (s *Service) SubmitTemplate(ctx context.Context, tenantID uuid.UUID, in Submission,
	submit func(context.Context, TemplateDraft) (MetaAnswer, error)) (def TemplateDefinition, replayed bool, err error) {
	if err := violationError(ValidateTemplate(in.Draft)); err != nil {
		return TemplateDefinition{}, false, err
	}
	request, err := json.Marshal(in.Draft)
	if err != nil {
		return TemplateDefinition{}, false, fmt.Errorf("quality: encode draft: %w", err)
	}
	err = s.db.InTenantTx(ctx, tenantID, func(tx pgx.Tx) error {
		def, replayed, err = idempotency.Run(ctx, tx, KeyTable.Name, tenantID, "createTemplate:"+in.WABAID, in.Key, request,
			func() (TemplateDefinition, error) {
				ans, err := submit(ctx, in.Draft)
				if err != nil {
					return TemplateDefinition{}, err
				}
				rec := TemplateSubmitted{WABAID: in.WABAID, TemplateID: ans.TemplateID, Status: ans.Status, Category: ans.Category,
					Draft: in.Draft, Actor: in.Actor, RequestID: in.RequestID, At: in.At}
				if err := s.recordSubmitted(ctx, tx, tenantID, rec); err != nil {
					return TemplateDefinition{}, err
				}
				return submittedDefinition(rec), nil
			})
		return err
	})
	return def, replayed, err
}

// CheckTemplateEdit checks an edit against Meta's rules; the error is
// Unprocessable, listing every violation.
func CheckTemplateEdit(d TemplateDraft) error { return violationError(ValidateTemplateEdit(d)) }

func violationError(list []Violation) error {
	if len(list) == 0 {
		return nil
	}
	return &apperr.Error{Code: apperr.Unprocessable, Violations: list,
		Message: fmt.Sprintf("the template breaks %d of Meta's rules", len(list))}
}

func submittedDefinition(in TemplateSubmitted) TemplateDefinition {
	return TemplateDefinition{TemplateID: in.TemplateID, WABAID: in.WABAID, Name: in.Draft.Name, Language: in.Draft.Language,
		Category: upper(in.Category), Status: upper(in.Status), ParameterFormat: upper(in.Draft.ParameterFormat),
		Components: in.Draft.Components}
}

// KeyTable holds the Idempotency-Key records of template submissions,
// honoured for seven days.
var KeyTable = idempotency.Table{Name: "quality_idempotency", Retention: 7 * 24 * time.Hour}
