package metasim

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"
)

// Meta's messaging rate limits, which POST /{phone_number_id}/messages
// enforces: 80 messages a second per number (1,000 once raised to HIGH),
// and per business–user pair one message every six seconds with bursts of
// up to 45 borrowed from the future.
const (
	DefaultThroughput = 80
	HighThroughput    = 1000
	PairBurst         = 45
	PairInterval      = 6 * time.Second
)

// SentMessage is one send the simulator accepted.
type SentMessage struct {
	At            time.Time
	PhoneNumberID string
	To            string
	Type          string
	WAMID         string
	Body          json.RawMessage
}

// SendFailure is an error the next sends to a recipient answer with, for
// tests of retries: Times sends fail with Code, then sends succeed.
type SendFailure struct {
	To     string
	Code   int
	Status int
	Times  int
}

// sendState is the messaging side of the simulator; guarded by Graph.mu.
type sendState struct {
	sent     []SentMessage
	window   map[string][]time.Time // per number, accepted in the last second
	pairs    map[string]*pairBucket // per number and recipient
	failures []*SendFailure
	refused  map[int]int // per error code
}

type pairBucket struct {
	tokens float64
	at     time.Time
}

func (s *sendState) init() {
	if s.window == nil {
		s.window, s.pairs, s.refused = map[string][]time.Time{}, map[string]*pairBucket{}, map[int]int{}
	}
}

// FailSends makes the next f.Times sends to f.To fail with f.Code.
func (g *Graph) FailSends(f SendFailure) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.sends.failures = append(g.sends.failures, &f)
}

// Sent returns the sends accepted so far, oldest first.
func (g *Graph) Sent() []SentMessage {
	g.mu.Lock()
	defer g.mu.Unlock()
	return slices.Clone(g.sends.sent)
}

// Refused returns how many sends were refused with each error code.
func (g *Graph) Refused() map[int]int {
	g.mu.Lock()
	defer g.mu.Unlock()
	out := map[int]int{}
	for k, v := range g.sends.refused {
		out[k] = v
	}
	return out
}

// MaxPerSecond is the most sends the number had accepted within any one
// second: the measure a throughput test holds against the limit.
func (g *Graph) MaxPerSecond(phoneNumberID string) int {
	var at []time.Time
	for _, m := range g.Sent() {
		if m.PhoneNumberID == phoneNumberID {
			at = append(at, m.At)
		}
	}
	most, lo := 0, 0
	for hi := range at {
		for at[hi].Sub(at[lo]) >= time.Second {
			lo++
		}
		most = max(most, hi-lo+1)
	}
	return most
}

// messagesPath reports the phone number id of a POST /{v}/{id}/messages.
func messagesPath(r *http.Request) (string, bool) {
	if r.Method != http.MethodPost {
		return "", false
	}
	segs := strings.FieldsFunc(r.URL.Path, func(c rune) bool { return c == '/' })
	if len(segs) > 0 && versionSegment.MatchString(segs[0]) {
		segs = segs[1:]
	}
	if len(segs) != 2 || segs[1] != "messages" {
		return "", false
	}
	return segs[0], true
}

type sendBody struct {
	MessagingProduct string `json:"messaging_product"`
	To               string `json:"to"`
	Type             string `json:"type"`
}

// serveMessage answers a send: the raw JSON body is kept for assertions.
func (g *Graph) serveMessage(w http.ResponseWriter, r *http.Request, phoneID string) {
	raw, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	var body sendBody
	if err == nil {
		err = json.Unmarshal(raw, &body)
	}
	token, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	g.mu.Lock()
	res := g.send(phoneID, token, body, raw, err)
	g.calls = append(g.calls, Call{At: g.now(), Method: r.Method, Path: r.URL.Path, Object: phoneID,
		Edge: "messages", WABAID: res.wabaID, Status: res.status, ErrorCode: res.errCode})
	g.mu.Unlock()
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(res.status)
	_ = json.NewEncoder(w).Encode(res.body)
}

