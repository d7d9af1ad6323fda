package sending

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/wabsp/wabsp/internal/apperr"
	"github.com/wabsp/wabsp/internal/idempotency"
	"github.com/wabsp/wabsp/internal/pg"
	"github.com/wabsp/wabsp/optins"
)

// Eligibility answers the opt-in and window guards for one recipient.
type Eligibility interface {
	CheckEligibility(ctx context.Context, tenantID uuid.UUID, ref optins.ContactRef, q optins.EligibilityQuery) (optins.Eligibility, error)
}

// Request is one send a tenant asks for.
type Request struct {
	PhoneNumberID string  `json:"phone_number_id"`
	To            string  `json:"to"`
	Message       Message `json:"message"`
	Labels        Labels  `json:"labels"`
}

var (
	waID     = regexp.MustCompile(`^[1-9][0-9]{6,14}$`)
	numberID = regexp.MustCompile(`^[0-9]{1,32}$`)
)

func (r Request) validate() error {
	if !numberID.MatchString(r.PhoneNumberID) {
		return apperr.InvalidField("phone_number_id", "must be Meta's phone number id")
	}
	if !waID.MatchString(strings.TrimPrefix(r.To, "+")) {
		return apperr.InvalidField("to", "must be an E.164 number")
	}
	return r.Message.Validate()
}

// KeyTable holds the Idempotency-Key records of sends, honoured for seven
// days like every other domain's: a client retrying a send does so within
// minutes.
var KeyTable = idempotency.Table{Name: "send_idempotency", Retention: 7 * 24 * time.Hour}

// Submitter records sends after the guards decided them.
type Submitter struct {
	db       *pg.DB
	optins   Eligibility
	clock    func() time.Time
	newID    func() uuid.UUID
	enqueued func(ctx context.Context, s Send) error
}

// NewSubmitter returns a Submitter that calls enqueue for every send it
// accepts, after the send is committed.
func NewSubmitter(db *pg.DB, el Eligibility, enqueue func(ctx context.Context, s Send) error) *Submitter {
	return &Submitter{db: db, optins: el, clock: time.Now, newID: uuid.New, enqueued: enqueue}
}

// Submit decides a send and records it: queued and handed to enqueue when
// every guard passes, refused with its reasons otherwise (then nothing goes
// to Meta). With an Idempotency-Key a retried request returns the first
// send and enqueues nothing again.
func (s *Submitter) Submit(ctx context.Context, tenantID uuid.UUID, r Request, key string) (Send, bool, error) {
	r.To = strings.TrimPrefix(r.To, "+")
	if err := r.validate(); err != nil {
		return Send{}, false, err
	}
	body, err := json.Marshal(r)
	if err != nil {
		return Send{}, false, fmt.Errorf("sending: encode request: %w", err)
	}
	f, waba, err := s.gather(ctx, tenantID, r)
	if err != nil {
		return Send{}, false, pg.Translate(err, "send")
	}
	var out Send
	var replayed bool
	err = s.db.InTenantTx(ctx, tenantID, func(tx pgx.Tx) error {
		var err error
		out, replayed, err = idempotency.Run(ctx, tx, KeyTable.Name, tenantID, "send", key, body, func() (Send, error) {
			return s.decide(ctx, tx, tenantID, r, f, waba)
		})
		return err
	})
	if err != nil {
		return Send{}, false, pg.Translate(err, "send")
	}
	out.Throughput = ThroughputOf(f.Number.Throughput)
	if !replayed && out.State == StateQueued {
		if err := s.enqueued(ctx, out); err != nil {
			return Send{}, false, fmt.Errorf("sending: enqueue %s: %w", out.ID, err)
		}
	}
	return out, replayed, nil
}

func (s *Submitter) decide(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, r Request, f Facts, waba string) (Send, error) {
	send := Send{ID: s.newID(), TenantID: tenantID, PhoneNumberID: r.PhoneNumberID, WabaID: waba,
		Recipient: r.To, Message: r.Message, Labels: r.Labels, State: StateQueued}
	if send.Reasons = Decide(r.Message, f); len(send.Reasons) > 0 {
		send.State = StateRefused
	}
	return Insert(ctx, tx, send)
}

// gather reads the facts the guards decide on. The opt-in service takes a
// connection of its own, so it is asked after the reads have committed:
// asked inside them, every request would hold one connection while waiting
// for a second, and a burst as large as the pool would deadlock it.
func (s *Submitter) gather(ctx context.Context, tenantID uuid.UUID, r Request) (Facts, string, error) {
	var f Facts
	var waba string
	kind := optins.KindFreeForm
	err := s.db.InTenantTx(ctx, tenantID, func(tx pgx.Tx) error {
		var err error
		f, waba, kind, err = s.facts(ctx, tx, tenantID, r)
		return err
	})
	if err != nil {
		return f, "", err
	}
	f.Eligibility, err = s.optins.CheckEligibility(ctx, tenantID, optins.ContactRef{WaID: r.To},
		optins.EligibilityQuery{Kind: kind, PhoneNumberID: r.PhoneNumberID})
	return f, waba, err
}

func (s *Submitter) facts(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, r Request) (Facts, string, optins.Kind, error) {
	var f Facts
	var waba string
	var err error
	kind := optins.KindFreeForm
	if f.Number, waba, err = ReadNumber(ctx, tx, tenantID, r.PhoneNumberID); err != nil {
		return f, "", kind, err
	}
	if t := r.Message.Template; t != nil {
		if f.Template, err = ReadTemplate(ctx, tx, tenantID, waba, t.Name, t.Language); err != nil {
			return f, "", kind, err
		}
		kind = templateKind(f.Template.Category)
		seen := false
		if f.RecentRecipients, seen, err = RecentRecipients(ctx, tx, tenantID, r.To, s.clock()); err != nil {
			return f, "", kind, err
		}
		f.NewRecipient = !seen
	}
	return f, waba, kind, nil
}

// templateKind maps Meta's template category to the consent it needs; an
// unknown template is checked as marketing, the strictest.
func templateKind(category string) optins.Kind {
	switch strings.ToUpper(category) {
	case "UTILITY":
		return optins.KindUtility
	case "AUTHENTICATION":
		return optins.KindAuthentication
	}
	return optins.KindMarketing
}
