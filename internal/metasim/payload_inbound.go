package metasim

import (
	"fmt"
	"time"
)

// InboundText is a text message a customer sent to a business number.
type InboundText struct {
	From      string // the customer's wa_id
	Name      string // profile name
	WAMID     string
	Timestamp time.Time
	Body      string
}

// ButtonTap is a customer tapping a quick-reply button of a template message.
type ButtonTap struct {
	From      string
	Name      string
	WAMID     string
	Timestamp time.Time
	Payload   string
	Text      string
	// ContextID is the wamid of the template message the button belonged to.
	ContextID string
}

// NumberChange is the system message Meta sends when a customer moves their
// WhatsApp account to a new phone number.
type NumberChange struct {
	OldWAID   string
	NewWAID   string
	Name      string
	WAMID     string
	Timestamp time.Time
}

// UserPreference is a customer stopping or resuming marketing messages.
type UserPreference struct {
	WAID string
	// Value is stop or resume.
	Value     string
	Timestamp time.Time
}

type wireProfile struct {
	Name string `json:"name"`
}

type wireContact struct {
	Profile *wireProfile `json:"profile,omitempty"`
	WAID    string       `json:"wa_id"`
}

type wireMessagesValue struct {
	MessagingProduct string        `json:"messaging_product"`
	Metadata         wireMetadata  `json:"metadata"`
	Contacts         []wireContact `json:"contacts,omitempty"`
	Messages         []wireMessage `json:"messages"`
}

type wireMessage struct {
	Context   *wireContext `json:"context,omitempty"`
	From      string       `json:"from"`
	ID        string       `json:"id"`
	Timestamp string       `json:"timestamp"`
	Type      string       `json:"type"`
	Text      *wireText    `json:"text,omitempty"`
	Button    *wireButton  `json:"button,omitempty"`
	System    *wireSystem  `json:"system,omitempty"`
}

type wireContext struct {
	From string `json:"from"`
	ID   string `json:"id"`
}

type wireText struct {
	Body string `json:"body"`
}

type wireButton struct {
	Payload string `json:"payload"`
	Text    string `json:"text"`
}

type wireSystem struct {
	Body string `json:"body"`
	WAID string `json:"wa_id"`
	Type string `json:"type"`
}

type wirePreferencesValue struct {
	MessagingProduct string               `json:"messaging_product"`
	Metadata         wireMetadata         `json:"metadata"`
	Contacts         []wireContact        `json:"contacts"`
	UserPreferences  []wireUserPreference `json:"user_preferences"`
}

type wireUserPreference struct {
	WAID      string `json:"wa_id"`
	Detail    string `json:"detail"`
	Category  string `json:"category"`
	Value     string `json:"value"`
	Timestamp int64  `json:"timestamp"`
}

// contactList lists each sender once, in order of appearance, as Meta does.
type contactList struct {
	seen map[string]bool
	list []wireContact
}

func (c *contactList) add(waID, name string) {
	if c.seen == nil {
		c.seen = map[string]bool{}
	}
	if c.seen[waID] {
		return
	}
	c.seen[waID] = true
	wc := wireContact{WAID: waID}
	if name != "" {
		wc.Profile = &wireProfile{Name: name}
	}
	c.list = append(c.list, wc)
}

func messagesValue(phoneNumberID, displayNumber string, contacts []wireContact, msgs []wireMessage) wireMessagesValue {
	return wireMessagesValue{
		MessagingProduct: "whatsapp",
		Metadata:         metadata(phoneNumberID, displayNumber),
		Contacts:         contacts,
		Messages:         msgs,
	}
}

// InboundTextChange is a messages change with text messages to one number.
func InboundTextChange(phoneNumberID, displayNumber string, msgs ...InboundText) Change {
	var contacts contactList
	wire := make([]wireMessage, 0, len(msgs))
	for _, m := range msgs {
		contacts.add(m.From, m.Name)
		wire = append(wire, wireMessage{
			From: m.From, ID: m.WAMID, Timestamp: unixString(m.Timestamp),
			Type: "text", Text: &wireText{Body: m.Body},
		})
	}
	return change("messages", messagesValue(phoneNumberID, displayNumber, contacts.list, wire))
}