// send runs with g.mu held.
func (g *Graph) send(phoneID, token string, b sendBody, raw []byte, decodeErr error) graphResult {
	g.sends.init()
	ps, ok := g.phones[phoneID]
	if !ok || g.wabas[ps.WABAID] == nil || g.wabas[ps.WABAID].AccessToken != token {
		if !g.tokenKnown(token) {
			return g.refuse(errBadToken(token == ""))
		}
		return g.refuse(errNoObject(http.MethodPost, phoneID))
	}
	switch {
	case decodeErr != nil || b.MessagingProduct != "whatsapp":
		return g.refuse(errParam("The parameter messaging_product is required."))
	case b.To == "" || b.Type == "":
		return g.refuse(errParam("The parameters to and type are required."))
	}
	now := g.now()
	if e := g.failure(b.To); e != nil {
		return g.refuse(e)
	}
	if !g.admitNumber(ps, now) {
		return g.refuse(&graphError{status: http.StatusBadRequest, Code: 130429, Type: "OAuthException",
			Message: "(#130429) Rate limit hit: Cloud API message throughput has been reached."})
	}
	if !g.admitPair(phoneID+"/"+b.To, now) {
		return g.refuse(&graphError{status: http.StatusBadRequest, Code: 131056, Type: "OAuthException",
			Message: "(#131056) (Business Account, Consumer Account) pair rate limit hit"})
	}
	g.seq++
	wamid := fmt.Sprintf("wamid.SIM%s%012d", phoneID, g.seq)
	g.sends.window[phoneID] = append(g.sends.window[phoneID], now)
	g.sends.sent = append(g.sends.sent, SentMessage{At: now, PhoneNumberID: phoneID, To: b.To, Type: b.Type,
		WAMID: wamid, Body: json.RawMessage(raw)})
	return graphResult{status: http.StatusOK, wabaID: ps.WABAID, body: map[string]any{
		"messaging_product": "whatsapp",
		"contacts":          []any{map[string]any{"input": b.To, "wa_id": strings.TrimPrefix(b.To, "+")}},
		"messages":          []any{map[string]any{"id": wamid, "message_status": "accepted"}},
	}}
}

func (g *Graph) refuse(e *graphError) graphResult {
	g.sends.refused[e.Code]++
	return g.fail(e)
}

// failure consumes an injected failure for the recipient.
func (g *Graph) failure(to string) *graphError {
	for i, f := range g.sends.failures {
		if f.To != to || f.Times <= 0 {
			continue
		}
		f.Times--
		if f.Times == 0 {
			g.sends.failures = slices.Delete(g.sends.failures, i, i+1)
		}
		status := f.Status
		if status == 0 {
			status = http.StatusBadRequest
		}
		return &graphError{status: status, Code: f.Code, Type: "OAuthException",
			Message: fmt.Sprintf("(#%d) simulated failure", f.Code), IsTransient: status >= 500}
	}
	return nil
}

// admitNumber holds the number to its throughput over a sliding second.
func (g *Graph) admitNumber(ps *phoneState, now time.Time) bool {
	limit := DefaultThroughput
	if strings.EqualFold(ps.ThroughputLevel, "HIGH") {
		limit = HighThroughput
	}
	w := g.sends.window[ps.ID]
	i := 0
	for i < len(w) && now.Sub(w[i]) >= time.Second {
		i++
	}
	w = w[i:]
	g.sends.window[ps.ID] = w
	return len(w) < limit
}

// admitPair is a token bucket of PairBurst refilled one per PairInterval.
func (g *Graph) admitPair(key string, now time.Time) bool {
	b, ok := g.sends.pairs[key]
	if !ok {
		b = &pairBucket{tokens: PairBurst, at: now}
		g.sends.pairs[key] = b
	}
	b.tokens = min(PairBurst, b.tokens+now.Sub(b.at).Seconds()/PairInterval.Seconds())
	b.at = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}
