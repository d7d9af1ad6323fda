package webhooks

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// FlexString is a string that Meta sometimes sends as a JSON number: template
// ids (1689556908129832), max_daily_conversations_per_business (2000 or
// "TIER_2K"), requester ids. A number keeps its literal digits, so a 16-digit
// id never passes through float64. null decodes to "".
type FlexString string

// UnmarshalJSON accepts a JSON string, number or null.
func (s *FlexString) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) == 0:
		return errors.New("webhooks: empty value")
	case b[0] == '"':
		v, err := unquote(b)
		if err != nil {
			return err
		}
		*s = FlexString(v)
	case string(b) == "null":
		*s = ""
	case b[0] == '-' || (b[0] >= '0' && b[0] <= '9'):
		*s = FlexString(b)
	default:
		return errors.New("webhooks: want a string or a number, got " + kindOf(b))
	}
	return nil
}

// String returns s as a plain string.
func (s FlexString) String() string { return string(s) }

// FlexInt is an integer that Meta sends as a JSON number in some payloads and
// as a string in others: timestamp is "1749416383" in messages and statuses
// but 1731705721 in user_preferences; disable_date is documented both ways.
// null and "" decode to 0. An integral value in exponent form (1.7e9) is
// accepted; a fraction or a non-numeric string is an error.
type FlexInt int64

// UnmarshalJSON accepts a JSON number, a string holding one, or null.
func (n *FlexInt) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return errors.New("webhooks: empty value")
	}
	text := string(b)
	if b[0] == '"' {
		v, err := unquote(b)
		if err != nil {
			return err
		}
		text = strings.TrimSpace(v)
	} else if text == "null" {
		text = ""
	}
	if text == "" {
		*n = 0
		return nil
	}
	v, err := parseInt(text)
	if err != nil {
		return err
	}
	*n = FlexInt(v)
	return nil
}

// Int64 returns n as an int64.
func (n FlexInt) Int64() int64 { return int64(n) }

func parseInt(text string) (int64, error) {
	if v, err := strconv.ParseInt(text, 10, 64); err == nil {
		return v, nil
	}
	f, err := strconv.ParseFloat(text, 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
		return 0, errors.New("webhooks: not an integer: " + strconv.Quote(text))
	}
	return int64(f), nil
}

// unquote decodes a JSON string literal. Ids and timestamps are plain ASCII,
// so the common case is a slice; escapes and non-ASCII take the full decoder.
func unquote(b []byte) (string, error) {
	inner := b[1 : len(b)-1]
	for _, c := range inner {
		if c == '\\' || c >= utf8.RuneSelf {
			var v string
			err := json.Unmarshal(b, &v)
			return v, err
		}
	}
	return string(inner), nil
}

// kindOf names the JSON kind of a value for error messages.
func kindOf(b []byte) string {
	switch b[0] {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	case '"':
		return "a string"
	}
	return "a number"
}

// clean makes a decoded string storable in a Postgres text column, which
// refuses NUL bytes ("\u0000" is valid JSON); everything else is kept.
func clean(s string) string {
	if strings.IndexByte(s, 0) < 0 {
		return s
	}
	return strings.ReplaceAll(s, "\x00", "")
}

// jsonbSafe returns raw JSON that Postgres accepts as jsonb. jsonb rejects the
// escape \u0000 and invalid UTF-8, both of which JSON parsers (and Meta's
// users) let through; they become U+FFFD. The archive keeps the exact bytes.
func jsonbSafe(raw []byte) []byte {
	if utf8.Valid(raw) && !bytes.Contains(raw, []byte(`\u0000`)) {
		return raw
	}
	raw = bytes.ToValidUTF8(raw, []byte("\uFFFD"))
	out := make([]byte, 0, len(raw))
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if c != '\\' || i+1 >= len(raw) {
			out = append(out, c)
			continue
		}
		// In valid JSON a backslash only appears inside a string and always
		// starts an escape, so pairs can be copied without tracking state.
		if raw[i+1] == 'u' && i+5 < len(raw) && string(raw[i+2:i+6]) == "0000" {
			out = append(out, `\ufffd`...)
			i += 5
			continue
		}
		out = append(out, c, raw[i+1])
		i++
	}
	return out
}
