package onboarding

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/wabsp/wabsp/internal/apperr"
	"github.com/wabsp/wabsp/internal/paging"
	"github.com/wabsp/wabsp/internal/pg"
)

const onboardingCols = `id, tenant_id, waba_id, phone_number_id, state, run, waba_ref, pin_generated, created_by,
	created_at, updated_at, completed_at`

func scanOnboarding(row pgx.Row) (Onboarding, error) {
	var o Onboarding
	err := row.Scan(&o.ID, &o.TenantID, &o.WABAID, &o.PhoneNumberID, &o.State, &o.Run, &o.WABARef, &o.PINGenerated,
		&o.CreatedBy, &o.CreatedAt, &o.UpdatedAt, &o.CompletedAt)
	return o, err
}

// get reads an onboarding by id, or by WABA and number when id is Nil.
func get(ctx context.Context, tx pgx.Tx, tenantID, id uuid.UUID, wabaID, phoneID string) (Onboarding, error) {
	o, err := scanOnboarding(tx.QueryRow(ctx, `SELECT `+onboardingCols+` FROM onboardings
		WHERE tenant_id = $1 AND (id = $2 OR ($2 = '00000000-0000-0000-0000-000000000000' AND waba_id = $3 AND phone_number_id = $4))`,
		tenantID, id, wabaID, phoneID))
	if err != nil {
		return Onboarding{}, pg.Translate(err, "onboarding")
	}
	return o, loadSteps(ctx, tx, []*Onboarding{&o})
}

// loadSteps fills the steps of onboardings of one tenant or many.
func loadSteps(ctx context.Context, tx pgx.Tx, list []*Onboarding) error {
	if len(list) == 0 {
		return nil
	}
	tenantIDs, ids := make([]uuid.UUID, len(list)), make([]uuid.UUID, len(list))
	byID := make(map[uuid.UUID]*Onboarding, len(list))
	for i, o := range list {
		tenantIDs[i], ids[i] = o.TenantID, o.ID
		byID[o.ID] = o
	}
	rows, err := tx.Query(ctx, `
		SELECT s.onboarding_id, s.step, s.state, s.attempts, s.error_code, s.error_subcode, s.error_type,
			s.error_message, s.fbtrace_id, s.started_at, s.finished_at, s.updated_at
		FROM onboarding_steps s JOIN unnest($1::uuid[], $2::uuid[]) AS k (tenant_id, id)
			ON s.tenant_id = k.tenant_id AND s.onboarding_id = k.id
		ORDER BY s.onboarding_id, s.position`, tenantIDs, ids)
	if err != nil {
		return pg.Translate(err, "onboarding steps")
	}
	defer rows.Close()
	for rows.Next() {
		var (
			oid          uuid.UUID
			st           Step
			code, sub    *int
			typ, msg, tr *string
		)
		if err := rows.Scan(&oid, &st.Name, &st.State, &st.Attempts, &code, &sub, &typ, &msg, &tr, &st.StartedAt,
			&st.FinishedAt, &st.UpdatedAt); err != nil {
			return pg.Translate(err, "onboarding steps")
		}
		if msg != nil {
			st.LastError = &MetaError{Code: deref(code), Subcode: deref(sub), Type: deref(typ), Message: *msg, FBTraceID: deref(tr)}
		}
		byID[oid].Steps = append(byID[oid].Steps, st)
	}
	return pg.Translate(rows.Err(), "onboarding steps")
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// Filter narrows a list; an empty State lists every state.
type Filter struct {
	State string
}

func (f Filter) validate() error {
	switch f.State {
	case "", StatePending, StateRunning, StateSucceeded, StateFailed:
		return nil
	}
	return apperr.InvalidField("state", "must be pending, running, succeeded or failed")
}

// List returns the tenant's onboardings, newest first.
func (s *Service) List(ctx context.Context, tenantID uuid.UUID, f Filter, p paging.Page) (paging.List[Onboarding], error) {
	var out paging.List[Onboarding]
	err := s.db.InTenantTx(ctx, tenantID, func(tx pgx.Tx) (err error) {
		out, err = list(ctx, tx, &tenantID, f, p)
		return err
	})
	return out, err
}

// ListAll returns every tenant's onboardings, newest first, for admins.
func (s *Service) ListAll(ctx context.Context, f Filter, p paging.Page) (paging.List[Onboarding], error) {
	var out paging.List[Onboarding]
	err := s.db.InTx(ctx, func(tx pgx.Tx) (err error) {
		out, err = list(ctx, tx, nil, f, p)
		return err
	})
	return out, err
}

func list(ctx context.Context, tx pgx.Tx, tenantID *uuid.UUID, f Filter, p paging.Page) (paging.List[Onboarding], error) {
	if err := f.validate(); err != nil {
		return paging.List[Onboarding]{}, err
	}
	at, after, err := paging.UUIDCursor(p.Cursor)
	if err != nil {
		return paging.List[Onboarding]{}, err
	}
	size := p.Size()
	rows, err := tx.Query(ctx, `SELECT `+onboardingCols+` FROM onboardings
		WHERE ($1::uuid IS NULL OR tenant_id = $1) AND ($2 = '' OR state = $2)
		  AND ($3::timestamptz IS NULL OR (created_at, id) < ($3, $4::uuid))
		ORDER BY created_at DESC, id DESC LIMIT $5`, tenantID, f.State, at, after, size+1)
	if err != nil {
		return paging.List[Onboarding]{}, pg.Translate(err, "onboardings")
	}
	items, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Onboarding, error) { return scanOnboarding(r) })
	if err != nil {
		return paging.List[Onboarding]{}, pg.Translate(err, "onboardings")
	}
	page := paging.Paginate(items, size, func(o Onboarding) (time.Time, string) { return o.CreatedAt, o.ID.String() })
	ptrs := make([]*Onboarding, len(page.Items))
	for i := range page.Items {
		ptrs[i] = &page.Items[i]
	}
	return page, loadSteps(ctx, tx, ptrs)
}

