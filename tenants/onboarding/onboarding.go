// Package onboarding takes a client business through Meta's Embedded Signup
// result to a WABA wabsp can watch: it trades the signup code for the
// business token, stores the token, subscribes wabsp's app to the WABA,
// registers the phone number and fetches the WABA's numbers and templates.
//
// Each step's state, attempts and last Meta error live in PostgreSQL; the
// queue only says which step to run next. Every step is idempotent and a
// step that succeeded is never run again, so a step re-run by a retry, a
// duplicate task or a crashed worker changes nothing.
package onboarding

import (
	"context"
	"crypto/rand"
	"fmt"
	"math/big"
	"regexp"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/wabsp/wabsp/internal/apperr"
	"github.com/wabsp/wabsp/internal/pg"
	"github.com/wabsp/wabsp/internal/secretbox"
)

// Step names, in the order they run.
const (
	StepExchangeCode   = "exchange_code"
	StepStoreToken     = "store_token"
	StepSubscribeApp   = "subscribe_app"
	StepRegisterNumber = "register_number"
	StepFetchNumbers   = "fetch_numbers"
	StepFetchTemplates = "fetch_templates"
)

// Steps is the order of the steps.
var Steps = []string{StepExchangeCode, StepStoreToken, StepSubscribeApp, StepRegisterNumber, StepFetchNumbers, StepFetchTemplates}

// States of an onboarding and of each step.
const (
	StatePending   = "pending"
	StateRunning   = "running"
	StateSucceeded = "succeeded"
	StateFailed    = "failed"
)

// Event types emitted to the outbox.
const (
	EventStepFailed = "onboarding.step_failed"
	EventCompleted  = "onboarding.completed"
)

// MetaError is the last failure of a step: Meta's error when Meta refused,
// otherwise Code 0 and wabsp's own message.
type MetaError struct {
	Code      int    `json:"code,omitempty"`
	Subcode   int    `json:"subcode,omitempty"`
	Type      string `json:"type,omitempty"`
	Message   string `json:"message"`
	FBTraceID string `json:"fbtrace_id,omitempty"`
}

// Step is one step of an onboarding.
type Step struct {
	Name       string     `json:"name"`
	State      string     `json:"state"`
	Attempts   int        `json:"attempts"`
	LastError  *MetaError `json:"last_error,omitempty"`
	StartedAt  *time.Time `json:"started_at,omitempty"`
	FinishedAt *time.Time `json:"finished_at,omitempty"`
	UpdatedAt  time.Time  `json:"updated_at"`
}

// Onboarding is one Embedded Signup result being onboarded.
type Onboarding struct {
	ID            uuid.UUID  `json:"id"`
	TenantID      uuid.UUID  `json:"tenant_id"`
	WABAID        string     `json:"waba_id"`
	PhoneNumberID string     `json:"phone_number_id"`
	State         string     `json:"state"`
	Run           int        `json:"run"`
	WABARef       *uuid.UUID `json:"waba_ref,omitempty"`
	PINGenerated  bool       `json:"pin_generated"`
	CreatedBy     string     `json:"created_by"`
	Steps         []Step     `json:"steps"`
	CreatedAt     time.Time  `json:"created_at"`
	UpdatedAt     time.Time  `json:"updated_at"`
	CompletedAt   *time.Time `json:"completed_at,omitempty"`
}

// Current is the first step that has not succeeded, "" when all have.
func (o Onboarding) Current() string {
	for _, s := range o.Steps {
		if s.State != StateSucceeded {
			return s.Name
		}
	}
	return ""
}

// New is what Embedded Signup hands the partner's page: the code, the WABA
// and the phone number the business chose. PIN is the number's two-step
// verification PIN; empty, wabsp generates one.
type New struct {
	Code          string
	WABAID        string
	PhoneNumberID string
	PIN           string
}

var (
	metaID = regexp.MustCompile(`^[0-9]{1,32}$`)
	pinRe  = regexp.MustCompile(`^[0-9]{6}$`)
)

func (n New) validate() error {
	switch {
	case n.Code == "" || len(n.Code) > 2048:
		return apperr.InvalidField("code", "required, at most 2048 characters")
	case !metaID.MatchString(n.WABAID):
		return apperr.InvalidField("waba_id", "must be Meta's numeric id")
	case !metaID.MatchString(n.PhoneNumberID):
		return apperr.InvalidField("phone_number_id", "must be Meta's numeric id")
	case n.PIN != "" && !pinRe.MatchString(n.PIN):
		return apperr.InvalidField("pin", "must be 6 digits")
	}
	return nil
}

