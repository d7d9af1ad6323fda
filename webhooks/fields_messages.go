package webhooks

import "encoding/json"

// MessagesValue is a messages value: inbound messages, statuses of outbound
// ones, or value-level errors, for the number named in Metadata.
type MessagesValue struct {
	MessagingProduct string    `json:"messaging_product"`
	Metadata         Metadata  `json:"metadata"`
	Contacts         []Contact `json:"contacts"`
	Messages         []Message `json:"messages"`
	Statuses         []Status  `json:"statuses"`
	// Errors are value-level: system, app or account problems (130429 rate
	// limit, 131035 no-storage retention) not tied to one message.
	Errors []Error `json:"errors"`
}

// Metadata names the business number of messages and user_preferences values.
type Metadata struct {
	DisplayPhoneNumber FlexString `json:"display_phone_number"`
	PhoneNumberID      FlexString `json:"phone_number_id"`
}

// Contact describes a WhatsApp user. Since 2026 WaID may be absent and UserID
// (the business-scoped user id, BSUID) is the stable key.
type Contact struct {
	Profile struct {
		Name     string `json:"name"`
		Username string `json:"username"`
	} `json:"profile"`
	WaID            FlexString      `json:"wa_id"`
	UserID          string          `json:"user_id"`
	ParentUserID    string          `json:"parent_user_id"`
	IdentityKeyHash string          `json:"identity_key_hash"`
	Raw             json.RawMessage `json:"-"`
}

// UnmarshalJSON decodes a contact and keeps its raw bytes.
func (c *Contact) UnmarshalJSON(b []byte) error {
	type plain Contact
	if err := json.Unmarshal(b, (*plain)(c)); err != nil {
		return err
	}
	c.Raw = append(json.RawMessage(nil), b...)
	return nil
}

// Error is an error object of Meta's webhooks (value-level, per message, per
// status).
type Error struct {
	Code      FlexInt `json:"code"`
	Title     string  `json:"title"`
	Message   string  `json:"message"`
	ErrorData *struct {
		Details string `json:"details"`
	} `json:"error_data"`
	Href string          `json:"href"`
	Raw  json.RawMessage `json:"-"`
}

// UnmarshalJSON decodes an error and keeps its raw bytes.
func (e *Error) UnmarshalJSON(b []byte) error {
	type plain Error
	if err := json.Unmarshal(b, (*plain)(e)); err != nil {
		return err
	}
	e.Raw = append(json.RawMessage(nil), b...)
	return nil
}

// Status is one statuses element: a delivery event of an outbound message.
// Status is open (sent, delivered, read, played, failed); Timestamp is Meta's
// event time. Raw holds the element as received.
type Status struct {
	ID                     string          `json:"id"`
	Status                 string          `json:"status"`
	Timestamp              FlexInt         `json:"timestamp"`
	RecipientID            FlexString      `json:"recipient_id"`
	RecipientUserID        string          `json:"recipient_user_id"`
	RecipientParentUserID  string          `json:"recipient_parent_user_id"`
	RecipientType          string          `json:"recipient_type"`
	RecipientParticipantID FlexString      `json:"recipient_participant_id"`
	BizOpaqueCallbackData  string          `json:"biz_opaque_callback_data"`
	Conversation           *Conversation   `json:"conversation"`
	Pricing                *Pricing        `json:"pricing"`
	Errors                 []Error         `json:"errors"`
	Raw                    json.RawMessage `json:"-"`
}

// UnmarshalJSON decodes a status and keeps its raw bytes.
func (s *Status) UnmarshalJSON(b []byte) error {
	type plain Status
	if err := json.Unmarshal(b, (*plain)(s)); err != nil {
		return err
	}
	s.Raw = append(json.RawMessage(nil), b...)
	return nil
}

// Conversation is the legacy conversation object of a status (omitted from
// v24 on). Origin.Type spells authentication_international with an
// underscore, unlike Pricing.Category.
type Conversation struct {
	ID                  string  `json:"id"`
	ExpirationTimestamp FlexInt `json:"expiration_timestamp"`
	Origin              struct {
		Type string `json:"type"`
	} `json:"origin"`
}

// Pricing is the pricing object riding on sent and on one of delivered/read.
// Billable is nil when absent (it is being deprecated). Raw keeps keys this
// struct does not know (cost, for instance).
type Pricing struct {
	Billable     *bool           `json:"billable"`
	PricingModel string          `json:"pricing_model"`
	Type         string          `json:"type"`
	Category     string          `json:"category"`
	Raw          json.RawMessage `json:"-"`
}

