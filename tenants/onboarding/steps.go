package onboarding

import (
	"context"
	"errors"
	"fmt"

	"github.com/wabsp/wabsp/internal/apperr"
	"github.com/wabsp/wabsp/internal/graph"
	"github.com/wabsp/wabsp/tenants"
)

// execute runs the step's work; each is safe to repeat.
func (r *Runner) execute(ctx context.Context, j job) (outcome, error) {
	switch j.step {
	case StepExchangeCode:
		return r.exchangeCode(ctx, j)
	case StepStoreToken:
		return r.storeToken(ctx, j)
	}
	if j.wabaRef == nil {
		return outcome{}, apperr.New(apperr.FailedPrecondition, "the token is not stored yet")
	}
	switch j.step {
	case StepSubscribeApp:
		return outcome{}, r.withToken(ctx, j, func(token string) error {
			if err := r.Meta.SubscribeApp(ctx, token, j.wabaID, r.App.CallbackOverrideURL, r.App.VerifyToken); err != nil {
				return err
			}
			// Quality polling subscribes WABAs it has not seen subscribed,
			// which would drop the override; tell it this one is.
			return r.Watcher.MarkSubscribed(ctx, j.tenantID, j.wabaID)
		})
	case StepRegisterNumber:
		pin, err := r.Service.open(j.id, j.pin, j.pinKid)
		if err != nil {
			return outcome{}, err
		}
		return outcome{}, r.withToken(ctx, j, func(token string) error {
			return r.Meta.Register(ctx, token, j.wabaID, j.phone, pin)
		})
	case StepFetchNumbers:
		return outcome{}, r.Watcher.FetchNumbers(ctx, j.tenantID, *j.wabaRef)
	default:
		return outcome{}, r.Watcher.FetchTemplates(ctx, j.tenantID, *j.wabaRef)
	}
}

func (r *Runner) withToken(ctx context.Context, j job, fn func(token string) error) error {
	token, err := r.WABAs.AccessToken(ctx, j.tenantID, *j.wabaRef)
	if err != nil {
		return err
	}
	return fn(token)
}

// exchangeCode trades the signup code for the business token. A token kept
// from an earlier attempt is not exchanged again: the code is single use.
func (r *Runner) exchangeCode(ctx context.Context, j job) (outcome, error) {
	if j.token != nil || j.wabaRef != nil {
		return outcome{}, nil
	}
	if r.App.ID == "" || r.App.Secret == "" {
		return outcome{}, apperr.New(apperr.FailedPrecondition,
			"no Meta app is configured for Embedded Signup (WABSP_META_APP_ID among WABSP_META_APP_SECRETS)")
	}
	if j.code == nil || j.codeKid == nil {
		return outcome{}, apperr.New(apperr.FailedPrecondition, "no signup code is stored; retry with a new code")
	}
	code, err := r.Service.open(j.id, j.code, *j.codeKid)
	if err != nil {
		return outcome{}, err
	}
	token, err := r.Meta.ExchangeCode(ctx, r.App.ID, r.App.Secret, code)
	if err != nil {
		return outcome{}, err
	}
	return outcome{token: token}, nil
}

// storeToken creates the tenant's WABA with the token, or puts the token on
// the tenant's WABA of that id if it exists already.
func (r *Runner) storeToken(ctx context.Context, j job) (outcome, error) {
	if j.wabaRef != nil && j.token == nil {
		return outcome{}, nil
	}
	if j.token == nil || j.tokenKid == nil {
		return outcome{}, apperr.New(apperr.FailedPrecondition, "no business token is kept; the code exchange must run first")
	}
	token, err := r.Service.open(j.id, j.token, *j.tokenKid)
	if err != nil {
		return outcome{}, err
	}
	actor := tenants.System("embedded signup " + j.id.String())
	w, err := r.WABAs.CreateWABA(ctx, actor, j.tenantID, tenants.NewWABA{WABAID: j.wabaID, AccessToken: token})
	if apperr.Is(err, apperr.Conflict) {
		w, err = r.existingWABA(ctx, j)
		if err == nil {
			w, err = r.WABAs.UpdateWABA(ctx, actor, j.tenantID, w.ID, tenants.WABAPatch{AccessToken: &token})
		}
	}
	if err != nil {
		return outcome{}, err
	}
	return outcome{wabaRef: &w.ID}, nil
}

func (r *Runner) existingWABA(ctx context.Context, j job) (tenants.WABA, error) {
	p := tenants.Page{Limit: tenants.MaxLimit}
	for {
		l, err := r.WABAs.ListWABAs(ctx, j.tenantID, p)
		if err != nil {
			return tenants.WABA{}, err
		}
		for _, w := range l.Items {
			if w.WABAID == j.wabaID {
				return w, nil
			}
		}
		if l.NextCursor == "" {
			return tenants.WABA{}, apperr.New(apperr.Conflict, "WABA %s is registered to another tenant", j.wabaID)
		}
		p.Cursor = l.NextCursor
	}
}

// retryable are the Graph codes that succeed later: throttling (4, 17, 32,
// 613, 80007, 80008, 130429), register/deregister rate limit (133016) and
// Meta's service error (2). Code 1 is not among them: Meta also answers a
// wrong app secret with it, over HTTP 400; a 1 over 5xx is retried anyway.
var retryable = map[int]bool{2: true, 4: true, 17: true, 32: true, 613: true, 80007: true, 80008: true,
	130429: true, 133016: true}

// classify names a failure as partners see it and says whether retrying
// may succeed. wabsp's own internal errors are retried and never shown.
func classify(err error) (MetaError, bool) {
	if ge, ok := graph.MetaError(err); ok {
		me := MetaError{Code: ge.Code, Subcode: ge.Subcode, Type: ge.Type, Message: ge.Message, FBTraceID: ge.FBTraceID}
		if me.Message == "" {
			me.Message = fmt.Sprintf("Graph API error %d (HTTP %d)", ge.Code, ge.Status)
		}
		return me, ge.Temporary() || retryable[ge.Code]
	}
	if wait, ok := graph.RetryAfter(err); ok {
		return MetaError{Message: "held back to stay within the WABA's Graph call budget; next call in " + wait.String()}, true
	}
	if ae, ok := apperr.As(err); ok {
		switch ae.Code {
		case apperr.Invalid, apperr.NotFound, apperr.Conflict, apperr.FailedPrecondition:
			return MetaError{Message: ae.Message}, false
		}
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return MetaError{Message: "the step did not finish in time"}, true
	}
	return MetaError{Message: "wabsp could not complete the step"}, true
}
