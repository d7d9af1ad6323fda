package optins_test

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/wabsp/wabsp/optins"
)

// ledgerEvent is one generated consent fact.
type ledgerEvent struct {
	contact int
	purpose optins.Purpose
	action  optins.Action
	source  optins.Source
	at      time.Time
}

// TestProjectionIsAFoldOfTheLedger generates random sequences of consent
// facts, written through every path (API, import, conversations, Meta's
// user_preferences) in random order and with colliding times, and checks
// that the stored projection equals a fold of the ledger: per contact,
// purpose and track, the entry latest by (event time, id). Erasing a contact
// afterwards must keep every fact's count and the projection.
func TestProjectionIsAFoldOfTheLedger(t *testing.T) {
	e := newEnv(t)
	e.clock.set(t0.Add(24 * time.Hour))
	const rounds = 12
	for round := range rounds {
		seed := uint64(round + 1)
		t.Run(fmt.Sprintf("seed %d", seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 0x6f707469))
			contacts := make([]string, 1+rng.IntN(3))
			for i := range contacts {
				contacts[i] = fmt.Sprintf("3161%03d%05d", round, i)
			}
			evs := generate(rng, len(contacts), 1+rng.IntN(25))
			e.write(t, round, contacts, evs)

			ids := make([]uuid.UUID, len(contacts))
			for i, wa := range contacts {
				ids[i] = e.mustContact(t, optins.ContactRef{WaID: wa}).ID
			}
			want := fold(t, e, ids)
			for i, id := range ids {
				d, err := e.svc.GetContact(e.ctx, e.tenant, id)
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(want[i], d.Consents); diff != "" {
					t.Fatalf("contact %d: projection differs from the fold (-fold +stored):\n%s", i, diff)
				}
			}

			before := facts(t, e, ids)
			victim := rng.IntN(len(ids))
			if _, err := e.svc.Erase(e.ctx, e.tenant, ids[victim]); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(before, facts(t, e, ids)); diff != "" {
				t.Errorf("erasure changed the facts (-before +after):\n%s", diff)
			}
			d, err := e.svc.GetContact(e.ctx, e.tenant, ids[victim])
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want[victim], d.Consents); diff != "" {
				t.Errorf("erasure changed the projection (-before +after):\n%s", diff)
			}
		})
	}
}

func generate(rng *rand.Rand, contacts, n int) []ledgerEvent {
	purposes := []optins.Purpose{optins.PurposeMarketing, optins.PurposeUtility, optins.PurposeAuthentication, optins.PurposeAll}
	sources := []optins.Source{optins.SourceAPI, optins.SourceWebForm, optins.SourceImport,
		optins.SourceInboundKeyword, optins.SourceUserPreferences}
	out := make([]ledgerEvent, n)
	for i := range out {
		ev := ledgerEvent{
			contact: rng.IntN(contacts),
			purpose: purposes[rng.IntN(len(purposes))],
			action:  []optins.Action{optins.ActionOptIn, optins.ActionOptOut}[rng.IntN(2)],
			source:  sources[rng.IntN(len(sources))],
			// Few distinct minutes, so equal times are common and the id
			// has to break ties.
			at: t0.Add(time.Duration(rng.IntN(6)) * time.Minute),
		}
		switch ev.source {
		case optins.SourceUserPreferences:
			ev.purpose = optins.PurposeMarketing
		case optins.SourceInboundKeyword:
			ev.purpose = optins.PurposeAll
		}
		out[i] = ev
	}
	return out
}

