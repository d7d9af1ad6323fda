package metasim

import (
	"encoding/json"
	"strconv"
	"time"
)

// Object is the top-level "object" of every WhatsApp Business webhook.
const Object = "whatsapp_business_account"

// Entry is one element of a webhook's entry[]: the changes Meta reports for
// one object (a WABA, or for partner events a business portfolio).
type Entry struct {
	ID string
	// Time becomes entry.time (integer seconds). Meta leaves it out of
	// messages-field entries, so a zero Time omits the key.
	Time    time.Time
	Changes []Change
}

// Change is one element of entry.changes[]: a field name and its value.
type Change struct {
	Field string
	Value json.RawMessage
}

type wireEnvelope struct {
	Object string      `json:"object"`
	Entry  []wireEntry `json:"entry"`
}

type wireEntry struct {
	ID      string       `json:"id"`
	Time    *int64       `json:"time,omitempty"`
	Changes []wireChange `json:"changes"`
}

type wireChange struct {
	Field string          `json:"field"`
	Value json.RawMessage `json:"value"`
}

// Body assembles entries into one webhook body. Meta batches several entries
// and several changes per entry into one POST; receivers must walk them all.
func Body(entries ...Entry) []byte {
	env := wireEnvelope{Object: Object, Entry: make([]wireEntry, 0, len(entries))}
	for _, e := range entries {
		we := wireEntry{ID: e.ID, Changes: make([]wireChange, 0, len(e.Changes))}
		if !e.Time.IsZero() {
			t := e.Time.Unix()
			we.Time = &t
		}
		for _, c := range e.Changes {
			we.Changes = append(we.Changes, wireChange(c))
		}
		env.Entry = append(env.Entry, we)
	}
	return mustMarshal(env)
}

// wabaBody is the single-entry, single-change body most builders return.
func wabaBody(at time.Time, entryID string, c Change) []byte {
	return Body(Entry{ID: entryID, Time: at, Changes: []Change{c}})
}

// messagesBody wraps a messages-style change (no entry.time, like Meta).
func messagesBody(wabaID string, c Change) []byte {
	return Body(Entry{ID: wabaID, Changes: []Change{c}})
}

func change(field string, value any) Change {
	return Change{Field: field, Value: mustMarshal(value)}
}

// mustMarshal encodes values built from strings, numbers, bools, slices and
// maps only; json.Marshal cannot fail on those, so a failure is a programming
// error in this package.
func mustMarshal(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic("metasim: marshal webhook payload: " + err.Error())
	}
	return b
}

// unixString renders t the way messages and statuses carry timestamps: a
// decimal string, unlike the integers of every other field.
func unixString(t time.Time) string {
	return strconv.FormatInt(t.Unix(), 10)
}
