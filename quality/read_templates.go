package quality

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/wabsp/wabsp/internal/apperr"
	"github.com/wabsp/wabsp/internal/paging"
	"github.com/wabsp/wabsp/internal/pg"
)

var errNoTemplate = apperr.New(apperr.NotFound, "template not found")

// TemplateView is a template's state with its open alerts.
type TemplateView struct {
	Template
	QualityLabel string  `json:"quality_label"`
	OpenAlerts   []Alert `json:"open_alerts"`
}

// TemplateFilter narrows ListTemplates; empty fields do not filter.
type TemplateFilter struct {
	WABAID       string
	Status       string
	QualityScore string
	Category     string
	// Name and Language are the template's name and language code exactly
	// as Meta names them (one template id per name and language).
	Name     string
	Language string
}

// ListTemplates returns the tenant's templates, most recently discovered
// first, with their open alerts.
func (s *Service) ListTemplates(ctx context.Context, tenantID uuid.UUID, f TemplateFilter, p Page) (List[TemplateView], error) {
	at, after, err := decodeCursor(p.Cursor)
	if err != nil {
		return List[TemplateView]{}, err
	}
	size := p.Size()
	var out []TemplateView
	err = s.db.InTenantTx(ctx, tenantID, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT `+templateCols+` FROM quality_templates
			WHERE tenant_id = $1
			  AND ($2 = '' OR waba_id = $2) AND ($3 = '' OR status = $3)
			  AND ($4 = '' OR quality_score = $4) AND ($5 = '' OR category = $5)
			  AND ($6::timestamptz IS NULL OR (first_seen_at, template_id) < ($6, $7::text))
			  AND ($9 = '' OR name = $9) AND ($10 = '' OR language = $10)
			ORDER BY first_seen_at DESC, template_id DESC LIMIT $8`,
			tenantID, f.WABAID, upper(f.Status), normRating(f.QualityScore), upper(f.Category), at, after, size+1,
			f.Name, f.Language)
		if err != nil {
			return err
		}
		list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Template, error) { return scanTemplate(r) })
		if err != nil {
			return err
		}
		out, err = templateViews(ctx, tx, tenantID, list)
		return err
	})
	if err != nil {
		return List[TemplateView]{}, pg.Translate(err, "templates")
	}
	return paging.Paginate(out, size, func(v TemplateView) (time.Time, string) { return v.FirstSeenAt, v.TemplateID }), nil
}

// GetTemplate returns one template's state by Meta's template id.
func (s *Service) GetTemplate(ctx context.Context, tenantID uuid.UUID, templateID string) (TemplateView, error) {
	if !isDigits(templateID) {
		return TemplateView{}, errNoTemplate
	}
	var v TemplateView
	err := s.db.InTenantTx(ctx, tenantID, func(tx pgx.Tx) error {
		t, err := scanTemplate(tx.QueryRow(ctx, `SELECT `+templateCols+` FROM quality_templates WHERE tenant_id = $1 AND template_id = $2`,
			tenantID, templateID))
		if err != nil {
			return err
		}
		views, err := templateViews(ctx, tx, tenantID, []Template{t})
		if err != nil {
			return err
		}
		v = views[0]
		return nil
	})
	return v, pg.Translate(err, "template")
}

func templateViews(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, list []Template) ([]TemplateView, error) {
	ids := make([]string, len(list))
	for i, t := range list {
		ids[i] = t.TemplateID
	}
	alerts, err := openAlertsOf(ctx, tx, tenantID, KindTemplate, ids)
	if err != nil {
		return nil, err
	}
	out := make([]TemplateView, len(list))
	for i, t := range list {
		out[i] = TemplateView{Template: t, QualityLabel: RatingLabel(t.QualityScore.Value), OpenAlerts: alerts[t.TemplateID]}
		if out[i].OpenAlerts == nil {
			out[i].OpenAlerts = []Alert{}
		}
	}
	return out, nil
}
