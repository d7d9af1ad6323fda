package insights

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/wabsp/wabsp/internal/apperr"
)

// MaxBatch bounds the items of one bulk write.
const MaxBatch = 1000

// AnnotateResult says what a write of annotations did.
type AnnotateResult struct {
	// Annotated is the number of messages annotated.
	Annotated int `json:"annotated"`
	// Seen is how many of them Meta had already reported a status for; the
	// others count once their statuses arrive.
	Seen int `json:"seen"`
}

func (a Annotation) validate(field string) error {
	short := map[string]string{"template_name": a.TemplateName, "template_language": a.TemplateLanguage,
		"agent": a.Agent, "campaign": a.Campaign, "journey_step": a.JourneyStep, "variant": a.Variant}
	switch {
	case a.WAMID == "" || len(a.WAMID) > 256:
		return apperr.InvalidField(field+"wamid", "1-256 characters")
	case a.Experiment != "" && !keyRE.MatchString(a.Experiment):
		return apperr.InvalidField(field+"experiment", "an experiment key")
	case a.Journey != "" && !keyRE.MatchString(a.Journey):
		return apperr.InvalidField(field+"journey", "a journey key")
	case a.Variant != "" && a.Experiment == "":
		return apperr.InvalidField(field+"variant", "needs experiment")
	case a.JourneyStep != "" && a.Journey == "":
		return apperr.InvalidField(field+"journey_step", "needs journey")
	}
	for name, v := range short {
		if len(v) > 200 {
			return apperr.InvalidField(field+name, "at most 200 characters")
		}
	}
	return nil
}

// Annotate records what the business knows about outbound messages. An
// annotation replaces the message's earlier one; it counts as soon as the
// message's statuses are in, whichever arrives first. key, when not empty,
// makes the write idempotent: the same key and request return the first
// result.
func (s *Service) Annotate(ctx context.Context, tenantID uuid.UUID, anns []Annotation, key string) (AnnotateResult, error) {
	if len(anns) == 0 || len(anns) > MaxBatch {
		return AnnotateResult{}, apperr.InvalidField("annotations", fmt.Sprintf("1-%d annotations", MaxBatch))
	}
	for i, a := range anns {
		prefix := ""
		if len(anns) > 1 {
			prefix = fmt.Sprintf("annotations[%d].", i)
		}
		if err := a.validate(prefix); err != nil {
			return AnnotateResult{}, err
		}
	}
	req, err := json.Marshal(anns)
	if err != nil {
		return AnnotateResult{}, fmt.Errorf("insights: encode request: %w", err)
	}
	var res AnnotateResult
	err = s.inTenant(ctx, tenantID, func(tx pgx.Tx) error {
		res, _, err = idempotent(ctx, tx, tenantID, "annotate", key, req, func() (AnnotateResult, error) {
			u := newUnit(tenantID, s.now())
			u.anyThread = true
			in := input{annotations: anns}
			if err := u.load(ctx, tx, in); err != nil {
				return AnnotateResult{}, err
			}
			r := AnnotateResult{}
			seen := map[string]bool{}
			for _, a := range anns {
				if !seen[a.WAMID] {
					seen[a.WAMID] = true
					r.Annotated++
					if old, ok := u.old[a.WAMID]; ok && !old.at.IsZero() {
						r.Seen++
					}
				}
			}
			u.fold(in)
			return r, u.write(ctx, tx)
		})
		return err
	})
	return res, err
}

// Event is something the business reports about a contact that Meta never
// sees (an order placed, a form submitted), for journey steps.
type Event struct {
	// ID makes reporting idempotent: an event whose ID is stored is skipped.
	ID      string    `json:"id"`
	Contact string    `json:"contact"`
	Name    string    `json:"name"`
	At      time.Time `json:"at"`
}

// RecordEvents stores reported events and matches them against journeys.
// It returns how many were new.
func (s *Service) RecordEvents(ctx context.Context, tenantID uuid.UUID, events []Event) (int, error) {
	if len(events) == 0 || len(events) > MaxBatch {
		return 0, apperr.InvalidField("events", fmt.Sprintf("1-%d events", MaxBatch))
	}
	for i := range events {
		e := &events[i]
		field := fmt.Sprintf("events[%d].", i)
		if e.ID == "" {
			e.ID = newID().String()
		}
		switch {
		case len(e.ID) > 200:
			return 0, apperr.InvalidField(field+"id", "at most 200 characters")
		case e.Contact == "" || len(e.Contact) > 160:
			return 0, apperr.InvalidField(field+"contact", "1-160 characters")
		case e.Name == "" || len(e.Name) > 256:
			return 0, apperr.InvalidField(field+"name", "1-256 characters")
		case e.At.IsZero():
			return 0, apperr.InvalidField(field+"at", "required")
		}
		e.At = e.At.UTC().Truncate(time.Microsecond)
	}
	var added int
	err := s.inTenant(ctx, tenantID, func(tx pgx.Tx) error {
		u := newUnit(tenantID, s.now())
		in := input{events: events}
		if err := u.load(ctx, tx, in); err != nil {
			return err
		}
		ids := make([]string, len(events))
		for i, e := range events {
			ids[i] = e.ID
		}
		stored := map[string]bool{}
		rows, _ := tx.Query(ctx, `SELECT id FROM insight_events WHERE tenant_id = $1 AND id = ANY($2::text[])`, tenantID, ids)
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return fmt.Errorf("insights: scan event: %w", err)
			}
			stored[id] = true
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("insights: read events: %w", err)
		}
		var fresh []Event
		for _, e := range events {
			if !stored[e.ID] {
				stored[e.ID] = true
				fresh = append(fresh, e)
			}
		}
		added = len(fresh)
		u.fold(input{events: fresh})
		return u.write(ctx, tx)
	})
	return added, err
}

// foldEvents adds new events and the journey steps they reach.
func (u *unit) foldEvents(events []Event) {
	for _, e := range events {
		u.events = append(u.events, e)
		for i := range u.journeys {
			j := &u.journeys[i]
			if st := j.stepFor(MatchEvent, e.Name); st > 0 {
				u.hits = append(u.hits, hitRow{j.ID, "ev:" + e.ID, int16(st), e.Contact, e.At})
			}
		}
	}
}

func (u *unit) queueEvents(b *pgx.Batch) {
	if len(u.events) == 0 {
		return
	}
	n := len(u.events)
	ids, contacts, names, ats := make([]string, n), make([]string, n), make([]string, n), make([]time.Time, n)
	for i, e := range u.events {
		ids[i], contacts[i], names[i], ats[i] = e.ID, e.Contact, e.Name, e.At
	}
	b.Queue(`INSERT INTO insight_events (tenant_id, id, contact, name, at)
		SELECT $1, u.* FROM unnest($2::text[], $3::text[], $4::text[], $5::timestamptz[]) AS u
		ON CONFLICT DO NOTHING`, u.tenantID, ids, contacts, names, ats)
	u.queuedWrites++
}
