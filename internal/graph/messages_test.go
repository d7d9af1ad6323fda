package graph_test

import (
	"errors"
	"net/http"
	"testing"

	"github.com/wabsp/wabsp/internal/graph"
	"github.com/wabsp/wabsp/internal/metasim"
)

func TestSendMessage(t *testing.T) {
	e := newEnv(t, 200)
	e.waba(t, "111", 1, 0)
	phone := e.sim.PhoneNumbers("111")[0].ID
	body := []byte(`{"messaging_product":"whatsapp","to":"16505551234","type":"text","text":{"body":"hi"}}`)
	s, err := e.client.SendMessage(t.Context(), token, phone, body)
	if err != nil {
		t.Fatal(err)
	}
	sent := e.sim.Sent()
	if len(sent) != 1 || sent[0].WAMID != s.WAMID || s.WaID != "16505551234" || s.Status != "accepted" {
		t.Errorf("SendMessage = %+v, simulator sent %+v", s, sent)
	}

	e.sim.FailSends(metasim.SendFailure{To: "16505551234", Code: 131026, Times: 1})
	_, err = e.client.SendMessage(t.Context(), token, phone, body)
	var ge *graph.Error
	if !errors.As(err, &ge) || ge.Code != 131026 || ge.Status != http.StatusBadRequest || ge.Temporary() {
		t.Errorf("undeliverable: %v", err)
	}
	if _, err := e.client.SendMessage(t.Context(), "wrong", phone, body); !errors.As(err, &ge) || ge.Code != 190 {
		t.Errorf("bad token: %v", err)
	}
}
