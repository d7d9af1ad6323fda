package sending

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/wabsp/wabsp/insights"
	"github.com/wabsp/wabsp/internal/apperr"
	"github.com/wabsp/wabsp/internal/graph"
)

// Graph sends one Cloud API message.
type Graph interface {
	SendMessage(ctx context.Context, token, phoneNumberID string, body []byte) (graph.Sent, error)
}

// Tokens decrypts the Graph token of a tenant's WABA.
type Tokens interface {
	AccessToken(ctx context.Context, tenantID, wabaRef uuid.UUID) (string, error)
}

// Annotator labels a sent message so its statuses join to its template,
// campaign and agent.
type Annotator interface {
	Annotate(ctx context.Context, tenantID uuid.UUID, anns []insights.Annotation, key string) (insights.AnnotateResult, error)
}

// WaitError says a send was held back by pacing or Meta's rate limits: it
// is not a failure and should be tried again after Wait.
type WaitError struct {
	Wait time.Duration
	Err  error
}

func (e *WaitError) Error() string { return fmt.Sprintf("sending: wait %s: %v", e.Wait, e.Err) }
func (e *WaitError) Unwrap() error { return e.Err }

// ErrPermanent marks a send Meta refused for good; it is recorded as failed
// and must not be retried.
var ErrPermanent = errors.New("sending: Meta refused the send for good")

// errPaced is the cause of a wait wabsp's own pacer asked for.
var errPaced = errors.New("number or recipient at its rate")

// Deliverer takes a queued send to Meta.
type Deliverer struct {
	Store     *Store
	Pacer     *Pacer
	Graph     Graph
	Tokens    Tokens
	Annotator Annotator
}

// Deliver sends one queued send: paced to its number's throughput and the
// recipient's pair rate, then posted to Meta. A send already settled is
// left alone (a sent one is annotated again, which is idempotent), so a
// redelivered task never sends twice.
func (d *Deliverer) Deliver(ctx context.Context, tenantID, id uuid.UUID) error {
	s, err := d.Store.Get(ctx, tenantID, id)
	if err != nil {
		return err
	}
	switch s.State {
	case StateSent:
		return d.annotate(ctx, s)
	case StateQueued, StateSending:
	default:
		return nil
	}
	num, ref, err := d.number(ctx, s)
	if errors.Is(err, ErrPermanent) {
		return d.fail(ctx, s, err, "the send's WABA is no longer stored")
	}
	if err != nil {
		return err
	}
	if wait, err := d.Pacer.Take(ctx, s.PhoneNumberID, s.Recipient, ThroughputOf(num.Throughput)); err != nil {
		return err
	} else if wait > 0 {
		return &WaitError{Wait: wait, Err: errPaced}
	}
	var ok bool
	if s, ok, err = d.Store.Begin(ctx, tenantID, id); err != nil || !ok {
		return err // !ok: settled or cancelled since it was read
	}
	token, err := d.Tokens.AccessToken(ctx, tenantID, ref)
	if apperr.CodeOf(err) == apperr.FailedPrecondition {
		return d.fail(ctx, s, fmt.Errorf("%w: %w", ErrPermanent, err), "no Graph token is stored for the WABA")
	}
	if err != nil {
		return err
	}
	body, err := s.Message.CloudBody(s.Recipient)
	if err != nil {
		return d.fail(ctx, s, fmt.Errorf("%w: %w", ErrPermanent, err), "the message has no Cloud API shape")
	}
	sent, err := d.Graph.SendMessage(ctx, token, s.PhoneNumberID, body)
	if err != nil {
		return d.refused(ctx, s, err)
	}
	if err := d.Store.MarkSent(ctx, tenantID, id, sent.WAMID); err != nil {
		return err
	}
	s.Wamid = sent.WAMID
	return d.annotate(ctx, s)
}

// refused records Meta's error and says how the task goes on.
func (d *Deliverer) refused(ctx context.Context, s Send, err error) error {
	var gerr *graph.Error
	if !errors.As(err, &gerr) {
		return err // the network failed; retried with backoff
	}
	switch Classify(gerr.Code, gerr.Status, gerr.IsTransient) {
	case Throttled:
		wait := time.Second
		if gerr.Code == 131056 {
			wait = PairPause
		}
		if nerr := d.Store.NoteError(ctx, s.TenantID, s.ID, gerr.Code, gerr.Message); nerr != nil {
			return nerr
		}
		return &WaitError{Wait: wait, Err: err}
	case Transient:
		if nerr := d.Store.NoteError(ctx, s.TenantID, s.ID, gerr.Code, gerr.Message); nerr != nil {
			return nerr
		}
		return err
	}
	if ferr := d.Store.MarkFailed(ctx, s.TenantID, s.ID, gerr.Code, gerr.Message); ferr != nil {
		return ferr
	}
	return fmt.Errorf("%w: %w", ErrPermanent, err)
}

// fail records a send that can never go out for a reason of wabsp's own
// (Meta was not asked, so there is no Meta code).
func (d *Deliverer) fail(ctx context.Context, s Send, err error, why string) error {
	if ferr := d.Store.MarkFailed(ctx, s.TenantID, s.ID, 0, why); ferr != nil {
		return errors.Join(err, ferr)
	}
	return err
}

func (d *Deliverer) annotate(ctx context.Context, s Send) error {
	if d.Annotator == nil || s.Wamid == "" {
		return nil
	}
	a := insights.Annotation{WAMID: s.Wamid, Agent: s.Labels.Agent, Campaign: s.Labels.CampaignID, Automated: s.Labels.Agent == ""}
	if t := s.Message.Template; t != nil {
		a.TemplateName, a.TemplateLanguage = t.Name, t.Language
	}
	_, err := d.Annotator.Annotate(ctx, s.TenantID, []insights.Annotation{a}, "send:"+s.ID.String())
	return err
}

// number reads the sending number's throughput level and the wabsp id of
// its WABA, whose token the send uses.
func (d *Deliverer) number(ctx context.Context, s Send) (NumberState, uuid.UUID, error) {
	var n NumberState
	var ref uuid.UUID
	err := d.Store.db.InTenantTx(ctx, s.TenantID, func(tx pgx.Tx) error {
		var err error
		if n, _, err = ReadNumber(ctx, tx, s.TenantID, s.PhoneNumberID); err != nil {
			return err
		}
		return tx.QueryRow(ctx, `SELECT id FROM wabas WHERE tenant_id = $1 AND waba_id = $2`, s.TenantID, s.WabaID).Scan(&ref)
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return n, ref, fmt.Errorf("%w: WABA %s of the send is not stored", ErrPermanent, s.WabaID)
	}
	return n, ref, err
}
