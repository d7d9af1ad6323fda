package quality

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/wabsp/wabsp/internal/apperr"
)

// TemplateDraft is a message template as a tenant submits it for creation or
// an edit, in Meta's own shape (POST /{waba}/message_templates), so that it
// can be sent on unchanged once it passes the local rules.
type TemplateDraft struct {
	Name     string `json:"name"`
	Language string `json:"language"`
	Category string `json:"category"`
	// ParameterFormat is POSITIONAL ({{1}}) or NAMED ({{first_name}});
	// empty means POSITIONAL, as on Meta's side.
	ParameterFormat string              `json:"parameter_format,omitempty"`
	Components      []TemplateComponent `json:"components"`
}

// TemplateComponent is one HEADER, BODY, FOOTER or BUTTONS component.
type TemplateComponent struct {
	Type    string           `json:"type"`
	Format  string           `json:"format,omitempty"`
	Text    string           `json:"text,omitempty"`
	Example *TemplateExample `json:"example,omitempty"`
	Buttons []TemplateButton `json:"buttons,omitempty"`
	// Authentication templates only.
	AddSecurityRecommendation *bool `json:"add_security_recommendation,omitempty"`
	CodeExpirationMinutes     *int  `json:"code_expiration_minutes,omitempty"`
}

// TemplateExample holds the sample values Meta's reviewers need for every
// variable, and the uploaded media handle of a media header.
type TemplateExample struct {
	HeaderText            []string     `json:"header_text,omitempty"`
	HeaderHandle          []string     `json:"header_handle,omitempty"`
	BodyText              [][]string   `json:"body_text,omitempty"`
	HeaderTextNamedParams []NamedParam `json:"header_text_named_params,omitempty"`
	BodyTextNamedParams   []NamedParam `json:"body_text_named_params,omitempty"`
}

// NamedParam is the sample of one named variable.
type NamedParam struct {
	ParamName string `json:"param_name"`
	Example   string `json:"example"`
}

// TemplateButton is one button of a BUTTONS component.
type TemplateButton struct {
	Type        string   `json:"type"`
	Text        string   `json:"text,omitempty"`
	URL         string   `json:"url,omitempty"`
	PhoneNumber string   `json:"phone_number,omitempty"`
	OTPType     string   `json:"otp_type,omitempty"`
	Example     []string `json:"example,omitempty"`
}

// Violation is one broken template rule: where, which rule (a stable code
// clients may branch on) and what is wrong, in words.
type Violation = apperr.Violation

// The rule codes. Once published a code is never renamed.
const (
	RuleNameRequired          = "template_name_required"
	RuleNameFormat            = "template_name_format"
	RuleNameLength            = "template_name_too_long"
	RuleLanguage              = "template_language_unsupported"
	RuleCategory              = "template_category_invalid"
	RuleParameterFormat       = "template_parameter_format_invalid"
	RuleComponentType         = "template_component_type_unknown"
	RuleComponentDuplicate    = "template_component_duplicate"
	RuleBodyRequired          = "template_body_required"
	RuleBodyLength            = "template_body_too_long"
	RuleHeaderFormat          = "template_header_format_invalid"
	RuleHeaderLength          = "template_header_too_long"
	RuleHeaderVariables       = "template_header_too_many_variables"
	RuleHeaderMediaExample    = "template_header_media_example_required"
	RuleFooterLength          = "template_footer_too_long"
	RuleFooterVariables       = "template_footer_variables"
	RuleVariableSyntax        = "template_variable_syntax"
	RuleVariablesMixed        = "template_variables_mixed"
	RuleVariablesSequence     = "template_variables_not_sequential"
	RuleVariableAtEdge        = "template_variable_at_edge"
	RuleExampleRequired       = "template_example_required"
	RuleButtonsTooMany        = "template_buttons_too_many"
	RuleButtonsURL            = "template_buttons_url_too_many"
	RuleButtonsPhone          = "template_buttons_phone_too_many"
	RuleButtonsCopyCode       = "template_buttons_copy_code_too_many"
	RuleButtonsGrouping       = "template_buttons_quick_replies_not_grouped"
	RuleButtonType            = "template_button_type_unknown"
	RuleButtonText            = "template_button_text_invalid"
	RuleButtonURL             = "template_button_url_invalid"
	RuleButtonPhone           = "template_button_phone_required"
	RuleAuthComponents        = "template_auth_components_invalid"
	RuleAuthBodyText          = "template_auth_body_text"
	RuleAuthOTPButton         = "template_auth_otp_button_required"
	RuleAuthCodeExpiration    = "template_auth_code_expiration_invalid"
	RuleOTPOnlyAuthentication = "template_otp_button_not_authentication"
)

