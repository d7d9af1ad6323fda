package metasim

import (
	"slices"
	"testing"
	"time"
)

func TestDemoPlaysTheBusinessSideAndStrays(t *testing.T) {
	told := map[string]Send{}
	sc, err := Demo(DemoOptions{
		Numbers: []Number{numberA}, Strays: []Number{numberB}, Seed: 9, Now: steppingClock(500 * time.Millisecond),
		OnSend: func(s Send) error { told[s.WAMID] = s; return nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	taps := map[string][]string{} // customer → payloads in order
	objects := map[string]int{}   // envelope object → bodies
	strays := 0
	playEvents(t, sc, 1500, func(ev Event, w webhook) {
		if ev.Body != nil {
			objects[w.Object]++
		}
		for _, e := range w.Entry {
			if e.ID == wabaB {
				strays++
			}
			for _, c := range e.Changes {
				for _, s := range c.Value.Statuses {
					if send, ok := told[s.ID]; !ok || send.Number != numberA || send.To == "" {
						t.Fatalf("status %s of %s delivered before its send was told (%+v)", s.Status, s.ID, send)
					}
				}
				for _, m := range c.Value.Messages {
					if m.Type == "button" {
						taps[m.From] = append(taps[m.From], m.Button.Payload)
					}
				}
			}
		}
	})
	if len(told) == 0 {
		t.Fatal("no send told in 1500 demo events")
	}
	if objects["page"] == 0 || objects["whatsapp_business_account"] == 0 {
		t.Errorf("bodies by object %v, want some of another product among the WABA webhooks", objects)
	}
	if strays == 0 {
		t.Error("no webhook for the unregistered WABA in 1500 demo events")
	}
	continued := 0
	for _, ps := range taps {
		if i := slices.Index(ps, "ORDER_STATUS"); i >= 0 && slices.Contains(ps[i+1:], "YES") {
			continued++
		}
	}
	if continued == 0 {
		t.Errorf("no customer tapped YES after ORDER_STATUS in 1500 demo events (%v)", taps)
	}
}
