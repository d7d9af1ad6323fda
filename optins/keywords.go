package optins

import (
	"fmt"
	"sort"
)

// Keyword is a whole message that opts the sender in or out. Text is matched
// after NormalizeKeyword, against the whole message only: "stop" fires on
// "Stop!" but never on "please don't stop".
type Keyword struct {
	Text     string  `json:"text"`
	Action   Action  `json:"action"`
	Purpose  Purpose `json:"purpose"`
	Language string  `json:"language,omitempty"`
}

// Button is a quick-reply button payload the tenant put on its templates to
// opt people in or out.
type Button struct {
	Payload string  `json:"payload"`
	Action  Action  `json:"action"`
	Purpose Purpose `json:"purpose"`
}

// DefaultKeywords are on for every tenant unless it turns them off. A STOP
// word opts out of everything, as people sending it expect; a START word is
// an explicit request for messages again. Generic words such as "yes" or
// "no" are left out on purpose: they answer questions far more often than
// they express consent.
var DefaultKeywords = buildDefaults(map[string]map[Action][]string{
	"en": {
		ActionOptOut: {"stop", "stop all", "stopall", "unsubscribe", "cancel", "end", "quit", "opt out", "optout", "stop promotions"},
		ActionOptIn:  {"start", "unstop", "subscribe", "opt in", "optin", "resume"},
	},
	"id": {
		ActionOptOut: {"berhenti", "berhenti langganan", "batal langganan", "henti", "stop langganan"},
		ActionOptIn:  {"mulai", "berlangganan", "mulai langganan"},
	},
	"es": {
		ActionOptOut: {"alto", "parar", "detener", "baja", "dar de baja", "cancelar suscripción", "no más mensajes"},
		ActionOptIn:  {"iniciar", "comenzar", "alta", "suscribirme", "suscribir"},
	},
	"pt": {
		ActionOptOut: {"parar", "sair", "cancelar", "descadastrar", "descadastre", "cancelar inscrição"},
		ActionOptIn:  {"começar", "iniciar", "inscrever", "cadastrar"},
	},
	"ar": {
		ActionOptOut: {"توقف", "إيقاف", "إلغاء", "الغاء الاشتراك", "إلغاء الاشتراك"},
		ActionOptIn:  {"ابدأ", "اشتراك", "بدء"},
	},
	"ko": {
		ActionOptOut: {"중지", "수신거부", "수신 거부", "구독취소", "구독 취소", "그만"},
		ActionOptIn:  {"시작", "구독", "수신동의", "수신 동의"},
	},
})

// buildDefaults turns the per-language lists into keywords, all for every
// purpose. A word two languages share (parar, cancelar) is kept once.
func buildDefaults(langs map[string]map[Action][]string) []Keyword {
	names := make([]string, 0, len(langs))
	for l := range langs {
		names = append(names, l)
	}
	sort.Strings(names)
	seen := map[string]bool{}
	var out []Keyword
	for _, l := range names {
		for _, a := range []Action{ActionOptOut, ActionOptIn} {
			for _, w := range langs[l][a] {
				n := NormalizeKeyword(w)
				if seen[n] {
					continue
				}
				seen[n] = true
				out = append(out, Keyword{Text: w, Action: a, Purpose: PurposeAll, Language: l})
			}
		}
	}
	return out
}

// Settings are a tenant's conversational opt-in configuration.
type Settings struct {
	// DefaultKeywords turns DefaultKeywords on (the default) or off.
	DefaultKeywords bool `json:"default_keywords"`
	// Keywords are the tenant's own, matched before the defaults.
	Keywords []Keyword `json:"keywords"`
	// Buttons are the quick-reply payloads that opt in or out.
	Buttons []Button `json:"buttons"`
}

// DefaultSettings is what a tenant has before it changes anything.
func DefaultSettings() Settings {
	return Settings{DefaultKeywords: true, Keywords: []Keyword{}, Buttons: []Button{}}
}