// write records the events through the path their source names, runs of
// import events as one import each.
func (e *env) write(t *testing.T, round int, contacts []string, evs []ledgerEvent) {
	t.Helper()
	for i := 0; i < len(evs); {
		ev := evs[i]
		switch ev.source {
		case optins.SourceUserPreferences:
			value := map[optins.Action]string{optins.ActionOptIn: "resume", optins.ActionOptOut: "stop"}[ev.action]
			e.feed(t, preferences(contacts[ev.contact], value, ev.at.Unix()))
			i++
		case optins.SourceInboundKeyword:
			word := map[optins.Action]string{optins.ActionOptIn: "START", optins.ActionOptOut: "STOP"}[ev.action]
			e.feed(t, inbound(contacts[ev.contact], "", fmt.Sprintf("wamid.p%d.%d", round, i), ev.at.Unix(), text(word)))
			i++
		case optins.SourceImport:
			// Import the run of import events up to the first repeat of a
			// (contact, purpose), which an import refuses.
			var b strings.Builder
			b.WriteString("wa_id,purpose,action,source,occurred_at,note\n")
			seen := map[string]bool{}
			for i < len(evs) && evs[i].source == optins.SourceImport {
				k := fmt.Sprint(evs[i].contact, evs[i].purpose)
				if seen[k] {
					break
				}
				seen[k] = true
				fmt.Fprintf(&b, "%s,%s,%s,import,%s,batch %d\n", contacts[evs[i].contact], evs[i].purpose,
					evs[i].action, evs[i].at.Format(time.RFC3339), round)
				i++
			}
			res, err := e.svc.Import(e.ctx, e.tenant, "tenant:test", optins.FormatCSV, []byte(b.String()), "")
			if err != nil || res.Rejected > 0 {
				t.Fatalf("import: %v %+v", err, res.Errors)
			}
		default:
			in := optins.ConsentInput{
				Contact: optins.ContactRef{WaID: contacts[ev.contact]}, Purpose: ev.purpose, Action: ev.action,
				Source: ev.source, Evidence: optins.Evidence{NoticeText: "notice", IP: "192.0.2.1"}, OccurredAt: ev.at,
			}
			if _, err := e.svc.RecordConsent(e.ctx, e.tenant, "tenant:test", in, ""); err != nil {
				t.Fatal(err)
			}
			i++
		}
	}
}

// fold computes each contact's projection from the ledger alone.
func fold(t *testing.T, e *env, ids []uuid.UUID) [][]optins.ConsentState {
	t.Helper()
	out := make([][]optins.ConsentState, len(ids))
	for i, id := range ids {
		_, hist, err := e.svc.ContactHistory(e.ctx, e.tenant, id)
		if err != nil {
			t.Fatal(err)
		}
		cells := map[optins.Purpose]*optins.ConsentState{}
		for _, h := range hist {
			st := cells[h.Purpose]
			if st == nil {
				st = &optins.ConsentState{Purpose: h.Purpose}
				cells[h.Purpose] = st
			}
			cell := &st.Consent
			if h.Source == optins.SourceUserPreferences {
				cell = &st.Meta
			}
			if *cell == nil || h.OccurredAt.After((*cell).OccurredAt) ||
				(h.OccurredAt.Equal((*cell).OccurredAt) && h.ID > (*cell).EntryID) {
				*cell = &optins.StateEntry{EntryID: h.ID, Action: h.Action, Source: h.Source, OccurredAt: h.OccurredAt}
			}
		}
		out[i] = []optins.ConsentState{}
		for _, p := range optins.Purposes {
			if st := cells[p]; st != nil {
				out[i] = append(out[i], *st)
			}
		}
	}
	return out
}

// facts lists the consent facts of the contacts, without personal fields.
func facts(t *testing.T, e *env, ids []uuid.UUID) []string {
	t.Helper()
	var out []string
	for i, id := range ids {
		_, hist, err := e.svc.ContactHistory(e.ctx, e.tenant, id)
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range hist {
			out = append(out, fmt.Sprintf("%d %d %s %s %s %s %s", i, h.ID, h.Purpose, h.Action, h.Source, h.Actor,
				h.OccurredAt.Format(time.RFC3339)))
		}
	}
	sort.Strings(out)
	return out
}
