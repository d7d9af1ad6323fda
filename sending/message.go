package sending

import (
	"encoding/json"
	"fmt"
	"net/url"
	"unicode/utf8"

	"github.com/wabsp/wabsp/internal/apperr"
)

// Type is the message type, as Meta names it in the send body.
type Type string

// The types wabsp sends.
const (
	TypeText        Type = "text"
	TypeTemplate    Type = "template"
	TypeImage       Type = "image"
	TypeVideo       Type = "video"
	TypeAudio       Type = "audio"
	TypeDocument    Type = "document"
	TypeSticker     Type = "sticker"
	TypeInteractive Type = "interactive"
)

// Limits from Meta's Cloud API message reference.
const (
	MaxTextBody        = 4096
	MaxCaption         = 1024
	MaxReplyButtons    = 3
	MaxButtonTitle     = 20
	MaxListRows        = 10
	MaxListSections    = 10
	MaxRowTitle        = 24
	MaxInteractiveBody = 1024
)

// Text is a free-form text message.
type Text struct {
	Body       string `json:"body"`
	PreviewURL bool   `json:"preview_url,omitempty"`
}

// Media is an image, video, audio, document or sticker, by uploaded id or
// by an https link Meta fetches.
type Media struct {
	ID       string `json:"id,omitempty"`
	Link     string `json:"link,omitempty"`
	Caption  string `json:"caption,omitempty"`
	Filename string `json:"filename,omitempty"`
}

// Template is a template message: its name, language and the parameters of
// its components, in Meta's own shape.
type Template struct {
	Name       string         `json:"name"`
	Language   string         `json:"language"`
	Components []TemplatePart `json:"components,omitempty"`
}

// TemplatePart is one component's parameters (header, body or a button).
type TemplatePart struct {
	Type       string            `json:"type"`
	SubType    string            `json:"sub_type,omitempty"`
	Index      string            `json:"index,omitempty"`
	Parameters []json.RawMessage `json:"parameters,omitempty"`
}

// Button is an interactive reply button.
type Button struct {
	ID    string `json:"id"`
	Title string `json:"title"`
}

// Row is a row of an interactive list.
type Row struct {
	ID          string `json:"id"`
	Title       string `json:"title"`
	Description string `json:"description,omitempty"`
}

// Section is a titled group of list rows.
type Section struct {
	Title string `json:"title,omitempty"`
	Rows  []Row  `json:"rows"`
}

// Interactive is a reply-button or list message.
type Interactive struct {
	// Kind is "button" or "list".
	Kind     string    `json:"type"`
	Body     string    `json:"body"`
	Buttons  []Button  `json:"buttons,omitempty"`
	Action   string    `json:"button,omitempty"` // the list's menu label
	Sections []Section `json:"sections,omitempty"`
}

// Message is what a tenant asks wabsp to send. Exactly the part its Type
// names is set.
type Message struct {
	Type        Type         `json:"type"`
	Text        *Text        `json:"text,omitempty"`
	Template    *Template    `json:"template,omitempty"`
	Media       *Media       `json:"media,omitempty"`
	Interactive *Interactive `json:"interactive,omitempty"`
}

// FreeForm reports whether the message needs an open customer service
// window: everything but a template does.
func (m Message) FreeForm() bool { return m.Type != TypeTemplate }

// Validate checks the message against Meta's shape rules, naming the first
// offending field.
func (m Message) Validate() error {
	switch m.Type {
	case TypeText:
		return m.validateText()
	case TypeTemplate:
		return m.validateTemplate()
	case TypeImage, TypeVideo, TypeAudio, TypeDocument, TypeSticker:
		return m.validateMedia()
	case TypeInteractive:
		return m.validateInteractive()
	}
	return apperr.InvalidField("type", "must be text, template, image, video, audio, document, sticker or interactive")
}

func (m Message) validateText() error {
	switch {
	case m.Text == nil || m.Text.Body == "":
		return apperr.InvalidField("text.body", "required")
	case utf8.RuneCountInString(m.Text.Body) > MaxTextBody:
		return apperr.InvalidField("text.body", fmt.Sprintf("at most %d characters", MaxTextBody))
	}
	return nil
}

