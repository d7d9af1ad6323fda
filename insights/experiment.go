package insights

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/bits"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/wabsp/wabsp/internal/apperr"
	"github.com/wabsp/wabsp/internal/pg"
)

// Variant is one arm of an experiment; contacts are assigned in proportion
// to Weight.
type Variant struct {
	Key    string `json:"key"`
	Weight int    `json:"weight"`
}

// Experiment is an A/B test of message wording or flow. The first variant
// is the control every other variant is compared with.
type Experiment struct {
	ID        uuid.UUID  `json:"id"`
	Key       string     `json:"key"`
	Name      string     `json:"name"`
	Variants  []Variant  `json:"variants"`
	JourneyID *uuid.UUID `json:"journey_id,omitempty"`
	CreatedAt time.Time  `json:"created_at"`
	salt      string
}

// NewExperiment is what creating an experiment takes. JourneyID, when set,
// adds journey completion to the outcome metrics.
type NewExperiment struct {
	Key       string
	Name      string
	Variants  []Variant
	JourneyID *uuid.UUID
}

// MaxVariants bounds an experiment's arms.
const MaxVariants = 10

func (n NewExperiment) validate() error {
	switch {
	case !keyRE.MatchString(n.Key):
		return apperr.InvalidField("key", "1-100 letters, digits, '_', '.', ':' or '-', starting with a letter or digit")
	case strings.TrimSpace(n.Name) == "" || len(n.Name) > 200:
		return apperr.InvalidField("name", "1-200 characters")
	case len(n.Variants) < 2 || len(n.Variants) > MaxVariants:
		return apperr.InvalidField("variants", fmt.Sprintf("between 2 and %d variants", MaxVariants))
	}
	seen := map[string]bool{}
	for i, v := range n.Variants {
		field := fmt.Sprintf("variants[%d]", i)
		if v.Key == "" || len(v.Key) > 100 || seen[v.Key] {
			return apperr.InvalidField(field+".key", "a unique key of 1-100 characters")
		}
		if v.Weight < 1 || v.Weight > 10000 {
			return apperr.InvalidField(field+".weight", "between 1 and 10000")
		}
		seen[v.Key] = true
	}
	return nil
}

// Assign returns the variant of a contact: a stable hash of the
// experiment's salt and the contact, mapped onto the weights. The same
// contact always gets the same variant, without anything being stored.
func (e Experiment) Assign(contact string) string {
	sum := sha256.Sum256([]byte(e.salt + "\x00" + contact))
	total := 0
	for _, v := range e.Variants {
		total += v.Weight
	}
	hi, _ := bits.Mul64(binary.BigEndian.Uint64(sum[:8]), uint64(total))
	pick := int(hi)
	for _, v := range e.Variants {
		if pick < v.Weight {
			return v.Key
		}
		pick -= v.Weight
	}
	return e.Variants[len(e.Variants)-1].Key
}

const selectExperimentsSQL = `SELECT id, key, name, variants, journey_id, salt, created_at FROM insight_experiments`

func scanExperiments(rows pgx.Rows) ([]Experiment, error) {
	defer rows.Close()
	var out []Experiment
	for rows.Next() {
		var e Experiment
		var variants []byte
		if err := rows.Scan(&e.ID, &e.Key, &e.Name, &variants, &e.JourneyID, &e.salt, &e.CreatedAt); err != nil {
			return nil, fmt.Errorf("insights: scan experiment: %w", err)
		}
		if err := json.Unmarshal(variants, &e.Variants); err != nil {
			return nil, fmt.Errorf("insights: decode variants: %w", err)
		}
		e.CreatedAt = e.CreatedAt.UTC()
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("insights: read experiments: %w", err)
	}
	return out, nil
}

// CreateExperiment stores an experiment with a fresh salt. key, when not
// empty, makes the write idempotent.
func (s *Service) CreateExperiment(ctx context.Context, tenantID uuid.UUID, n NewExperiment, key string) (Experiment, error) {
	if err := n.validate(); err != nil {
		return Experiment{}, err
	}
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return Experiment{}, fmt.Errorf("insights: salt: %w", err)
	}
	e := Experiment{ID: newID(), Key: n.Key, Name: strings.TrimSpace(n.Name), Variants: n.Variants,
		JourneyID: n.JourneyID, CreatedAt: s.now().UTC().Truncate(time.Microsecond), salt: hex.EncodeToString(salt)}
	variants, err := json.Marshal(e.Variants)
	if err != nil {
		return Experiment{}, fmt.Errorf("insights: encode variants: %w", err)
	}
	req, err := json.Marshal(n)
	if err != nil {
		return Experiment{}, fmt.Errorf("insights: encode request: %w", err)
	}
	err = s.inTenant(ctx, tenantID, func(tx pgx.Tx) error {
		stored, _, err := idempotent(ctx, tx, tenantID, "create_experiment", key, req, func() (storedExperiment, error) {
			return storedExperiment{e, e.salt}, insertExperiment(ctx, tx, tenantID, e, variants)
		})
		e = stored.Experiment
		e.salt = stored.Salt
		return err
	})
	if err != nil {
		return Experiment{}, err
	}
	return e, nil
}

