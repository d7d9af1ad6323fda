package optins

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// ParseWaID returns the E.164 digits of a phone number written with an
// optional leading +, spaces, dashes, dots or parentheses: 7 to 15 digits,
// the first not 0. ok is false for anything else, letters included.
func ParseWaID(s string) (string, bool) {
	s = strings.TrimSpace(s)
	s = strings.TrimPrefix(s, "+")
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			b.WriteByte(c)
		case c == ' ' || c == '-' || c == '.' || c == '(' || c == ')':
		default:
			return "", false
		}
	}
	d := b.String()
	if len(d) < 7 || len(d) > 15 || d[0] == '0' {
		return "", false
	}
	return d, true
}

// validBSUID reports whether s looks like a business-scoped user id: a
// country prefix, a dot, then alphanumerics and dots (parents read
// "US.ENT.…"). Meta documents up to 128 characters after the prefix.
func validBSUID(s string) bool {
	if len(s) < 3 || len(s) > 160 {
		return false
	}
	dot := strings.IndexByte(s, '.')
	if dot < 1 || dot == len(s)-1 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// NormalizeKeyword folds a message for keyword matching: accents and other
// combining marks removed, case folded, punctuation around the words
// dropped and runs of whitespace collapsed to one space. "  Stóp! " and
// "STOP" both become "stop"; Hangul is recomposed, so Korean keywords match
// as typed.
func NormalizeKeyword(s string) string {
	s = norm.NFKD.String(s)
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range s {
		switch {
		case unicode.Is(unicode.Mn, r) || r == utf8.RuneError:
			continue
		case unicode.IsSpace(r):
			space = b.Len() > 0
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(unicode.ToLower(r))
	}
	out := strings.TrimFunc(b.String(), func(r rune) bool {
		return unicode.IsPunct(r) || unicode.IsSymbol(r) || unicode.IsSpace(r)
	})
	return norm.NFC.String(out)
}

// clean drops NUL bytes and invalid UTF-8, which Postgres text refuses, and
// bounds the length of free text taken from outside.
func clean(s string, max int) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	if strings.IndexByte(s, 0) >= 0 {
		s = strings.ReplaceAll(s, "\x00", "")
	}
	if len(s) > max {
		cut := max
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut]
	}
	return s
}