// Retry starts a failed onboarding again from its failed step, with a new
// run number so the step is queued afresh. A new code replaces a spent one
// (a failed exchange needs the business to go through Embedded Signup
// again); a new PIN replaces a mismatched one.
func (s *Service) Retry(ctx context.Context, tenantID, id uuid.UUID, code, pin string) (o Onboarding, err error) {
	if pin != "" && !pinRe.MatchString(pin) {
		return Onboarding{}, apperr.InvalidField("pin", "must be 6 digits")
	}
	if len(code) > 2048 {
		return Onboarding{}, apperr.InvalidField("code", "at most 2048 characters")
	}
	err = s.db.InTenantTx(ctx, tenantID, func(tx pgx.Tx) error {
		var state string
		if err := tx.QueryRow(ctx, `SELECT state FROM onboardings WHERE tenant_id = $1 AND id = $2 FOR UPDATE`,
			tenantID, id).Scan(&state); err != nil {
			return pg.Translate(err, "onboarding")
		}
		if state != StateFailed {
			return apperr.New(apperr.FailedPrecondition, "only a failed onboarding can be retried; this one is %s", state)
		}
		if err := s.replaceSecrets(ctx, tx, tenantID, id, code, pin); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE onboardings SET state = 'pending', run = run + 1, updated_at = now()
			WHERE tenant_id = $1 AND id = $2`, tenantID, id); err != nil {
			return pg.Translate(err, "onboarding")
		}
		if _, err := tx.Exec(ctx, `UPDATE onboarding_steps SET state = 'pending', updated_at = now()
			WHERE tenant_id = $1 AND onboarding_id = $2 AND state = 'failed'`, tenantID, id); err != nil {
			return pg.Translate(err, "onboarding step")
		}
		o, err = get(ctx, tx, tenantID, id, "", "")
		return err
	})
	return o, err
}

func (s *Service) replaceSecrets(ctx context.Context, tx pgx.Tx, tenantID, id uuid.UUID, code, pin string) error {
	for _, v := range []struct{ col, val string }{{"code", code}, {"pin", pin}} {
		if v.val == "" {
			continue
		}
		enc, kid, err := s.seal(id, v.val)
		if err != nil {
			return err
		}
		// The column names come from this list, never from input.
		if _, err := tx.Exec(ctx, `UPDATE onboardings SET `+v.col+`_enc = $3, `+v.col+`_kid = $4`+pinFlag(v.col)+`
			WHERE tenant_id = $1 AND id = $2`, tenantID, id, enc, kid); err != nil {
			return pg.Translate(err, "onboarding")
		}
	}
	return nil
}

func pinFlag(col string) string {
	if col == "pin" {
		return ", pin_generated = false"
	}
	return ""
}
