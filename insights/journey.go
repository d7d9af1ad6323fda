package insights

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
	"github.com/wabsp/wabsp/internal/pg"
)

// Match says what makes a contact reach a journey step.
type Match string

// The ways a step can be matched.
const (
	// MatchAnnotation is an outbound message annotated with the journey's key
	// and the step's value as journey step.
	MatchAnnotation Match = "annotation"
	// MatchTemplate is an outbound message annotated with this template name.
	MatchTemplate Match = "template"
	// MatchButton is an inbound button press (quick-reply payload or
	// interactive reply id) with this value.
	MatchButton Match = "button"
	// MatchEvent is an event the tenant reported with this name.
	MatchEvent Match = "event"
)

// Step is one step of a journey.
type Step struct {
	Key   string `json:"key"`
	Match Match  `json:"match"`
	Value string `json:"value"`
}

// Journey is the messaging journey a business plans: ordered steps a
// contact is expected to go through, the last being the final action.
type Journey struct {
	ID        uuid.UUID `json:"id"`
	Key       string    `json:"key"`
	Name      string    `json:"name"`
	Steps     []Step    `json:"steps"`
	CreatedAt time.Time `json:"created_at"`
}

// NewJourney is what creating a journey takes.
type NewJourney struct {
	Key   string
	Name  string
	Steps []Step
}

// MaxSteps bounds a journey's length.
const MaxSteps = 20

var keyRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}$`)

func (n NewJourney) validate() error {
	switch {
	case !keyRE.MatchString(n.Key):
		return apperr.InvalidField("key", "1-100 letters, digits, '_', '.', ':' or '-', starting with a letter or digit")
	case strings.TrimSpace(n.Name) == "" || len(n.Name) > 200:
		return apperr.InvalidField("name", "1-200 characters")
	case len(n.Steps) < 2 || len(n.Steps) > MaxSteps:
		return apperr.InvalidField("steps", fmt.Sprintf("between 2 and %d steps", MaxSteps))
	}
	seen := map[string]bool{}
	keys := map[string]bool{}
	for i, s := range n.Steps {
		field := fmt.Sprintf("steps[%d]", i)
		switch s.Match {
		case MatchAnnotation, MatchTemplate, MatchButton, MatchEvent:
		default:
			return apperr.InvalidField(field+".match", "one of annotation, template, button, event")
		}
		if s.Value == "" || len(s.Value) > 256 {
			return apperr.InvalidField(field+".value", "1-256 characters")
		}
		if !keyRE.MatchString(s.Key) || keys[s.Key] {
			return apperr.InvalidField(field+".key", "a unique step key of letters, digits, '_', '.', ':' or '-'")
		}
		id := string(s.Match) + "\x00" + s.Value
		if seen[id] {
			return apperr.InvalidField(field, "another step already matches the same thing")
		}
		seen[id], keys[s.Key] = true, true
	}
	return nil
}

// stepFor returns the 1-based step matched by (kind, value), 0 for none.
func (j *Journey) stepFor(kind Match, value string) int {
	if value == "" {
		return 0
	}
	for i, s := range j.Steps {
		if s.Match == kind && s.Value == value {
			return i + 1
		}
	}
	return 0
}

const selectJourneysSQL = `SELECT id, key, name, steps, created_at FROM insight_journeys`

func scanJourneys(rows pgx.Rows) ([]Journey, error) {
	defer rows.Close()
	var out []Journey
	for rows.Next() {
		var j Journey
		var steps []byte
		if err := rows.Scan(&j.ID, &j.Key, &j.Name, &steps, &j.CreatedAt); err != nil {
			return nil, fmt.Errorf("insights: scan journey: %w", err)
		}
		if err := json.Unmarshal(steps, &j.Steps); err != nil {
			return nil, fmt.Errorf("insights: decode journey steps: %w", err)
		}
		j.CreatedAt = j.CreatedAt.UTC()
		out = append(out, j)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("insights: read journeys: %w", err)
	}
	return out, nil
}

// CreateJourney stores a journey and matches it against everything already
// recorded, so its results cover the history too. key, when not empty,
// makes the write idempotent.
func (s *Service) CreateJourney(ctx context.Context, tenantID uuid.UUID, n NewJourney, key string) (Journey, error) {
	if err := n.validate(); err != nil {
		return Journey{}, err
	}
	j := Journey{ID: newID(), Key: n.Key, Name: strings.TrimSpace(n.Name), Steps: n.Steps, CreatedAt: s.now().UTC().Truncate(time.Microsecond)}
	steps, err := json.Marshal(j.Steps)
	if err != nil {
		return Journey{}, fmt.Errorf("insights: encode steps: %w", err)
	}
	req, err := json.Marshal(n)
	if err != nil {
		return Journey{}, fmt.Errorf("insights: encode request: %w", err)
	}
	err = s.inTenant(ctx, tenantID, func(tx pgx.Tx) error {
		j, _, err = idempotent(ctx, tx, tenantID, "create_journey", key, req, func() (Journey, error) {
			if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, lockKey(tenantID)); err != nil {
				return Journey{}, fmt.Errorf("insights: lock: %w", err)
			}
			if _, err := tx.Exec(ctx, `INSERT INTO insight_journeys (id, tenant_id, key, name, steps, created_at)
				VALUES ($1, $2, $3, $4, $5, $6)`, j.ID, tenantID, j.Key, j.Name, steps, j.CreatedAt); err != nil {
				return Journey{}, pg.Translate(err, "journey")
			}
			return j, backfillJourney(ctx, tx, tenantID, j)
		})
		return err
	})
	if err != nil {
		return Journey{}, err
	}
	return j, nil
}

// Journey returns one journey.
func (s *Service) Journey(ctx context.Context, tenantID, id uuid.UUID) (Journey, error) {
	var out []Journey
	err := s.inTenant(ctx, tenantID, func(tx pgx.Tx) error {
		rows, _ := tx.Query(ctx, selectJourneysSQL+` WHERE tenant_id = $1 AND id = $2`, tenantID, id)
		var err error
		out, err = scanJourneys(rows)
		return err
	})
	if err != nil {
		return Journey{}, err
	}
	if len(out) == 0 {
		return Journey{}, apperr.New(apperr.NotFound, "journey not found")
	}
	return out[0], nil
}

// Journeys lists a tenant's journeys, newest first.
func (s *Service) Journeys(ctx context.Context, tenantID uuid.UUID, p Page) (List[Journey], error) {
	var out List[Journey]
	err := s.inTenant(ctx, tenantID, func(tx pgx.Tx) error {
		pos, ok, err := decodeCursor(p.Cursor)
		if err != nil {
			return err
		}
		q := selectJourneysSQL + ` WHERE tenant_id = $1`
		args := []any{tenantID}
		if ok {
			q += ` AND (created_at, id) < ($2, $3)`
			args = append(args, pos.at, pos.id)
		}
		q += fmt.Sprintf(` ORDER BY created_at DESC, id DESC LIMIT %d`, p.Size()+1)
		rows, _ := tx.Query(ctx, q, args...)
		js, err := scanJourneys(rows)
		if err != nil {
			return err
		}
		out = page(js, p.Size(), func(j Journey) (time.Time, uuid.UUID) { return j.CreatedAt, j.ID })
		return nil
	})
	return out, err
}

// DeleteJourney removes a journey with its hits and progress.
func (s *Service) DeleteJourney(ctx context.Context, tenantID, id uuid.UUID) error {
	return s.inTenant(ctx, tenantID, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, lockKey(tenantID)); err != nil {
			return fmt.Errorf("insights: lock: %w", err)
		}
		tag, err := tx.Exec(ctx, `DELETE FROM insight_journeys WHERE tenant_id = $1 AND id = $2`, tenantID, id)
		if err != nil {
			return pg.Translate(err, "journey")
		}
		if tag.RowsAffected() == 0 {
			return apperr.New(apperr.NotFound, "journey not found")
		}
		return nil
	})
}
