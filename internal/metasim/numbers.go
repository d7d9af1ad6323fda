package metasim

import (
	"strings"
)

// Number identifies a business phone number the way webhooks do.
type Number struct {
	WABAID        string
	PhoneNumberID string
	// Display is the display number as digits only ("15550783881"), the form
	// webhooks carry; the Graph returns it formatted.
	Display string
}

// TemplateRef identifies a message template the way webhooks do.
type TemplateRef struct {
	WABAID   string
	ID       int64
	Name     string
	Language string
	Category string
}

// Digits strips everything but digits: "+1 631-555-5555" → "16315555555".
func Digits(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// FormatDisplay formats a digits-only number the way Graph reads return
// display_phone_number ("+1 631-555-5555"). Values already starting with "+"
// are returned unchanged. Grouping outside North America is approximate; only
// the digits are meaningful to a receiver.
func FormatDisplay(s string) string {
	if strings.HasPrefix(s, "+") {
		return s
	}
	d := Digits(s)
	if d == "" {
		return s
	}
	cc := callingCode(d)
	rest := d[len(cc):]
	switch {
	case len(rest) > 7:
		rest = rest[:3] + "-" + rest[3:6] + "-" + rest[6:]
	case len(rest) > 3:
		rest = rest[:3] + "-" + rest[3:]
	}
	return "+" + cc + " " + rest
}

// twoDigitCodes are the E.164 country calling codes of two digits; zones 1
// and 7 use one digit and every other code has three.
var twoDigitCodes = map[string]bool{
	"20": true, "27": true, "30": true, "31": true, "32": true, "33": true, "34": true,
	"36": true, "39": true, "40": true, "41": true, "43": true, "44": true, "45": true,
	"46": true, "47": true, "48": true, "49": true, "51": true, "52": true, "53": true,
	"54": true, "55": true, "56": true, "57": true, "58": true, "60": true, "61": true,
	"62": true, "63": true, "64": true, "65": true, "66": true, "81": true, "82": true,
	"84": true, "86": true, "90": true, "91": true, "92": true, "93": true, "94": true,
	"95": true, "98": true,
}

func callingCode(d string) string {
	switch {
	case d[0] == '1' || d[0] == '7':
		return d[:1]
	case len(d) >= 2 && twoDigitCodes[d[:2]]:
		return d[:2]
	case len(d) >= 3:
		return d[:3]
	default:
		return d
	}
}