// Meta's limits on template parts.
const (
	maxNameLen       = 512
	maxBodyLen       = 1024
	maxHeaderTextLen = 60
	maxFooterLen     = 60
	maxButtons       = 10
	maxURLButtons    = 2
	maxPhoneButtons  = 1
	maxButtonTextLen = 25
	maxCodeExpiry    = 90
)

var (
	nameFormat = regexp.MustCompile(`^[a-z0-9_]+$`)
	// anyVariable finds every {{...}}; the content decides whether it is a
	// positional, a named or a malformed variable.
	anyVariable   = regexp.MustCompile(`\{\{([^{}]*)\}\}`)
	positionalVar = regexp.MustCompile(`^[1-9][0-9]*$`)
	namedVar      = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
)

// TemplateCategories are the categories a template can be submitted in.
var TemplateCategories = []string{"MARKETING", "UTILITY", "AUTHENTICATION"}

// ValidateTemplate checks a draft against Meta's template rules and returns
// every violation at once, in field order; none means Meta's own checks
// are worth a call. Meta may still reject a draft for its content.
func ValidateTemplate(d TemplateDraft) []Violation {
	v := &violations{}
	checkName(v, d.Name)
	if !SupportedLanguage(d.Language) {
		v.add("language", RuleLanguage, "%q is not a language Meta supports for templates", d.Language)
	}
	if !slices.Contains(TemplateCategories, d.Category) {
		v.add("category", RuleCategory, "must be one of MARKETING, UTILITY or AUTHENTICATION")
	}
	named := false
	switch d.ParameterFormat {
	case "", "POSITIONAL":
	case "NAMED":
		named = true
	default:
		v.add("parameter_format", RuleParameterFormat, "must be POSITIONAL or NAMED")
	}
	checkComponents(v, d, named)
	return v.list
}

// ValidateTemplateEdit checks the parts of a draft an edit sends: the
// components and, when given, the category. Name and language cannot change.
func ValidateTemplateEdit(d TemplateDraft) []Violation {
	v := &violations{}
	if d.Category != "" && !slices.Contains(TemplateCategories, d.Category) {
		v.add("category", RuleCategory, "must be one of MARKETING, UTILITY or AUTHENTICATION")
	}
	checkComponents(v, d, d.ParameterFormat == "NAMED")
	return v.list
}

type violations struct{ list []Violation }

func (v *violations) add(field, code, format string, args ...any) {
	v.list = append(v.list, Violation{Field: field, Code: code, Problem: fmt.Sprintf(format, args...)})
}

func checkName(v *violations, name string) {
	switch {
	case name == "":
		v.add("name", RuleNameRequired, "is required")
	case utf8.RuneCountInString(name) > maxNameLen:
		v.add("name", RuleNameLength, "must be at most %d characters", maxNameLen)
	case !nameFormat.MatchString(name):
		v.add("name", RuleNameFormat, "may hold only lowercase letters, digits and underscores")
	}
}