// storedExperiment is an Experiment with its salt visible to encoding/json,
// so an idempotent replay returns the experiment whole.
type storedExperiment struct {
	Experiment
	Salt string `json:"salt"`
}

func insertExperiment(ctx context.Context, tx pgx.Tx, tenantID uuid.UUID, e Experiment, variants []byte) error {
	if e.JourneyID != nil {
		var ok bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM insight_journeys WHERE tenant_id = $1 AND id = $2)`,
			tenantID, *e.JourneyID).Scan(&ok); err != nil {
			return fmt.Errorf("insights: check journey: %w", err)
		}
		if !ok {
			return apperr.InvalidField("journey_id", "no such journey")
		}
	}
	_, err := tx.Exec(ctx, `INSERT INTO insight_experiments (id, tenant_id, key, name, variants, journey_id, salt, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, e.ID, tenantID, e.Key, e.Name, variants, e.JourneyID, e.salt, e.CreatedAt)
	return pg.Translate(err, "experiment")
}

// Experiment returns one experiment.
func (s *Service) Experiment(ctx context.Context, tenantID, id uuid.UUID) (Experiment, error) {
	var out []Experiment
	err := s.inTenant(ctx, tenantID, func(tx pgx.Tx) error {
		rows, _ := tx.Query(ctx, selectExperimentsSQL+` WHERE tenant_id = $1 AND id = $2`, tenantID, id)
		var err error
		out, err = scanExperiments(rows)
		return err
	})
	if err != nil {
		return Experiment{}, err
	}
	if len(out) == 0 {
		return Experiment{}, apperr.New(apperr.NotFound, "experiment not found")
	}
	return out[0], nil
}

// Experiments lists a tenant's experiments, newest first.
func (s *Service) Experiments(ctx context.Context, tenantID uuid.UUID, p Page) (List[Experiment], error) {
	var out List[Experiment]
	err := s.inTenant(ctx, tenantID, func(tx pgx.Tx) error {
		pos, ok, err := decodeCursor(p.Cursor)
		if err != nil {
			return err
		}
		q := selectExperimentsSQL + ` WHERE tenant_id = $1`
		args := []any{tenantID}
		if ok {
			q += ` AND (created_at, id) < ($2, $3)`
			args = append(args, pos.at, pos.id)
		}
		q += fmt.Sprintf(` ORDER BY created_at DESC, id DESC LIMIT %d`, p.Size()+1)
		rows, _ := tx.Query(ctx, q, args...)
		es, err := scanExperiments(rows)
		if err != nil {
			return err
		}
		out = page(es, p.Size(), func(e Experiment) (time.Time, uuid.UUID) { return e.CreatedAt, e.ID })
		return nil
	})
	return out, err
}

// DeleteExperiment removes an experiment definition. Annotated messages and
// their counts stay; creating the key again starts a new assignment.
func (s *Service) DeleteExperiment(ctx context.Context, tenantID, id uuid.UUID) error {
	return s.inTenant(ctx, tenantID, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM insight_experiments WHERE tenant_id = $1 AND id = $2`, tenantID, id)
		if err != nil {
			return pg.Translate(err, "experiment")
		}
		if tag.RowsAffected() == 0 {
			return apperr.New(apperr.NotFound, "experiment not found")
		}
		return nil
	})
}

// Assignment answers "which variant for this contact?".
type Assignment struct {
	Experiment string `json:"experiment"`
	Contact    string `json:"contact"`
	Variant    string `json:"variant"`
}

// AssignVariant returns the variant a contact belongs to in an experiment.
func (s *Service) AssignVariant(ctx context.Context, tenantID, id uuid.UUID, contact string) (Assignment, error) {
	if contact == "" || len(contact) > 160 {
		return Assignment{}, apperr.InvalidField("contact", "1-160 characters")
	}
	e, err := s.Experiment(ctx, tenantID, id)
	if err != nil {
		return Assignment{}, err
	}
	return Assignment{Experiment: e.Key, Contact: contact, Variant: e.Assign(contact)}, nil
}
