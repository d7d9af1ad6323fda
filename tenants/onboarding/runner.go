package onboarding

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/wabsp/wabsp/internal/apperr"
	"github.com/wabsp/wabsp/internal/events"
	"github.com/wabsp/wabsp/internal/pg"
	"github.com/wabsp/wabsp/tenants"
)

// Meta is the Graph API calls onboarding makes.
type Meta interface {
	ExchangeCode(ctx context.Context, appID, appSecret, code string) (string, error)
	SubscribeApp(ctx context.Context, token, wabaID, overrideURI, verifyToken string) error
	Register(ctx context.Context, token, wabaID, phoneNumberID, pin string) error
}

// WABAs is what onboarding needs from the tenants domain.
type WABAs interface {
	CreateWABA(ctx context.Context, a tenants.Actor, tenantID uuid.UUID, in tenants.NewWABA) (tenants.WABA, error)
	ListWABAs(ctx context.Context, tenantID uuid.UUID, p tenants.Page) (tenants.List[tenants.WABA], error)
	UpdateWABA(ctx context.Context, a tenants.Actor, tenantID, ref uuid.UUID, p tenants.WABAPatch) (tenants.WABA, error)
	AccessToken(ctx context.Context, tenantID, wabaRef uuid.UUID) (string, error)
}

// Watcher is quality monitoring: told a WABA is subscribed, and asked to
// fetch (and reconcile) its numbers and templates.
type Watcher interface {
	MarkSubscribed(ctx context.Context, tenantID uuid.UUID, wabaID string) error
	FetchNumbers(ctx context.Context, tenantID, wabaRef uuid.UUID) error
	FetchTemplates(ctx context.Context, tenantID, wabaRef uuid.UUID) error
}

// App is the Meta app Embedded Signup runs under.
type App struct {
	ID     string
	Secret string
	// CallbackOverrideURL, when set, is subscribed as each onboarded WABA's
	// override_callback_uri, checked by Meta with VerifyToken.
	CallbackOverrideURL string
	VerifyToken         string
}

// Runner runs onboarding steps.
type Runner struct {
	Service *Service
	Meta    Meta
	WABAs   WABAs
	Watcher Watcher
	App     App
}

// ErrStopped says the onboarding failed and waits for a retry; its queued
// steps have nothing to do.
var ErrStopped = errors.New("onboarding: stopped after a failed step")

// Failure is a step that failed. Permanent ones are recorded as failed and
// must not be retried by the queue.
type Failure struct {
	Step      string
	Meta      MetaError
	Permanent bool
	Err       error
}

func (f *Failure) Error() string {
	return fmt.Sprintf("onboarding step %s failed (code %d/%d, trace %s, permanent %t): %v",
		f.Step, f.Meta.Code, f.Meta.Subcode, f.Meta.FBTraceID, f.Permanent, f.Err)
}

func (f *Failure) Unwrap() error { return f.Err }

// Next returns the step after step, "" after the last.
func Next(step string) string {
	i := slices.Index(Steps, step)
	if i < 0 || i == len(Steps)-1 {
		return ""
	}
	return Steps[i+1]
}

// job is what a step needs, read when it starts.
type job struct {
	tenantID, id  uuid.UUID
	step          string
	wabaID, phone string
	wabaRef       *uuid.UUID
	code, token   []byte
	codeKid       *string
	tokenKid      *string
	pin           []byte
	pinKid        string
}

// outcome is what a succeeded step leaves on the onboarding.
type outcome struct {
	token   string     // sealed into token_enc, code cleared
	wabaRef *uuid.UUID // stored, token cleared
}

// Run runs one step. A step that succeeded before is skipped; final says
// the queue will not try again, so a transient failure is recorded as
// failed too. It returns the next step to queue ("" when none is).
func (r *Runner) Run(ctx context.Context, tenantID, id uuid.UUID, step string, final bool) (string, error) {
	if !slices.Contains(Steps, step) {
		return "", apperr.InvalidField("step", "unknown step "+step)
	}
	j, skip, err := r.start(ctx, tenantID, id, step)
	if err != nil || skip {
		return Next(step), err
	}
	out, err := r.execute(ctx, j)
	if err != nil {
		return "", r.fail(ctx, j, err, final)
	}
	return Next(step), r.succeed(ctx, j, out)
}

// start marks the step running and reads what it needs; skip is true when
// it succeeded already.
func (r *Runner) start(ctx context.Context, tenantID, id uuid.UUID, step string) (j job, skip bool, err error) {
	j = job{tenantID: tenantID, id: id, step: step}
	err = r.Service.db.InTenantTx(ctx, tenantID, func(tx pgx.Tx) error {
		var state, stepState string
		err := tx.QueryRow(ctx, `
			SELECT o.state, s.state, o.waba_id, o.phone_number_id, o.waba_ref, o.code_enc, o.code_kid, o.token_enc,
				o.token_kid, o.pin_enc, o.pin_kid
			FROM onboardings o JOIN onboarding_steps s ON s.tenant_id = o.tenant_id AND s.onboarding_id = o.id
			WHERE o.tenant_id = $1 AND o.id = $2 AND s.step = $3
			FOR UPDATE OF o`, tenantID, id, step).Scan(&state, &stepState, &j.wabaID, &j.phone, &j.wabaRef,
			&j.code, &j.codeKid, &j.token, &j.tokenKid, &j.pin, &j.pinKid)
		if err != nil {
			return pg.Translate(err, "onboarding")
		}
		switch {
		case stepState == StateSucceeded:
			skip = true
			return nil
		case state == StateFailed || stepState == StateFailed:
			return ErrStopped
		}
		if _, err := tx.Exec(ctx, `UPDATE onboarding_steps SET state = 'running', attempts = attempts + 1,
			started_at = coalesce(started_at, now()), updated_at = now()
			WHERE tenant_id = $1 AND onboarding_id = $2 AND step = $3`, tenantID, id, step); err != nil {
			return pg.Translate(err, "onboarding step")
		}
		_, err = tx.Exec(ctx, `UPDATE onboardings SET state = 'running', updated_at = now()
			WHERE tenant_id = $1 AND id = $2`, tenantID, id)
		return pg.Translate(err, "onboarding")
	})
	return j, skip, err
}

