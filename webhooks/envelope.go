package webhooks

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// ObjectWABA is the envelope object of every WhatsApp Business Account webhook.
const ObjectWABA = "whatsapp_business_account"

// Envelope is a decoded webhook body. Change values stay raw: they are
// decoded per field only when applied, so a field whose shape drifts cannot
// spoil the rest of the body.
type Envelope struct {
	Object string  `json:"object"`
	Entry  []Entry `json:"entry"`
}

// Entry is one element of entry[]: usually one WABA, for partner
// account_update events a business portfolio.
type Entry struct {
	ID FlexString `json:"id"`
	// Time is entry.time in unix seconds; messages entries carry none.
	Time    FlexInt       `json:"time"`
	Changes []EntryChange `json:"changes"`
}

// EntryChange is one element of changes[].
type EntryChange struct {
	Field string          `json:"field"`
	Value json.RawMessage `json:"value"`
}

// ErrNotEnvelope marks bodies that are not whatsapp_business_account webhooks.
var ErrNotEnvelope = errors.New("not a whatsapp_business_account webhook")

// DecodeEnvelope decodes and checks a raw webhook body. It accepts only a JSON
// object whose object is whatsapp_business_account, with at least one entry,
// every entry naming an id and holding a changes array, and every change
// naming its field and carrying an object value. Anything else is an error
// wrapping ErrNotEnvelope (or the JSON syntax error), never a partial result.
func DecodeEnvelope(raw []byte) (*Envelope, error) {
	trimmed := bytes.TrimSpace(raw)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return nil, fmt.Errorf("%w: body is not a JSON object", ErrNotEnvelope)
	}
	var env Envelope
	if err := json.Unmarshal(trimmed, &env); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNotEnvelope, err)
	}
	if err := env.check(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNotEnvelope, err)
	}
	return &env, nil
}

func (env *Envelope) check() error {
	if env.Object != ObjectWABA {
		return fmt.Errorf("object is %q", env.Object)
	}
	if len(env.Entry) == 0 {
		return errors.New("no entry")
	}
	for i, e := range env.Entry {
		if e.ID == "" {
			return fmt.Errorf("entry[%d]: no id", i)
		}
		if e.Changes == nil {
			return fmt.Errorf("entry[%d]: no changes", i)
		}
		for j, c := range e.Changes {
			if c.Field == "" {
				return fmt.Errorf("entry[%d].changes[%d]: no field", i, j)
			}
			if len(c.Value) == 0 || c.Value[0] != '{' {
				return fmt.Errorf("entry[%d].changes[%d]: value is not an object", i, j)
			}
		}
	}
	return nil
}

// ChangeCount returns how many changes the envelope holds across its entries.
func (env *Envelope) ChangeCount() int {
	n := 0
	for _, e := range env.Entry {
		n += len(e.Changes)
	}
	return n
}
