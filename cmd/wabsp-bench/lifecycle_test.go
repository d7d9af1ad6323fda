package main

import (
	"encoding/json"
	"testing"
	"time"
)

type wireBody struct {
	Entry []struct {
		Changes []struct {
			Value struct {
				Metadata struct {
					PhoneNumberID string `json:"phone_number_id"`
				} `json:"metadata"`
				Statuses []struct {
					ID        string `json:"id"`
					Status    string `json:"status"`
					Timestamp string `json:"timestamp"`
				} `json:"statuses"`
			} `json:"value"`
		} `json:"changes"`
	} `json:"entry"`
}

// TestLifecycleBodies checks the traffic of --lifecycle over 30 s of it:
// every status is new, so rows still count statuses; every delivered and
// read follows its message's sent on the same number, no earlier in time;
// and once the first 10 s are past, two statuses in three are rewrites.
func TestLifecycleBodies(t *testing.T) {
	e := &benchEnv{
		o:            options{lifecycle: true, perBody: 50, e2eRate: 1000},
		secret:       []byte("s"),
		trafficStart: time.Date(2026, 12, 7, 20, 0, 0, 0, time.UTC),
		waba:         []seededNumber{{"w1", "p1", "+1 555 0001"}, {"w2", "p2", "+1 555 0002"}, {"w3", "p3", "+1 555 0003"}},
	}
	type sentAt struct {
		phone string
		at    string
	}
	sent := map[string]sentAt{}
	seen := map[[2]string]bool{}
	const bodies = 600 // 30 s at 20 bodies a second
	rewrites, lateStatuses := 0, 0
	for i := range int64(bodies) {
		var b wireBody
		if err := json.Unmarshal(e.e2eBody(i).raw, &b); err != nil {
			t.Fatal(err)
		}
		v := b.Entry[0].Changes[0].Value
		if len(v.Statuses) != e.o.perBody {
			t.Fatalf("body %d: %d statuses, want %d", i, len(v.Statuses), e.o.perBody)
		}
		for _, s := range v.Statuses {
			k := [2]string{s.ID, s.Status}
			if seen[k] {
				t.Fatalf("body %d repeats %s %s", i, s.ID, s.Status)
			}
			seen[k] = true
			if i >= 200 {
				lateStatuses++
			}
			if s.Status == "sent" {
				sent[s.ID] = sentAt{v.Metadata.PhoneNumberID, s.Timestamp}
				continue
			}
			first, ok := sent[s.ID]
			switch {
			case !ok:
				t.Fatalf("body %d: %s %s before its sent", i, s.ID, s.Status)
			case first.phone != v.Metadata.PhoneNumberID:
				t.Fatalf("body %d: %s %s on %s, sent on %s", i, s.ID, s.Status, v.Metadata.PhoneNumberID, first.phone)
			case s.Timestamp < first.at:
				t.Fatalf("body %d: %s %s at %s, before its sent at %s", i, s.ID, s.Status, s.Timestamp, first.at)
			}
			if i >= 200 {
				rewrites++
			}
		}
	}
	if share := float64(rewrites) / float64(lateStatuses); share < 0.64 || share > 0.67 {
		t.Errorf("%d of %d statuses after the first 10 s rewrite a message (%.2f), want two in three", rewrites, lateStatuses, share)
	}
}
