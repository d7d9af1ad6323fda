package quality

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func okBody() TemplateComponent {
	return TemplateComponent{Type: "BODY", Text: "Hello {{1}}, your order {{2}} has shipped today.",
		Example: &TemplateExample{BodyText: [][]string{{"Ana", "A-100"}}}}
}

func marketing(cs ...TemplateComponent) TemplateDraft {
	return TemplateDraft{Name: "order_shipped", Language: "en_US", Category: "MARKETING", Components: cs}
}

func authTemplate(buttons ...TemplateButton) TemplateDraft {
	yes, five := true, 5
	return TemplateDraft{Name: "login_code", Language: "en", Category: "AUTHENTICATION", Components: []TemplateComponent{
		{Type: "BODY", AddSecurityRecommendation: &yes},
		{Type: "FOOTER", CodeExpirationMinutes: &five},
		{Type: "BUTTONS", Buttons: buttons},
	}}
}

func quickReplies(n int) []TemplateButton {
	out := make([]TemplateButton, n)
	for i := range out {
		out[i] = TemplateButton{Type: "QUICK_REPLY", Text: "Option"}
	}
	return out
}

// TestValidateTemplate has, for every rule, a draft that breaks it (and
// only it) next to drafts that pass.
func TestValidateTemplate(t *testing.T) {
	intp := func(n int) *int { return &n }
	tests := []struct {
		name  string
		draft TemplateDraft
		want  []string // "field code"
	}{
		{name: "valid marketing", draft: marketing(
			TemplateComponent{Type: "HEADER", Format: "TEXT", Text: "Hi {{1}}", Example: &TemplateExample{HeaderText: []string{"Ana"}}},
			okBody(), TemplateComponent{Type: "FOOTER", Text: "Reply STOP to opt out"},
			TemplateComponent{Type: "BUTTONS", Buttons: []TemplateButton{
				{Type: "QUICK_REPLY", Text: "Yes"}, {Type: "QUICK_REPLY", Text: "No"},
				{Type: "URL", Text: "Track", URL: "https://ex.com/t/{{1}}", Example: []string{"https://ex.com/t/1"}},
				{Type: "PHONE_NUMBER", Text: "Call us", PhoneNumber: "+15550001"},
			}})},
		{name: "valid named", draft: TemplateDraft{Name: "named", Language: "pt_BR", Category: "UTILITY", ParameterFormat: "NAMED",
			Components: []TemplateComponent{{Type: "BODY", Text: "Olá {{first_name}}, pedido pronto.",
				Example: &TemplateExample{BodyTextNamedParams: []NamedParam{{ParamName: "first_name", Example: "Ana"}}}}}}},
		{name: "valid media header", draft: marketing(TemplateComponent{Type: "HEADER", Format: "IMAGE",
			Example: &TemplateExample{HeaderHandle: []string{"4::aW1n"}}}, okBody())},
		{name: "valid location header", draft: marketing(TemplateComponent{Type: "HEADER", Format: "LOCATION"}, okBody())},
		{name: "valid authentication", draft: authTemplate(TemplateButton{Type: "OTP", OTPType: "COPY_CODE"})},
		{name: "valid no variables", draft: marketing(TemplateComponent{Type: "BODY", Text: "Our shop opens at nine."})},
		{name: "name required", draft: TemplateDraft{Language: "en", Category: "UTILITY", Components: []TemplateComponent{okBody()}},
			want: []string{"name " + RuleNameRequired}},
		{name: "name format", draft: TemplateDraft{Name: "Order-Shipped", Language: "en", Category: "UTILITY", Components: []TemplateComponent{okBody()}},
			want: []string{"name " + RuleNameFormat}},
		{name: "name length", draft: TemplateDraft{Name: strings.Repeat("a", 513), Language: "en", Category: "UTILITY", Components: []TemplateComponent{okBody()}},
			want: []string{"name " + RuleNameLength}},
		{name: "language", draft: TemplateDraft{Name: "a", Language: "english", Category: "UTILITY", Components: []TemplateComponent{okBody()}},
			want: []string{"language " + RuleLanguage}},
		{name: "category", draft: TemplateDraft{Name: "a", Language: "en", Category: "TRANSACTIONAL", Components: []TemplateComponent{okBody()}},
			want: []string{"category " + RuleCategory}},
		{name: "parameter format", draft: TemplateDraft{Name: "a", Language: "en", Category: "UTILITY", ParameterFormat: "ORDERED", Components: []TemplateComponent{okBody()}},
			want: []string{"parameter_format " + RuleParameterFormat}},
		{name: "component type", draft: marketing(okBody(), TemplateComponent{Type: "SIDEBAR"}),
			want: []string{"components[1].type " + RuleComponentType}},
		{name: "component duplicate", draft: marketing(okBody(), okBody()),
			want: []string{"components[1].type " + RuleComponentDuplicate}},
		{name: "body required", draft: marketing(TemplateComponent{Type: "FOOTER", Text: "bye"}),
			want: []string{"components " + RuleBodyRequired}},
		{name: "body empty", draft: marketing(TemplateComponent{Type: "BODY", Text: "  "}),
			want: []string{"components[0].text " + RuleBodyRequired}},
		{name: "body length", draft: marketing(TemplateComponent{Type: "BODY", Text: strings.Repeat("x", 1025)}),
			want: []string{"components[0].text " + RuleBodyLength}},
		{name: "header format", draft: marketing(TemplateComponent{Type: "HEADER", Format: "AUDIO"}, okBody()),
			want: []string{"components[0].format " + RuleHeaderFormat}},
		{name: "header length", draft: marketing(TemplateComponent{Type: "HEADER", Format: "TEXT", Text: strings.Repeat("h", 61)}, okBody()),
			want: []string{"components[0].text " + RuleHeaderLength}},
		{name: "header variables", draft: marketing(TemplateComponent{Type: "HEADER", Format: "TEXT", Text: "Hi {{1}} {{2}}",
			Example: &TemplateExample{HeaderText: []string{"a", "b"}}}, okBody()),
			want: []string{"components[0].text " + RuleHeaderVariables}},
		{name: "header example", draft: marketing(TemplateComponent{Type: "HEADER", Format: "TEXT", Text: "Hi {{1}}"}, okBody()),
			want: []string{"components[0].example " + RuleExampleRequired}},
		{name: "header media example", draft: marketing(TemplateComponent{Type: "HEADER", Format: "VIDEO"}, okBody()),
			want: []string{"components[0].example.header_handle " + RuleHeaderMediaExample}},
		{name: "footer length", draft: marketing(okBody(), TemplateComponent{Type: "FOOTER", Text: strings.Repeat("f", 61)}),
			want: []string{"components[1].text " + RuleFooterLength}},
		{name: "footer variables", draft: marketing(okBody(), TemplateComponent{Type: "FOOTER", Text: "Code {{1}} inside"}),
			want: []string{"components[1].text " + RuleFooterVariables}},
		{name: "variable syntax", draft: marketing(TemplateComponent{Type: "BODY", Text: "Hi {{ 1 }} there"}),
			want: []string{"components[0].text " + RuleVariableSyntax}},
		{name: "variables mixed", draft: marketing(TemplateComponent{Type: "BODY", Text: "Hi {{1}} and {{name}} there",
			Example: &TemplateExample{BodyText: [][]string{{"a", "b"}}}}),
			want: []string{"components[0].text " + RuleVariablesMixed}},
		{name: "named without format", draft: marketing(TemplateComponent{Type: "BODY", Text: "Hi {{name}} there",
			Example: &TemplateExample{BodyTextNamedParams: []NamedParam{{ParamName: "name", Example: "a"}}}}),
			want: []string{"components[0].text " + RuleVariablesMixed}},
		{name: "variables gap", draft: marketing(TemplateComponent{Type: "BODY", Text: "Hi {{1}}, gate {{3}} now",
			Example: &TemplateExample{BodyText: [][]string{{"a", "b"}}}}),
			want: []string{"components[0].text " + RuleVariablesSequence}},
		{name: "variable at start", draft: marketing(TemplateComponent{Type: "BODY", Text: "{{1}}, your order is ready",
			Example: &TemplateExample{BodyText: [][]string{{"a"}}}}),
			want: []string{"components[0].text " + RuleVariableAtEdge}},
		{name: "variable at end", draft: marketing(TemplateComponent{Type: "BODY", Text: "Your order is {{1}}.",
			Example: &TemplateExample{BodyText: [][]string{{"a"}}}}),
			want: []string{"components[0].text " + RuleVariableAtEdge}},
		{name: "body example missing", draft: marketing(TemplateComponent{Type: "BODY", Text: "Hi {{1}}, all set now"}),
			want: []string{"components[0].example " + RuleExampleRequired}},
		{name: "body example short", draft: marketing(TemplateComponent{Type: "BODY", Text: "Hi {{1}}, gate {{2}} now",
			Example: &TemplateExample{BodyText: [][]string{{"a"}}}}),
			want: []string{"components[0].example " + RuleExampleRequired}},
		{name: "buttons too many", draft: marketing(okBody(), TemplateComponent{Type: "BUTTONS", Buttons: quickReplies(11)}),
			want: []string{"components[1].buttons " + RuleButtonsTooMany}},
		{name: "url buttons", draft: marketing(okBody(), TemplateComponent{Type: "BUTTONS", Buttons: []TemplateButton{
			{Type: "URL", Text: "a", URL: "https://a"}, {Type: "URL", Text: "b", URL: "https://b"}, {Type: "URL", Text: "c", URL: "https://c"}}}),
			want: []string{"components[1].buttons " + RuleButtonsURL}},
		{name: "phone buttons", draft: marketing(okBody(), TemplateComponent{Type: "BUTTONS", Buttons: []TemplateButton{
			{Type: "PHONE_NUMBER", Text: "a", PhoneNumber: "+1"}, {Type: "PHONE_NUMBER", Text: "b", PhoneNumber: "+2"}}}),
			want: []string{"components[1].buttons " + RuleButtonsPhone}},
		{name: "copy code buttons", draft: marketing(okBody(), TemplateComponent{Type: "BUTTONS", Buttons: []TemplateButton{
			{Type: "COPY_CODE", Example: []string{"X"}}, {Type: "COPY_CODE", Example: []string{"Y"}}}}),
			want: []string{"components[1].buttons " + RuleButtonsCopyCode}},
		{name: "quick replies split", draft: marketing(okBody(), TemplateComponent{Type: "BUTTONS", Buttons: []TemplateButton{
			{Type: "QUICK_REPLY", Text: "a"}, {Type: "URL", Text: "b", URL: "https://b"}, {Type: "QUICK_REPLY", Text: "c"}}}),
			want: []string{"components[1].buttons " + RuleButtonsGrouping}},
		{name: "button type", draft: marketing(okBody(), TemplateComponent{Type: "BUTTONS", Buttons: []TemplateButton{{Type: "LINK", Text: "a"}}}),
			want: []string{"components[1].buttons[0].type " + RuleButtonType}},
		{name: "button text", draft: marketing(okBody(), TemplateComponent{Type: "BUTTONS", Buttons: []TemplateButton{
			{Type: "QUICK_REPLY", Text: strings.Repeat("b", 26)}}}),
			want: []string{"components[1].buttons[0].text " + RuleButtonText}},
		{name: "button url", draft: marketing(okBody(), TemplateComponent{Type: "BUTTONS", Buttons: []TemplateButton{
			{Type: "URL", Text: "Go", URL: "https://ex.com/{{1}}/x", Example: []string{"https://ex.com/1/x"}}}}),
			want: []string{"components[1].buttons[0].url " + RuleButtonURL}},
		{name: "button url example", draft: marketing(okBody(), TemplateComponent{Type: "BUTTONS", Buttons: []TemplateButton{
			{Type: "URL", Text: "Go", URL: "https://ex.com/{{1}}"}}}),
			want: []string{"components[1].buttons[0].example " + RuleExampleRequired}},
		{name: "button phone", draft: marketing(okBody(), TemplateComponent{Type: "BUTTONS", Buttons: []TemplateButton{
			{Type: "PHONE_NUMBER", Text: "Call"}}}),
			want: []string{"components[1].buttons[0].phone_number " + RuleButtonPhone}},
		{name: "otp outside authentication", draft: marketing(okBody(), TemplateComponent{Type: "BUTTONS", Buttons: []TemplateButton{
			{Type: "OTP", OTPType: "COPY_CODE"}}}),
			want: []string{"components[1].buttons[0].type " + RuleOTPOnlyAuthentication}},
		{name: "auth header", draft: func() TemplateDraft {
			d := authTemplate(TemplateButton{Type: "OTP", OTPType: "ONE_TAP"})
			d.Components = append(d.Components, TemplateComponent{Type: "HEADER", Format: "TEXT", Text: "Code"})
			return d
		}(), want: []string{"components[3].type " + RuleAuthComponents}},
		{name: "auth body text", draft: func() TemplateDraft {
			d := authTemplate(TemplateButton{Type: "OTP", OTPType: "COPY_CODE"})
			d.Components[0].Text = "Your code is {{1}}"
			return d
		}(), want: []string{"components[0].text " + RuleAuthBodyText}},
		{name: "auth expiry", draft: func() TemplateDraft {
			d := authTemplate(TemplateButton{Type: "OTP", OTPType: "COPY_CODE"})
			d.Components[1].CodeExpirationMinutes = intp(91)
			return d
		}(), want: []string{"components[1].code_expiration_minutes " + RuleAuthCodeExpiration}},
		{name: "auth button", draft: authTemplate(TemplateButton{Type: "QUICK_REPLY", Text: "Yes"}),
			want: []string{"components[2].buttons " + RuleAuthOTPButton}},
		{name: "auth otp type", draft: authTemplate(TemplateButton{Type: "OTP", OTPType: "SMS"}),
			want: []string{"components[2].buttons[0].otp_type " + RuleAuthOTPButton}},
		{name: "auth buttons missing", draft: func() TemplateDraft {
			d := authTemplate()
			d.Components = d.Components[:2]
			return d
		}(), want: []string{"components " + RuleAuthOTPButton}},
		{name: "all violations at once", draft: TemplateDraft{Name: "Bad Name", Language: "xx", Category: "PROMO",
			Components: []TemplateComponent{{Type: "FOOTER", Text: "{{1}}"}}},
			want: []string{"name " + RuleNameFormat, "language " + RuleLanguage, "category " + RuleCategory,
				"components[0].text " + RuleFooterVariables, "components " + RuleBodyRequired}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, v := range ValidateTemplate(tc.draft) {
				if v.Problem == "" {
					t.Errorf("violation %s at %s has no problem text", v.Code, v.Field)
				}
				got = append(got, v.Field+" "+v.Code)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("violations (-want +got):\n%s", diff)
			}
		})
	}
}

func TestValidateTemplateEdit(t *testing.T) {
	tests := []struct {
		name  string
		draft TemplateDraft
		want  []string
	}{
		{name: "components only", draft: TemplateDraft{Components: []TemplateComponent{okBody()}}},
		{name: "bad category", draft: TemplateDraft{Category: "PROMO", Components: []TemplateComponent{okBody()}},
			want: []string{"category " + RuleCategory}},
		{name: "no body", draft: TemplateDraft{Components: []TemplateComponent{{Type: "FOOTER", Text: "x"}}},
			want: []string{"components " + RuleBodyRequired}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, v := range ValidateTemplateEdit(tc.draft) {
				got = append(got, v.Field+" "+v.Code)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("violations (-want +got):\n%s", diff)
			}
		})
	}
}
