package metasim

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

func (f *graphFixture) sendText(t *testing.T, phoneID, token, to string) graphReply {
	t.Helper()
	body := fmt.Sprintf(`{"messaging_product":"whatsapp","to":%q,"type":"text","text":{"body":"hi"}}`, to)
	return f.do(t, http.MethodPost, "/v25.0/"+phoneID+"/messages", token, strings.NewReader(body))
}

func TestSendAccepted(t *testing.T) {
	f := newGraphFixture(t, 1)
	r := f.sendText(t, f.phones[0].ID, tokenA, "16505551234")
	if r.status != http.StatusOK {
		t.Fatalf("status %d: %v", r.status, r.body)
	}
	msgs, _ := r.body["messages"].([]any)
	if len(msgs) != 1 {
		t.Fatalf("messages = %v", r.body["messages"])
	}
	wamid, _ := msgs[0].(map[string]any)["id"].(string)
	sent := f.graph.Sent()
	if len(sent) != 1 || sent[0].WAMID != wamid || sent[0].To != "16505551234" || sent[0].Type != "text" {
		t.Errorf("Sent() = %+v, answered wamid %q", sent, wamid)
	}
}

func TestSendRefusals(t *testing.T) {
	tests := []struct {
		name  string
		phone func(*graphFixture) string
		token string
		body  string
		code  float64
	}{
		{"no token", func(f *graphFixture) string { return f.phones[0].ID }, "", `{}`, 190},
		{"other WABA's token", func(f *graphFixture) string { return f.phones[0].ID }, tokenB, `{}`, 100},
		{"unknown number", func(*graphFixture) string { return "999" }, tokenA, `{}`, 100},
		{"no messaging_product", func(f *graphFixture) string { return f.phones[0].ID }, tokenA, `{"to":"1","type":"text"}`, 100},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newGraphFixture(t, 1)
			r := f.do(t, http.MethodPost, "/v25.0/"+tc.phone(f)+"/messages", tc.token, strings.NewReader(tc.body))
			if code, _ := errorCode(r); code != tc.code || r.status == http.StatusOK {
				t.Errorf("status %d code %v, want code %v", r.status, code, tc.code)
			}
			if n := len(f.graph.Sent()); n != 0 {
				t.Errorf("%d sends accepted", n)
			}
		})
	}
}

func TestSendThroughputPerNumber(t *testing.T) {
	tests := []struct {
		name  string
		level string
		limit int
	}{
		{"default", "", DefaultThroughput},
		{"raised", "HIGH", HighThroughput},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newGraphFixture(t, 1)
			id := f.phones[0].ID
			if err := f.graph.SetThroughput(id, tc.level); err != nil {
				t.Fatal(err)
			}
			for i := range tc.limit + 10 {
				f.sendText(t, id, tokenA, fmt.Sprintf("1650555%04d", i))
			}
			if got := f.graph.MaxPerSecond(id); got != tc.limit {
				t.Errorf("MaxPerSecond = %d, want %d", got, tc.limit)
			}
			if got := f.graph.Refused()[130429]; got != 10 {
				t.Errorf("refused with 130429: %d, want 10", got)
			}
			f.clock.Advance(time.Second)
			if r := f.sendText(t, id, tokenA, "16509999999"); r.status != http.StatusOK {
				t.Errorf("after a second: status %d %v", r.status, r.body)
			}
		})
	}
}

func TestSendPairRate(t *testing.T) {
	f := newGraphFixture(t, 1)
	id := f.phones[0].ID
	for range PairBurst {
		if r := f.sendText(t, id, tokenA, "16505551234"); r.status != http.StatusOK {
			t.Fatalf("within the burst: %d %v", r.status, r.body)
		}
		f.clock.Advance(time.Second / 10) // under the number's limit
	}
	r := f.sendText(t, id, tokenA, "16505551234")
	if code, _ := errorCode(r); code != 131056 {
		t.Fatalf("past the burst: code %v, want 131056", code)
	}
	if r := f.sendText(t, id, tokenA, "16505550000"); r.status != http.StatusOK {
		t.Errorf("another user is not paced: %d", r.status)
	}
	f.clock.Advance(PairInterval)
	if r := f.sendText(t, id, tokenA, "16505551234"); r.status != http.StatusOK {
		t.Errorf("after the interval: %d %v", r.status, r.body)
	}
}

func TestSendInjectedFailures(t *testing.T) {
	f := newGraphFixture(t, 1)
	id := f.phones[0].ID
	f.graph.FailSends(SendFailure{To: "16505551234", Code: 131000, Status: http.StatusInternalServerError, Times: 2})
	for i := range 2 {
		r := f.sendText(t, id, tokenA, "16505551234")
		if code, _ := errorCode(r); code != 131000 || r.status != http.StatusInternalServerError {
			t.Fatalf("attempt %d: %d code %v", i, r.status, code)
		}
	}
	if r := f.sendText(t, id, tokenA, "16505551234"); r.status != http.StatusOK {
		t.Errorf("third attempt: %d %v", r.status, r.body)
	}
}