// succeed records the step's success and what it produced; the last step
// completes the onboarding.
func (r *Runner) succeed(ctx context.Context, j job, out outcome) error {
	var tokenEnc []byte
	var tokenKid string
	if out.token != "" {
		var err error
		if tokenEnc, tokenKid, err = r.Service.seal(j.id, out.token); err != nil {
			return err
		}
	}
	return r.Service.db.InTenantTx(ctx, j.tenantID, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE onboarding_steps SET state = 'succeeded', finished_at = now(), updated_at = now()
			WHERE tenant_id = $1 AND onboarding_id = $2 AND step = $3`, j.tenantID, j.id, j.step); err != nil {
			return pg.Translate(err, "onboarding step")
		}
		if tokenEnc != nil {
			if _, err := tx.Exec(ctx, `UPDATE onboardings SET token_enc = $3, token_kid = $4, code_enc = NULL, code_kid = NULL
				WHERE tenant_id = $1 AND id = $2`, j.tenantID, j.id, tokenEnc, tokenKid); err != nil {
				return pg.Translate(err, "onboarding")
			}
		}
		if out.wabaRef != nil {
			if _, err := tx.Exec(ctx, `UPDATE onboardings SET waba_ref = $3, token_enc = NULL, token_kid = NULL
				WHERE tenant_id = $1 AND id = $2`, j.tenantID, j.id, *out.wabaRef); err != nil {
				return pg.Translate(err, "onboarding")
			}
		}
		if Next(j.step) != "" {
			return nil
		}
		return r.complete(ctx, tx, j)
	})
}

func (r *Runner) complete(ctx context.Context, tx pgx.Tx, j job) error {
	o, err := get(ctx, tx, j.tenantID, j.id, "", "")
	if err != nil {
		return err
	}
	if o.Current() != "" {
		// A retried run finished its last step while an earlier one is
		// not done: that step's own task completes the onboarding.
		return nil
	}
	tag, err := tx.Exec(ctx, `UPDATE onboardings SET state = 'succeeded', completed_at = now(), updated_at = now()
		WHERE tenant_id = $1 AND id = $2 AND state <> 'succeeded'`, j.tenantID, j.id)
	if err != nil || tag.RowsAffected() == 0 {
		return pg.Translate(err, "onboarding")
	}
	_, err = events.Emit(ctx, tx, events.Event{
		TenantID: j.tenantID, Type: EventCompleted, Subject: j.phone, OccurredAt: r.Service.now(),
		DedupeKey: "onboarding.completed:" + j.id.String(),
		Data:      map[string]any{"onboarding_id": j.id, "waba_id": j.wabaID, "phone_number_id": j.phone, "waba_ref": o.WABARef},
	})
	return err
}

// fail records the failure. A permanent one, or the last attempt, fails the
// step and the onboarding and emits onboarding.step_failed; otherwise the
// step goes back to pending with its error shown until the retry.
func (r *Runner) fail(ctx context.Context, j job, cause error, final bool) error {
	me, transient := classify(cause)
	f := &Failure{Step: j.step, Meta: me, Permanent: !transient || final, Err: cause}
	state := StatePending
	if f.Permanent {
		state = StateFailed
	}
	err := r.Service.db.InTenantTx(ctx, j.tenantID, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE onboarding_steps SET state = $4, error_code = $5, error_subcode = $6,
			error_type = $7, error_message = $8, fbtrace_id = $9, updated_at = now(),
			finished_at = CASE WHEN $4 = 'failed' THEN now() END
			WHERE tenant_id = $1 AND onboarding_id = $2 AND step = $3`, j.tenantID, j.id, j.step, state,
			nullInt(me.Code), nullInt(me.Subcode), nullStr(me.Type), me.Message, nullStr(me.FBTraceID)); err != nil {
			return pg.Translate(err, "onboarding step")
		}
		if !f.Permanent {
			return nil
		}
		if _, err := tx.Exec(ctx, `UPDATE onboardings SET state = 'failed', updated_at = now()
			WHERE tenant_id = $1 AND id = $2`, j.tenantID, j.id); err != nil {
			return pg.Translate(err, "onboarding")
		}
		_, err := events.Emit(ctx, tx, events.Event{
			TenantID: j.tenantID, Type: EventStepFailed, Subject: j.phone, OccurredAt: r.Service.now(),
			Data: map[string]any{"onboarding_id": j.id, "step": j.step, "waba_id": j.wabaID,
				"phone_number_id": j.phone, "error": me},
		})
		return err
	})
	return errors.Join(f, err)
}

func nullInt(n int) any {
	if n == 0 {
		return nil
	}
	return n
}

func nullStr(s string) any {
	if s == "" {
		return nil
	}
	return s
}
