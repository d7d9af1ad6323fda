package sending

import (
	"strings"
	"testing"

	"github.com/wabsp/wabsp/internal/apperr"
)

func TestValidate(t *testing.T) {
	buttons := func(n int, title string) []Button {
		out := make([]Button, n)
		for i := range out {
			out[i] = Button{ID: string(rune('a' + i)), Title: title}
		}
		return out
	}
	rows := func(n int) []Row {
		out := make([]Row, n)
		for i := range out {
			out[i] = Row{ID: string(rune('a' + i)), Title: "row"}
		}
		return out
	}
	tests := []struct {
		name  string
		msg   Message
		field string // "" when valid
	}{
		{"text", Message{Type: TypeText, Text: &Text{Body: "hi", PreviewURL: true}}, ""},
		{"text empty", Message{Type: TypeText, Text: &Text{}}, "text.body"},
		{"text too long", Message{Type: TypeText, Text: &Text{Body: strings.Repeat("é", MaxTextBody+1)}}, "text.body"},
		{"text at limit", Message{Type: TypeText, Text: &Text{Body: strings.Repeat("é", MaxTextBody)}}, ""},
		{"unknown type", Message{Type: "location"}, "type"},
		{"template", tmpl(2), ""},
		{"template no language", Message{Type: TypeTemplate, Template: &Template{Name: "x"}}, "template.language"},
		{"template bad component", Message{Type: TypeTemplate, Template: &Template{Name: "x", Language: "en",
			Components: []TemplatePart{{Type: "carousel"}}}}, "template.components[0].type"},
		{"image by id", Message{Type: TypeImage, Media: &Media{ID: "123", Caption: "c"}}, ""},
		{"image by http link", Message{Type: TypeImage, Media: &Media{Link: "http://x.example/a.png"}}, "media.link"},
		{"image id and link", Message{Type: TypeImage, Media: &Media{ID: "1", Link: "https://x.example/a.png"}}, "media"},
		{"sticker caption", Message{Type: TypeSticker, Media: &Media{ID: "1", Caption: "c"}}, "media.caption"},
		{"image filename", Message{Type: TypeImage, Media: &Media{ID: "1", Filename: "a.png"}}, "media.filename"},
		{"document", Message{Type: TypeDocument, Media: &Media{Link: "https://x.example/a.pdf", Filename: "a.pdf"}}, ""},
		{"buttons", Message{Type: TypeInteractive, Interactive: &Interactive{Kind: "button", Body: "b", Buttons: buttons(3, "Yes")}}, ""},
		{"four buttons", Message{Type: TypeInteractive, Interactive: &Interactive{Kind: "button", Body: "b", Buttons: buttons(4, "Yes")}}, "interactive.buttons"},
		{"long title", Message{Type: TypeInteractive, Interactive: &Interactive{Kind: "button", Body: "b",
			Buttons: buttons(1, strings.Repeat("x", MaxButtonTitle+1))}}, "interactive.buttons[0].title"},
		{"list", Message{Type: TypeInteractive, Interactive: &Interactive{Kind: "list", Body: "b", Action: "Pick",
			Sections: []Section{{Title: "a", Rows: rows(5)}, {Title: "b", Rows: rows(5)}}}}, ""},
		{"list eleven rows", Message{Type: TypeInteractive, Interactive: &Interactive{Kind: "list", Body: "b", Action: "Pick",
			Sections: []Section{{Title: "a", Rows: rows(6)}, {Title: "b", Rows: rows(5)}}}}, "interactive.sections"},
		{"list untitled sections", Message{Type: TypeInteractive, Interactive: &Interactive{Kind: "list", Body: "b", Action: "Pick",
			Sections: []Section{{Rows: rows(1)}, {Rows: rows(1)}}}}, "interactive.sections[0].title"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.msg.Validate()
			if tc.field == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			e, ok := apperr.As(err)
			if !ok || e.Code != apperr.Invalid {
				t.Fatalf("Validate() = %v, want invalid %s", err, tc.field)
			}
			if _, named := e.Fields[tc.field]; !named {
				t.Errorf("Validate() fields = %v, want %s", e.Fields, tc.field)
			}
		})
	}
}

func TestFreeForm(t *testing.T) {
	if tmpl(0).FreeForm() || !text.FreeForm() {
		t.Error("only templates may be sent outside the customer service window")
	}
}