func checkComponents(v *violations, d TemplateDraft, named bool) {
	seen := map[string]bool{}
	for i, c := range d.Components {
		at := fmt.Sprintf("components[%d]", i)
		switch c.Type {
		case "HEADER", "BODY", "FOOTER", "BUTTONS":
		default:
			v.add(at+".type", RuleComponentType, "must be HEADER, BODY, FOOTER or BUTTONS")
			continue
		}
		if seen[c.Type] {
			v.add(at+".type", RuleComponentDuplicate, "a template has at most one %s", c.Type)
			continue
		}
		seen[c.Type] = true
		if d.Category == "AUTHENTICATION" {
			checkAuthComponent(v, at, c)
			continue
		}
		switch c.Type {
		case "HEADER":
			checkHeader(v, at, c, named)
		case "BODY":
			checkBody(v, at, c, named)
		case "FOOTER":
			checkFooter(v, at, c)
		case "BUTTONS":
			checkButtons(v, at, c.Buttons, false)
		}
	}
	if !seen["BODY"] {
		v.add("components", RuleBodyRequired, "a BODY component is required")
	}
	if d.Category == "AUTHENTICATION" && !seen["BUTTONS"] {
		v.add("components", RuleAuthOTPButton, "an authentication template needs a BUTTONS component with one OTP button")
	}
}

func checkHeader(v *violations, at string, c TemplateComponent, named bool) {
	switch c.Format {
	case "TEXT":
		if utf8.RuneCountInString(c.Text) > maxHeaderTextLen {
			v.add(at+".text", RuleHeaderLength, "must be at most %d characters", maxHeaderTextLen)
		}
		vars := checkVariables(v, at+".text", c.Text, named, false)
		if len(vars) > 1 {
			v.add(at+".text", RuleHeaderVariables, "a text header has at most one variable")
		}
		if len(vars) > 0 && !hasHeaderExample(c.Example, named, len(vars)) {
			v.add(at+".example", RuleExampleRequired, "a header variable needs a sample in example.header_text")
		}
	case "IMAGE", "VIDEO", "DOCUMENT":
		if c.Example == nil || len(c.Example.HeaderHandle) == 0 || c.Example.HeaderHandle[0] == "" {
			v.add(at+".example.header_handle", RuleHeaderMediaExample, "a %s header needs an uploaded sample handle", c.Format)
		}
	case "LOCATION":
	default:
		v.add(at+".format", RuleHeaderFormat, "must be TEXT, IMAGE, VIDEO, DOCUMENT or LOCATION")
	}
}

func hasHeaderExample(e *TemplateExample, named bool, n int) bool {
	if e == nil {
		return false
	}
	if named {
		return len(e.HeaderTextNamedParams) >= n
	}
	return len(e.HeaderText) >= n
}

func checkBody(v *violations, at string, c TemplateComponent, named bool) {
	if strings.TrimSpace(c.Text) == "" {
		v.add(at+".text", RuleBodyRequired, "the body needs text")
		return
	}
	if utf8.RuneCountInString(c.Text) > maxBodyLen {
		v.add(at+".text", RuleBodyLength, "must be at most %d characters", maxBodyLen)
	}
	before := len(v.list)
	vars := checkVariables(v, at+".text", c.Text, named, true)
	if len(vars) == 0 || mixedSince(v, before) {
		return
	}
	if !hasBodyExample(c.Example, named, vars) {
		v.add(at+".example", RuleExampleRequired, "each of the %d body variables needs a sample in example.%s", len(vars), bodyExampleField(named))
	}
}

// mixedSince reports a mixed-variables violation added after index from:
// the samples cannot be judged against the wrong kind of variable.
func mixedSince(v *violations, from int) bool {
	return slices.ContainsFunc(v.list[from:], func(x Violation) bool { return x.Code == RuleVariablesMixed })
}

func bodyExampleField(named bool) string {
	if named {
		return "body_text_named_params"
	}
	return "body_text"
}

