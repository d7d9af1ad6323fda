package insights_test

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wabsp/wabsp/insights"
	"github.com/wabsp/wabsp/internal/metasim"
)

// randomDay scripts a day of conversations with 8 contacts: inbound texts,
// business replies with their statuses, quoted replies and annotations.
// Each element is one webhook body or one API call.
func randomDay(e *env, seed uint64) []func(t *testing.T) {
	r := rand.New(rand.NewPCG(seed, 1))
	var steps []func(t *testing.T)
	agents := []string{"alice", "bob", ""}
	for c := range 8 {
		to := fmt.Sprintf("55119888%05d", c)
		clock := at("2026-10-05T11:00:00Z").Add(time.Duration(r.IntN(3600)) * time.Second)
		lastOut := ""
		for k := range 6 {
			clock = clock.Add(time.Duration(1+r.IntN(900)) * time.Second)
			if r.IntN(5) == 0 {
				clock = clock.Add(25 * time.Hour) // a new conversation
			}
			if r.IntN(2) == 0 {
				msg := metasim.ButtonTap{From: to, Name: "x", WAMID: fmt.Sprintf("in.%d.%d", c, k), Timestamp: clock,
					Payload: "P", Text: "p", ContextID: lastOut}
				if lastOut != "" && r.IntN(2) == 0 {
					steps = append(steps, func(t *testing.T) { e.deliver(t, e.taps(msg)) })
				} else {
					tx := metasim.InboundText{From: to, Name: "x", WAMID: msg.WAMID, Timestamp: clock, Body: "hi"}
					steps = append(steps, func(t *testing.T) { e.deliver(t, e.texts(tx)) })
				}
				continue
			}
			wamid := fmt.Sprintf("out.%d.%d", c, k)
			lastOut = wamid
			for i, st := range []string{"sent", "delivered", "read"} {
				if i > 0 && r.IntN(3) == 0 {
					break
				}
				s := metasim.Status{WAMID: wamid, Status: st, Timestamp: clock.Add(time.Duration(i*7) * time.Second), RecipientID: to}
				steps = append(steps, func(t *testing.T) { e.deliver(t, e.statuses(s)) })
			}
			a := insights.Annotation{WAMID: wamid, Agent: agents[r.IntN(3)], Campaign: "c" + fmt.Sprint(c%2)}
			a.Automated = a.Agent == ""
			steps = append(steps, func(t *testing.T) { e.annotate(t, a) })
		}
	}
	return steps
}

type snapshot struct {
	Funnel    insights.Funnel
	Responses insights.ResponseTimes
	Hours     insights.BusiestHours
	Contacts  insights.ContactActivity
}

func snap(t *testing.T, e *env) snapshot {
	t.Helper()
	r := insights.Range{From: day("2026-10-01"), To: day("2026-10-15")}
	var s snapshot
	var err error
	s.Funnel, err = e.insights.Funnel(e.ctx, e.tenant.ID, insights.FunnelQuery{Range: r, GroupBy: []string{insights.ByCampaign}})
	must(t, err)
	s.Responses, err = e.insights.ResponseTimes(e.ctx, e.tenant.ID, insights.ResponseQuery{Range: r, GroupBy: insights.ByAgent})
	must(t, err)
	s.Hours, err = e.insights.BusiestHours(e.ctx, e.tenant.ID, insights.HoursQuery{Range: r})
	must(t, err)
	s.Contacts, err = e.insights.ContactActivity(e.ctx, e.tenant.ID, insights.ContactsQuery{Range: r})
	must(t, err)
	return s
}

// TestArrivalOrder plays the same events in order and in shuffled orders:
// Meta delivers out of order and annotations come whenever the business
// sends them, so every order must give the same numbers, each equal to a
// recount of the raw events.
func TestArrivalOrder(t *testing.T) {
	in := newEnv(t)
	for _, step := range randomDay(in, 7) {
		step(t)
	}
	in.mustRecount(t, in.tenant.ID)
	want := snap(t, in)
	if want.Responses.Total.Response.Answered == 0 || want.Funnel.Total.Replied == 0 {
		t.Fatalf("the script exercises too little: %+v", want.Responses.Total)
	}
	for _, seed := range []uint64{1, 2} {
		t.Run(fmt.Sprintf("shuffle %d", seed), func(t *testing.T) {
			e := newEnv(t)
			steps := randomDay(e, 7)
			rand.New(rand.NewPCG(seed, 9)).Shuffle(len(steps), func(i, j int) { steps[i], steps[j] = steps[j], steps[i] })
			for _, step := range steps {
				step(t)
			}
			e.mustRecount(t, e.tenant.ID)
			if diff := cmp.Diff(want, snap(t, e), approx); diff != "" {
				t.Errorf("numbers depend on arrival order (-in order +shuffled):\n%s", diff)
			}
		})
	}
}
