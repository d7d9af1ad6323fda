package metasim

import "time"

// Status is one delivery status of an outbound message.
type Status struct {
	WAMID string
	// Status is sent, delivered, read, played or failed (an open set).
	Status      string
	Timestamp   time.Time
	RecipientID string
	// Pricing rides on sent and on exactly one of delivered/read; nil omits it.
	Pricing *Pricing
	// Conversation is the legacy conversation block; v24+ webhooks only carry
	// it inside a free entry point window. Nil omits it.
	Conversation *Conversation
	// Errors explain a failed status.
	Errors []MessageError
}

// Pricing is the pricing object of a status webhook.
type Pricing struct {
	Billable bool
	// Model is PMP, or CBP for webhooks from before July 2025.
	Model string
	// Type is regular, free_customer_service or free_entry_point; CBP
	// webhooks had none, so an empty Type omits the key.
	Type     string
	Category string
}

// Conversation is the legacy conversation block of a status webhook.
type Conversation struct {
	ID string
	// Expiration is only sent with the sent status; zero omits it.
	Expiration time.Time
	OriginType string
}

// MessageError is one element of errors[] in a status or message. Meta sends
// the same text as title and message.
type MessageError struct {
	Code    int
	Title   string
	Details string
	// Href points at Meta's error-code page; some errors come without it.
	Href string
}

// Errors Meta reports on failed statuses, with Meta's own wording.
var (
	// HealthyEcosystemError is the per-user marketing limit (131049).
	HealthyEcosystemError = MessageError{
		Code:    131049,
		Title:   "This message was not delivered to maintain healthy ecosystem engagement.",
		Details: "In order to maintain a healthy ecosystem engagement, the message failed to be delivered.",
		Href:    errorCodesHref,
	}
	// UndeliverableError is a message that could not reach the user (131026).
	UndeliverableError = MessageError{
		Code:    131026,
		Title:   "Message undeliverable",
		Details: "Message Undeliverable.",
		Href:    errorCodesHref,
	}
)

const errorCodesHref = "/documentation/business-messaging/whatsapp/support/error-codes"

type wireMetadata struct {
	DisplayPhoneNumber string `json:"display_phone_number"`
	PhoneNumberID      string `json:"phone_number_id"`
}

type wireStatusesValue struct {
	MessagingProduct string       `json:"messaging_product"`
	Metadata         wireMetadata `json:"metadata"`
	Statuses         []wireStatus `json:"statuses"`
}

type wireStatus struct {
	ID           string            `json:"id"`
	Status       string            `json:"status"`
	Timestamp    string            `json:"timestamp"`
	RecipientID  string            `json:"recipient_id"`
	Conversation *wireConversation `json:"conversation,omitempty"`
	Pricing      *wirePricing      `json:"pricing,omitempty"`
	Errors       []wireError       `json:"errors,omitempty"`
}

type wireConversation struct {
	ID                  string     `json:"id"`
	ExpirationTimestamp string     `json:"expiration_timestamp,omitempty"`
	Origin              wireOrigin `json:"origin"`
}

type wireOrigin struct {
	Type string `json:"type"`
}

type wirePricing struct {
	Billable     bool   `json:"billable"`
	PricingModel string `json:"pricing_model"`
	Type         string `json:"type,omitempty"`
	Category     string `json:"category"`
}

type wireError struct {
	Code      int           `json:"code"`
	Title     string        `json:"title"`
	Message   string        `json:"message"`
	ErrorData wireErrorData `json:"error_data"`
	Href      string        `json:"href,omitempty"`
}

type wireErrorData struct {
	Details string `json:"details"`
}

func metadata(phoneNumberID, displayNumber string) wireMetadata {
	return wireMetadata{DisplayPhoneNumber: displayNumber, PhoneNumberID: phoneNumberID}
}

// StatusesChange is a messages change carrying statuses of one business
// number (displayNumber is digits only, as webhooks carry it).
func StatusesChange(phoneNumberID, displayNumber string, statuses []Status) Change {
	v := wireStatusesValue{
		MessagingProduct: "whatsapp",
		Metadata:         metadata(phoneNumberID, displayNumber),
		Statuses:         make([]wireStatus, 0, len(statuses)),
	}
	for _, s := range statuses {
		v.Statuses = append(v.Statuses, s.wire())
	}
	return change("messages", v)
}

// StatusesBody is a webhook body with one messages change of statuses.
func StatusesBody(wabaID, phoneNumberID, displayNumber string, statuses []Status) []byte {
	return messagesBody(wabaID, StatusesChange(phoneNumberID, displayNumber, statuses))
}

func (s Status) wire() wireStatus {
	w := wireStatus{
		ID:          s.WAMID,
		Status:      s.Status,
		Timestamp:   unixString(s.Timestamp),
		RecipientID: s.RecipientID,
		Errors:      wireErrors(s.Errors),
	}
	if p := s.Pricing; p != nil {
		w.Pricing = &wirePricing{Billable: p.Billable, PricingModel: p.Model, Type: p.Type, Category: p.Category}
	}
	if c := s.Conversation; c != nil {
		w.Conversation = &wireConversation{ID: c.ID, Origin: wireOrigin{Type: c.OriginType}}
		if !c.Expiration.IsZero() {
			w.Conversation.ExpirationTimestamp = unixString(c.Expiration)
		}
	}
	return w
}

func wireErrors(errs []MessageError) []wireError {
	if len(errs) == 0 {
		return nil
	}
	out := make([]wireError, 0, len(errs))
	for _, e := range errs {
		out = append(out, wireError{
			Code: e.Code, Title: e.Title, Message: e.Title,
			ErrorData: wireErrorData{Details: e.Details}, Href: e.Href,
		})
	}
	return out
}