func (m Message) validateTemplate() error {
	t := m.Template
	switch {
	case t == nil || t.Name == "":
		return apperr.InvalidField("template.name", "required")
	case t.Language == "":
		return apperr.InvalidField("template.language", "required")
	}
	for i, c := range t.Components {
		switch c.Type {
		case "header", "body", "button", "footer":
		default:
			return apperr.InvalidField(fmt.Sprintf("template.components[%d].type", i), "must be header, body, button or footer")
		}
	}
	return nil
}

func (m Message) validateMedia() error {
	md := m.Media
	switch {
	case md == nil || (md.ID == "") == (md.Link == ""):
		return apperr.InvalidField("media", "give exactly one of id and link")
	case md.Link != "" && !httpsURL(md.Link):
		return apperr.InvalidField("media.link", "must be an https URL")
	case md.Caption != "" && (m.Type == TypeAudio || m.Type == TypeSticker):
		return apperr.InvalidField("media.caption", "audio and stickers take no caption")
	case utf8.RuneCountInString(md.Caption) > MaxCaption:
		return apperr.InvalidField("media.caption", fmt.Sprintf("at most %d characters", MaxCaption))
	case md.Filename != "" && m.Type != TypeDocument:
		return apperr.InvalidField("media.filename", "only documents take a filename")
	}
	return nil
}

func httpsURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && u.Scheme == "https" && u.Host != ""
}

func (m Message) validateInteractive() error {
	in := m.Interactive
	switch {
	case in == nil || in.Body == "":
		return apperr.InvalidField("interactive.body", "required")
	case utf8.RuneCountInString(in.Body) > MaxInteractiveBody:
		return apperr.InvalidField("interactive.body", fmt.Sprintf("at most %d characters", MaxInteractiveBody))
	}
	switch in.Kind {
	case "button":
		return validateButtons(in.Buttons)
	case "list":
		return validateList(in)
	}
	return apperr.InvalidField("interactive.type", "must be button or list")
}

func validateButtons(bs []Button) error {
	if len(bs) == 0 || len(bs) > MaxReplyButtons {
		return apperr.InvalidField("interactive.buttons", fmt.Sprintf("1-%d reply buttons", MaxReplyButtons))
	}
	seen := map[string]bool{}
	for i, b := range bs {
		f := fmt.Sprintf("interactive.buttons[%d]", i)
		switch {
		case b.ID == "" || seen[b.ID]:
			return apperr.InvalidField(f+".id", "required and unique")
		case b.Title == "" || utf8.RuneCountInString(b.Title) > MaxButtonTitle:
			return apperr.InvalidField(f+".title", fmt.Sprintf("1-%d characters", MaxButtonTitle))
		}
		seen[b.ID] = true
	}
	return nil
}

func validateList(in *Interactive) error {
	if in.Action == "" || utf8.RuneCountInString(in.Action) > MaxButtonTitle {
		return apperr.InvalidField("interactive.button", fmt.Sprintf("1-%d characters", MaxButtonTitle))
	}
	if len(in.Sections) == 0 || len(in.Sections) > MaxListSections {
		return apperr.InvalidField("interactive.sections", fmt.Sprintf("1-%d sections", MaxListSections))
	}
	rows := 0
	for i, s := range in.Sections {
		if len(in.Sections) > 1 && s.Title == "" {
			return apperr.InvalidField(fmt.Sprintf("interactive.sections[%d].title", i), "required when there are several sections")
		}
		for j, r := range s.Rows {
			if r.ID == "" || r.Title == "" || utf8.RuneCountInString(r.Title) > MaxRowTitle {
				return apperr.InvalidField(fmt.Sprintf("interactive.sections[%d].rows[%d]", i, j),
					fmt.Sprintf("needs an id and a title of 1-%d characters", MaxRowTitle))
			}
		}
		rows += len(s.Rows)
	}
	if rows == 0 || rows > MaxListRows {
		return apperr.InvalidField("interactive.sections", fmt.Sprintf("1-%d rows in all", MaxListRows))
	}
	return nil
}

// ParamCount is the number of parameters the message gives a component
// type ("body", "header").
func (t Template) ParamCount(component string) int {
	n := 0
	for _, c := range t.Components {
		if c.Type == component {
			n += len(c.Parameters)
		}
	}
	return n
}
