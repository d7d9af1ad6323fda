package sending

import (
	"encoding/json"
	"fmt"
)

// cloudMessage is the Cloud API's message object.
type cloudMessage struct {
	MessagingProduct string            `json:"messaging_product"`
	RecipientType    string            `json:"recipient_type"`
	To               string            `json:"to"`
	Type             string            `json:"type"`
	Text             *Text             `json:"text,omitempty"`
	Template         *cloudTemplate    `json:"template,omitempty"`
	Interactive      *cloudInteractive `json:"interactive,omitempty"`
	Image            *Media            `json:"image,omitempty"`
	Video            *Media            `json:"video,omitempty"`
	Audio            *Media            `json:"audio,omitempty"`
	Document         *Media            `json:"document,omitempty"`
	Sticker          *Media            `json:"sticker,omitempty"`
}

type cloudTemplate struct {
	Name       string         `json:"name"`
	Language   cloudLanguage  `json:"language"`
	Components []TemplatePart `json:"components,omitempty"`
}

type cloudLanguage struct {
	Code string `json:"code"`
}

type cloudText struct {
	Text string `json:"text"`
}

type cloudInteractive struct {
	Type   string      `json:"type"`
	Body   cloudText   `json:"body"`
	Action cloudAction `json:"action"`
}

type cloudAction struct {
	Button   string        `json:"button,omitempty"`
	Buttons  []cloudButton `json:"buttons,omitempty"`
	Sections []Section     `json:"sections,omitempty"`
}

type cloudButton struct {
	Type  string `json:"type"`
	Reply Button `json:"reply"`
}

// CloudBody is the body of POST /{phone_number_id}/messages that sends m
// to the user to.
func (m Message) CloudBody(to string) ([]byte, error) {
	c := cloudMessage{MessagingProduct: "whatsapp", RecipientType: "individual", To: to, Type: string(m.Type)}
	switch m.Type {
	case TypeText:
		c.Text = m.Text
	case TypeTemplate:
		c.Template = &cloudTemplate{Name: m.Template.Name, Language: cloudLanguage{Code: m.Template.Language},
			Components: m.Template.Components}
	case TypeImage:
		c.Image = m.Media
	case TypeVideo:
		c.Video = m.Media
	case TypeAudio:
		c.Audio = m.Media
	case TypeDocument:
		c.Document = m.Media
	case TypeSticker:
		c.Sticker = m.Media
	case TypeInteractive:
		c.Interactive = cloudInteractiveOf(m.Interactive)
	default:
		return nil, fmt.Errorf("sending: no Cloud API shape for %q", m.Type)
	}
	return json.Marshal(c)
}

func cloudInteractiveOf(in *Interactive) *cloudInteractive {
	out := &cloudInteractive{Type: in.Kind, Body: cloudText{Text: in.Body}}
	if in.Kind == "list" {
		out.Action = cloudAction{Button: in.Action, Sections: in.Sections}
		return out
	}
	for _, b := range in.Buttons {
		out.Action.Buttons = append(out.Action.Buttons, cloudButton{Type: "reply", Reply: b})
	}
	return out
}