func hasBodyExample(e *TemplateExample, named bool, vars []string) bool {
	if e == nil {
		return false
	}
	if !named {
		return len(e.BodyText) > 0 && len(e.BodyText[0]) == len(vars)
	}
	have := map[string]bool{}
	for _, p := range e.BodyTextNamedParams {
		if p.Example != "" {
			have[p.ParamName] = true
		}
	}
	for _, name := range vars {
		if !have[name] {
			return false
		}
	}
	return true
}

func checkFooter(v *violations, at string, c TemplateComponent) {
	if utf8.RuneCountInString(c.Text) > maxFooterLen {
		v.add(at+".text", RuleFooterLength, "must be at most %d characters", maxFooterLen)
	}
	if anyVariable.MatchString(c.Text) {
		v.add(at+".text", RuleFooterVariables, "a footer cannot hold variables")
	}
}

// checkVariables checks the variables of text and returns them in order of
// first use, deduplicated: positional ones numbered 1..n without gaps, or
// named ones, never both, never malformed, and (for a body) neither first
// nor last thing in the text.
func checkVariables(v *violations, at, text string, named, body bool) []string {
	matches := anyVariable.FindAllStringSubmatchIndex(text, -1)
	var out []string
	seen := map[string]bool{}
	positional, names := 0, 0
	for _, m := range matches {
		inner := text[m[2]:m[3]]
		switch {
		case positionalVar.MatchString(inner):
			positional++
		case namedVar.MatchString(inner):
			names++
		default:
			v.add(at, RuleVariableSyntax, "{{%s}} is not a variable: use {{1}}, {{2}}, ... or lowercase names", inner)
			continue
		}
		if !seen[inner] {
			seen[inner] = true
			out = append(out, inner)
		}
	}
	switch {
	case positional > 0 && names > 0:
		v.add(at, RuleVariablesMixed, "use numbered or named variables, not both")
		return out
	case names > 0 && !named:
		v.add(at, RuleVariablesMixed, "named variables need parameter_format NAMED")
	case positional > 0 && named:
		v.add(at, RuleVariablesMixed, "parameter_format NAMED needs named variables, not numbers")
	case positional > 0:
		checkSequence(v, at, out)
	}
	if body && len(matches) > 0 {
		trimmed := strings.TrimSpace(text)
		first, last := matches[0], matches[len(matches)-1]
		if strings.HasPrefix(trimmed, text[first[0]:first[1]]) || strings.HasSuffix(strings.TrimRight(trimmed, ".!?,;:"), text[last[0]:last[1]]) {
			v.add(at, RuleVariableAtEdge, "the body cannot start or end with a variable")
		}
	}
	return out
}

func checkSequence(v *violations, at string, vars []string) {
	nums := make([]int, 0, len(vars))
	for _, s := range vars {
		n, _ := strconv.Atoi(s)
		nums = append(nums, n)
	}
	slices.Sort(nums)
	for i, n := range nums {
		if n != i+1 {
			v.add(at, RuleVariablesSequence, "variables must be numbered {{1}} to {{%d}} without gaps", len(nums))
			return
		}
	}
}

func checkButtons(v *violations, at string, buttons []TemplateButton, auth bool) {
	if len(buttons) > maxButtons {
		v.add(at+".buttons", RuleButtonsTooMany, "a template has at most %d buttons", maxButtons)
	}
	counts := map[string]int{}
	quickRun, quickRuns := false, 0
	for i, b := range buttons {
		bat := fmt.Sprintf("%s.buttons[%d]", at, i)
		counts[b.Type]++
		if b.Type == "QUICK_REPLY" {
			if !quickRun {
				quickRuns++
			}
			quickRun = true
		} else {
			quickRun = false
		}
		checkButton(v, bat, b, auth)
	}
	if counts["URL"] > maxURLButtons {
		v.add(at+".buttons", RuleButtonsURL, "a template has at most %d URL buttons", maxURLButtons)
	}
	if counts["PHONE_NUMBER"] > maxPhoneButtons {
		v.add(at+".buttons", RuleButtonsPhone, "a template has at most %d PHONE_NUMBER button", maxPhoneButtons)
	}
	if counts["COPY_CODE"] > 1 {
		v.add(at+".buttons", RuleButtonsCopyCode, "a template has at most one COPY_CODE button")
	}
	if quickRuns > 1 {
		v.add(at+".buttons", RuleButtonsGrouping, "QUICK_REPLY buttons must be next to each other")
	}
}