// Service stores onboardings. It is safe for concurrent use.
type Service struct {
	db  *pg.DB
	box *secretbox.Keyring
	now func() time.Time
}

// NewService returns a Service; box seals codes, tokens and PINs.
func NewService(db *pg.DB, box *secretbox.Keyring) *Service {
	return &Service{db: db, box: box, now: time.Now}
}

func (s *Service) seal(id uuid.UUID, secret string) ([]byte, string, error) {
	if s.box == nil {
		return nil, "", apperr.New(apperr.FailedPrecondition, "no encryption key is configured (WABSP_ENCRYPTION_KEYS)")
	}
	enc, kid, err := s.box.Encrypt([]byte(secret), id[:])
	if err != nil {
		return nil, "", fmt.Errorf("onboarding: seal: %w", err)
	}
	return enc, kid, nil
}

func (s *Service) open(id uuid.UUID, enc []byte, kid string) (string, error) {
	if s.box == nil {
		return "", apperr.New(apperr.FailedPrecondition, "no encryption key is configured (WABSP_ENCRYPTION_KEYS)")
	}
	plain, err := s.box.Decrypt(enc, kid, id[:])
	if err != nil {
		return "", fmt.Errorf("onboarding: open secret of %s: %w", id, err)
	}
	return string(plain), nil
}

// generatePIN returns a random 6-digit PIN.
func generatePIN() (string, error) {
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		return "", fmt.Errorf("onboarding: generate PIN: %w", err)
	}
	return fmt.Sprintf("%06d", n.Int64()), nil
}

// Create records an onboarding and its pending steps. A second request for
// the same WABA and number of the tenant changes nothing and returns the
// existing onboarding with created false.
func (s *Service) Create(ctx context.Context, tenantID uuid.UUID, createdBy string, in New) (o Onboarding, created bool, err error) {
	if err := in.validate(); err != nil {
		return Onboarding{}, false, err
	}
	id := uuid.New()
	generated := in.PIN == ""
	if generated {
		if in.PIN, err = generatePIN(); err != nil {
			return Onboarding{}, false, err
		}
	}
	codeEnc, codeKid, err := s.seal(id, in.Code)
	if err != nil {
		return Onboarding{}, false, err
	}
	pinEnc, pinKid, err := s.seal(id, in.PIN)
	if err != nil {
		return Onboarding{}, false, err
	}
	err = s.db.InTenantTx(ctx, tenantID, func(tx pgx.Tx) error {
		var got uuid.UUID
		err := tx.QueryRow(ctx, `
			INSERT INTO onboardings (tenant_id, id, waba_id, phone_number_id, code_enc, code_kid, pin_enc, pin_kid,
				pin_generated, created_by)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
			ON CONFLICT (tenant_id, waba_id, phone_number_id) DO NOTHING
			RETURNING id`, tenantID, id, in.WABAID, in.PhoneNumberID, codeEnc, codeKid, pinEnc, pinKid, generated,
			createdBy).Scan(&got)
		if err == pgx.ErrNoRows {
			o, err = get(ctx, tx, tenantID, uuid.Nil, in.WABAID, in.PhoneNumberID)
			return err
		}
		if err != nil {
			return pg.Translate(err, "onboarding")
		}
		created = true
		for i, step := range Steps {
			if _, err := tx.Exec(ctx, `INSERT INTO onboarding_steps (tenant_id, onboarding_id, step, position)
				VALUES ($1, $2, $3, $4)`, tenantID, id, step, i); err != nil {
				return pg.Translate(err, "onboarding step")
			}
		}
		o, err = get(ctx, tx, tenantID, id, "", "")
		return err
	})
	return o, created, err
}

// Get returns one of the tenant's onboardings with its steps.
func (s *Service) Get(ctx context.Context, tenantID, id uuid.UUID) (o Onboarding, err error) {
	err = s.db.InTenantTx(ctx, tenantID, func(tx pgx.Tx) error {
		o, err = get(ctx, tx, tenantID, id, "", "")
		return err
	})
	return o, err
}

// PIN returns the two-step verification PIN the number is registered with.
func (s *Service) PIN(ctx context.Context, tenantID, id uuid.UUID) (string, error) {
	var (
		enc []byte
		kid string
	)
	err := s.db.InTenantTx(ctx, tenantID, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `SELECT pin_enc, pin_kid FROM onboardings WHERE tenant_id = $1 AND id = $2`,
			tenantID, id).Scan(&enc, &kid)
		return pg.Translate(err, "onboarding")
	})
	if err != nil {
		return "", err
	}
	return s.open(id, enc, kid)
}