// Limits of a tenant's settings.
const (
	MaxKeywords    = 200
	MaxButtons     = 100
	maxKeywordLen  = 100
	maxPayloadLen  = 256
	maxLanguageLen = 16
)

// validate checks s and normalises what it can (empty lists, not nil).
func (s *Settings) validate() error {
	f := fieldErrors{}
	if len(s.Keywords) > MaxKeywords {
		f.add("keywords", fmt.Sprintf("at most %d keywords", MaxKeywords))
	}
	if len(s.Buttons) > MaxButtons {
		f.add("buttons", fmt.Sprintf("at most %d buttons", MaxButtons))
	}
	seen := map[string]int{}
	for i, k := range s.Keywords {
		field := fmt.Sprintf("keywords[%d]", i)
		n := NormalizeKeyword(k.Text)
		switch {
		case n == "" || len(k.Text) > maxKeywordLen:
			f.add(field+".text", fmt.Sprintf("must hold a word, at most %d bytes", maxKeywordLen))
		case seen[n] > 0:
			f.add(field+".text", fmt.Sprintf("same as keywords[%d] once normalised", seen[n]-1))
		}
		seen[n] = i + 1
		checkActionPurpose(f, field, k.Action, k.Purpose)
		if len(k.Language) > maxLanguageLen {
			f.add(field+".language", "too long")
		}
	}
	payloads := map[string]int{}
	for i, b := range s.Buttons {
		field := fmt.Sprintf("buttons[%d]", i)
		switch {
		case b.Payload == "" || len(b.Payload) > maxPayloadLen:
			f.add(field+".payload", fmt.Sprintf("required, at most %d bytes", maxPayloadLen))
		case payloads[b.Payload] > 0:
			f.add(field+".payload", fmt.Sprintf("same as buttons[%d]", payloads[b.Payload]-1))
		}
		payloads[b.Payload] = i + 1
		checkActionPurpose(f, field, b.Action, b.Purpose)
	}
	if s.Keywords == nil {
		s.Keywords = []Keyword{}
	}
	if s.Buttons == nil {
		s.Buttons = []Button{}
	}
	return f.err()
}

func checkActionPurpose(f fieldErrors, field string, a Action, p Purpose) {
	if !a.Valid() {
		f.add(field+".action", "must be opt_in or opt_out")
	}
	if !p.Valid() {
		f.add(field+".purpose", "must be marketing, utility, authentication or all")
	}
}

// matcher answers whether a message or button is an opt-in or opt-out for
// one tenant's settings.
type matcher struct {
	keywords map[string]Keyword
	buttons  map[string]Button
}

func newMatcher(s Settings) *matcher {
	m := &matcher{keywords: map[string]Keyword{}, buttons: map[string]Button{}}
	if s.DefaultKeywords {
		for _, k := range DefaultKeywords {
			m.keywords[NormalizeKeyword(k.Text)] = k
		}
	}
	for _, k := range s.Keywords {
		m.keywords[NormalizeKeyword(k.Text)] = k // the tenant's own win
	}
	for _, b := range s.Buttons {
		m.buttons[b.Payload] = b
	}
	return m
}

// text matches a whole message against the keywords.
func (m *matcher) text(body string) (Keyword, bool) {
	if len(body) > 4*maxKeywordLen {
		return Keyword{}, false // no keyword is that long; skip the folding
	}
	k, ok := m.keywords[NormalizeKeyword(body)]
	return k, ok
}

// button matches a quick-reply tap: a configured payload first, else the
// button's text as a keyword, since a button labelled "Unsubscribe" means
// what it says even when nobody configured its payload.
func (m *matcher) button(payload, text string) (Action, Purpose, bool) {
	if b, ok := m.buttons[payload]; ok {
		return b.Action, b.Purpose, true
	}
	if k, ok := m.text(text); ok {
		return k.Action, k.Purpose, true
	}
	return "", "", false
}
