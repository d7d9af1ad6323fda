package sending

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/wabsp/wabsp/quality"
)

// ReadNumber reads the quality state of the sending number and the WABA it
// belongs to, in a transaction bound to tenantID. The messaging limit is the
// number's own report, else its WABA's (both name the portfolio's limit). A
// number with no quality state yet has an empty status, which the guards
// refuse: wabsp does not send from a number it has never seen CONNECTED.
func ReadNumber(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, phoneNumberID string) (NumberState, string, error) {
	var n NumberState
	var waba string
	err := tx.QueryRow(ctx, `SELECT n.waba_id, n.status, COALESCE(NULLIF(n.messaging_limit, ''), a.messaging_limit, ''), n.throughput
		FROM quality_numbers n
		LEFT JOIN quality_accounts a ON a.tenant_id = n.tenant_id AND a.waba_id = n.waba_id
		WHERE n.tenant_id = $1 AND n.phone_number_id = $2
		ORDER BY n.updated_at DESC LIMIT 1`, tenantID, phoneNumberID).Scan(&waba, &n.Status, &n.MessagingLimit, &n.Throughput)
	if errors.Is(err, pgx.ErrNoRows) {
		return NumberState{}, "", nil
	}
	if err != nil {
		return NumberState{}, "", fmt.Errorf("sending: read number %s: %w", phoneNumberID, err)
	}
	return n, waba, nil
}

// ReadTemplate reads the state of the WABA's template of that name and
// language. BodyVariables comes from the components wabsp stored when the
// template was submitted through it; for others it is -1 and the parameter
// count is left to Meta (132000, never retried).
func ReadTemplate(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, wabaID, name, language string) (TemplateState, error) {
	t := TemplateState{BodyVariables: -1}
	var components []byte
	err := tx.QueryRow(ctx, `SELECT status, category, components FROM quality_templates
		WHERE tenant_id = $1 AND waba_id = $2 AND name = $3 AND language = $4 AND deleted_at IS NULL
		ORDER BY updated_at DESC LIMIT 1`, tenantID, wabaID, name, language).Scan(&t.Status, &t.Category, &components)
	if errors.Is(err, pgx.ErrNoRows) {
		return TemplateState{BodyVariables: -1}, nil
	}
	if err != nil {
		return TemplateState{}, fmt.Errorf("sending: read template %s/%s: %w", name, language, err)
	}
	t.Known = true
	t.BodyVariables = quality.BodyVariableCount(components)
	return t, nil
}