func checkButton(v *violations, at string, b TemplateButton, auth bool) {
	switch b.Type {
	case "QUICK_REPLY", "URL", "PHONE_NUMBER", "COPY_CODE", "FLOW", "CATALOG", "MPM", "VOICE_CALL":
	case "OTP":
		if !auth {
			v.add(at+".type", RuleOTPOnlyAuthentication, "OTP buttons belong to AUTHENTICATION templates")
		}
		return
	default:
		v.add(at+".type", RuleButtonType, "%q is not a template button type", b.Type)
		return
	}
	if b.Type != "COPY_CODE" {
		if n := utf8.RuneCountInString(b.Text); n == 0 || n > maxButtonTextLen {
			v.add(at+".text", RuleButtonText, "button text needs 1 to %d characters", maxButtonTextLen)
		}
	}
	switch b.Type {
	case "URL":
		checkURLButton(v, at, b)
	case "PHONE_NUMBER":
		if b.PhoneNumber == "" {
			v.add(at+".phone_number", RuleButtonPhone, "a PHONE_NUMBER button needs a phone_number")
		}
	}
}

// checkURLButton allows one variable, only at the end of the URL, with a
// sample URL.
func checkURLButton(v *violations, at string, b TemplateButton) {
	u := b.URL
	if !strings.HasPrefix(u, "https://") && !strings.HasPrefix(u, "http://") {
		v.add(at+".url", RuleButtonURL, "a URL button needs an http(s) url")
		return
	}
	vars := anyVariable.FindAllStringIndex(u, -1)
	switch {
	case len(vars) > 1 || (len(vars) == 1 && vars[0][1] != len(u)):
		v.add(at+".url", RuleButtonURL, "a URL may have one variable, at its end")
	case len(vars) == 1 && len(b.Example) == 0:
		v.add(at+".example", RuleExampleRequired, "a URL variable needs a sample URL in example")
	}
}

// checkAuthComponent applies the fixed shape of authentication templates:
// Meta writes the body itself, so it carries no text; the footer only sets
// the code's expiry; the buttons are one OTP button.
func checkAuthComponent(v *violations, at string, c TemplateComponent) {
	switch c.Type {
	case "HEADER":
		v.add(at+".type", RuleAuthComponents, "authentication templates have no header")
	case "BODY":
		if c.Text != "" {
			v.add(at+".text", RuleAuthBodyText, "Meta writes an authentication body: send add_security_recommendation instead of text")
		}
	case "FOOTER":
		if c.Text != "" {
			v.add(at+".text", RuleAuthBodyText, "Meta writes an authentication footer: send code_expiration_minutes instead of text")
		}
		if m := c.CodeExpirationMinutes; m != nil && (*m < 1 || *m > maxCodeExpiry) {
			v.add(at+".code_expiration_minutes", RuleAuthCodeExpiration, "must be between 1 and %d", maxCodeExpiry)
		}
	case "BUTTONS":
		checkAuthButtons(v, at, c.Buttons)
	}
}

func checkAuthButtons(v *violations, at string, buttons []TemplateButton) {
	if len(buttons) != 1 || buttons[0].Type != "OTP" {
		v.add(at+".buttons", RuleAuthOTPButton, "an authentication template has exactly one OTP button")
		return
	}
	switch buttons[0].OTPType {
	case "COPY_CODE", "ONE_TAP", "ZERO_TAP":
	default:
		v.add(at+".buttons[0].otp_type", RuleAuthOTPButton, "must be COPY_CODE, ONE_TAP or ZERO_TAP")
	}
}