// UnmarshalJSON decodes pricing and keeps its raw bytes.
func (p *Pricing) UnmarshalJSON(b []byte) error {
	type plain Pricing
	if err := json.Unmarshal(b, (*plain)(p)); err != nil {
		return err
	}
	p.Raw = append(json.RawMessage(nil), b...)
	return nil
}

// Message is one inbound messages element. Type is open; the block named by
// Type carries the content. Raw holds the element as received.
type Message struct {
	From             FlexString `json:"from"`
	FromUserID       string     `json:"from_user_id"`
	FromParentUserID string     `json:"from_parent_user_id"`
	ID               string     `json:"id"`
	Timestamp        FlexInt    `json:"timestamp"`
	Type             string     `json:"type"`
	Text             *struct {
		Body string `json:"body"`
	} `json:"text"`
	Context  *MessageContext `json:"context"`
	Referral *Referral       `json:"referral"`
	Button   *struct {
		Payload string `json:"payload"`
		Text    string `json:"text"`
	} `json:"button"`
	Interactive *Interactive    `json:"interactive"`
	System      *System         `json:"system"`
	Errors      []Error         `json:"errors"`
	Raw         json.RawMessage `json:"-"`
}

// UnmarshalJSON decodes a message and keeps its raw bytes.
func (m *Message) UnmarshalJSON(b []byte) error {
	type plain Message
	if err := json.Unmarshal(b, (*plain)(m)); err != nil {
		return err
	}
	m.Raw = append(json.RawMessage(nil), b...)
	return nil
}

// MessageContext links a reply to the message it answers (a template's
// quick-reply button, a product inquiry).
type MessageContext struct {
	From            FlexString `json:"from"`
	ID              string     `json:"id"`
	Forwarded       bool       `json:"forwarded"`
	FrequentlyFwd   bool       `json:"frequently_forwarded"`
	ReferredProduct *struct {
		CatalogID         FlexString `json:"catalog_id"`
		ProductRetailerID FlexString `json:"product_retailer_id"`
	} `json:"referred_product"`
}

// Referral marks a message started from a Click-to-WhatsApp ad or post, the
// trigger of a free entry point.
type Referral struct {
	SourceURL      string `json:"source_url"`
	SourceID       string `json:"source_id"`
	SourceType     string `json:"source_type"`
	Headline       string `json:"headline"`
	Body           string `json:"body"`
	MediaType      string `json:"media_type"`
	ImageURL       string `json:"image_url"`
	VideoURL       string `json:"video_url"`
	ThumbnailURL   string `json:"thumbnail_url"`
	CtwaClid       string `json:"ctwa_clid"`
	WelcomeMessage *struct {
		Text string `json:"text"`
	} `json:"welcome_message"`
}

// Interactive is the reply to an interactive message.
type Interactive struct {
	Type        string `json:"type"`
	ButtonReply *struct {
		ID    string `json:"id"`
		Title string `json:"title"`
	} `json:"button_reply"`
	ListReply *struct {
		ID          string `json:"id"`
		Title       string `json:"title"`
		Description string `json:"description"`
	} `json:"list_reply"`
	NfmReply *struct {
		Name         string `json:"name"`
		Body         string `json:"body"`
		ResponseJSON string `json:"response_json"`
	} `json:"nfm_reply"`
}

// System is the block of a system message: user_changed_number,
// user_changed_user_id, and the legacy customer_changed_number and
// customer_identity_changed. WaID is the new WhatsApp id (NewWaID before
// webhook v12); UserID the new BSUID.
type System struct {
	Body         string     `json:"body"`
	Type         string     `json:"type"`
	WaID         FlexString `json:"wa_id"`
	NewWaID      FlexString `json:"new_wa_id"`
	UserID       string     `json:"user_id"`
	ParentUserID string     `json:"parent_user_id"`
	Customer     FlexString `json:"customer"`
	Identity     string     `json:"identity"`
}

// UserPreferencesValue is a user_preferences value: marketing stop/resume.
type UserPreferencesValue struct {
	MessagingProduct string           `json:"messaging_product"`
	Metadata         Metadata         `json:"metadata"`
	Contacts         []Contact        `json:"contacts"`
	UserPreferences  []UserPreference `json:"user_preferences"`
}

// UserPreference is one user_preferences element. Value is stop or resume.
type UserPreference struct {
	WaID         FlexString `json:"wa_id"`
	UserID       string     `json:"user_id"`
	ParentUserID string     `json:"parent_user_id"`
	Detail       string     `json:"detail"`
	Category     string     `json:"category"`
	Value        string     `json:"value"`
	Timestamp    FlexInt    `json:"timestamp"`
}