// InboundTextBody is a webhook body with inbound text messages.
func InboundTextBody(wabaID, phoneNumberID, displayNumber string, msgs ...InboundText) []byte {
	return messagesBody(wabaID, InboundTextChange(phoneNumberID, displayNumber, msgs...))
}

// InboundButtonChange is a messages change with quick-reply button taps. The
// context names the business number as the sender of the template.
func InboundButtonChange(phoneNumberID, displayNumber string, taps ...ButtonTap) Change {
	var contacts contactList
	wire := make([]wireMessage, 0, len(taps))
	for _, t := range taps {
		contacts.add(t.From, t.Name)
		wire = append(wire, wireMessage{
			Context: &wireContext{From: displayNumber, ID: t.ContextID},
			From:    t.From, ID: t.WAMID, Timestamp: unixString(t.Timestamp),
			Type: "button", Button: &wireButton{Payload: t.Payload, Text: t.Text},
		})
	}
	return change("messages", messagesValue(phoneNumberID, displayNumber, contacts.list, wire))
}

// InboundButtonBody is a webhook body with quick-reply button taps.
func InboundButtonBody(wabaID, phoneNumberID, displayNumber string, taps ...ButtonTap) []byte {
	return messagesBody(wabaID, InboundButtonChange(phoneNumberID, displayNumber, taps...))
}

// SystemChangedNumberChange is a messages change with user_changed_number
// system messages. Meta sends no contacts block with system messages.
func SystemChangedNumberChange(phoneNumberID, displayNumber string, changes ...NumberChange) Change {
	wire := make([]wireMessage, 0, len(changes))
	for _, c := range changes {
		wire = append(wire, wireMessage{
			From: c.OldWAID, ID: c.WAMID, Timestamp: unixString(c.Timestamp), Type: "system",
			System: &wireSystem{
				Body: fmt.Sprintf("User %s changed from %s to %s", c.Name, c.OldWAID, c.NewWAID),
				WAID: c.NewWAID,
				Type: "user_changed_number",
			},
		})
	}
	return change("messages", messagesValue(phoneNumberID, displayNumber, nil, wire))
}

// SystemChangedNumberBody is a webhook body with user_changed_number messages.
func SystemChangedNumberBody(wabaID, phoneNumberID, displayNumber string, changes ...NumberChange) []byte {
	return messagesBody(wabaID, SystemChangedNumberChange(phoneNumberID, displayNumber, changes...))
}

// UserPreferencesChange is a user_preferences change: customers stopping or
// resuming marketing messages from the business.
func UserPreferencesChange(phoneNumberID, displayNumber string, prefs ...UserPreference) Change {
	var contacts contactList
	wire := make([]wireUserPreference, 0, len(prefs))
	for _, p := range prefs {
		contacts.add(p.WAID, "")
		wire = append(wire, wireUserPreference{
			WAID:      p.WAID,
			Detail:    fmt.Sprintf("User requested to %s marketing messages", p.Value),
			Category:  "marketing_messages",
			Value:     p.Value,
			Timestamp: p.Timestamp.Unix(),
		})
	}
	return change("user_preferences", wirePreferencesValue{
		MessagingProduct: "whatsapp",
		Metadata:         metadata(phoneNumberID, displayNumber),
		Contacts:         contacts.list,
		UserPreferences:  wire,
	})
}

// UserPreferencesBody is a webhook body with one user_preferences change.
func UserPreferencesBody(wabaID, phoneNumberID, displayNumber string, prefs ...UserPreference) []byte {
	return messagesBody(wabaID, UserPreferencesChange(phoneNumberID, displayNumber, prefs...))
}
