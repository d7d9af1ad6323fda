package billing

import (
	"strconv"
	"strings"

	"github.com/wabsp/wabsp/internal/apperr"
)

// Micros is an amount of money in millionths of its currency's unit. Meta
// prints rates to four decimals and a markup can add more, so a micro is
// fine enough for every unit price; amounts are rounded to the currency's
// minor unit where a document states them. Money is never a float.
type Micros int64

// microsPerUnit is how many micros make one currency unit.
const microsPerUnit = 1_000_000

// minorDigits is the ISO 4217 exponent of currencies that differ from two.
var minorDigits = map[string]int{
	"BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "ISK": 0, "JPY": 0, "KMF": 0, "KRW": 0, "PYG": 0,
	"RWF": 0, "UGX": 0, "UYI": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0, "XPF": 0,
	"BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3,
}

// MinorDigits returns how many decimals amounts in currency have.
func MinorDigits(currency string) int {
	if d, ok := minorDigits[currency]; ok {
		return d
	}
	return 2
}

// RoundTo rounds m to the given number of decimals, halves away from zero.
func (m Micros) RoundTo(decimals int) Micros {
	if decimals >= 6 {
		return m
	}
	step := Micros(1)
	for range 6 - decimals {
		step *= 10
	}
	half := step / 2
	if m < 0 {
		return -((-m + half) / step * step)
	}
	return (m + half) / step * step
}

// Amount rounds m to the minor unit of currency.
func (m Micros) Amount(currency string) Micros { return m.RoundTo(MinorDigits(currency)) }

// Decimal formats m with exactly decimals digits after the point (m must
// already be rounded to them for the result to be exact).
func (m Micros) Decimal(decimals int) string {
	neg := m < 0
	if neg {
		m = -m
	}
	s := strconv.FormatInt(int64(m), 10)
	for len(s) < 7 {
		s = "0" + s
	}
	whole, frac := s[:len(s)-6], s[len(s)-6:]
	out := whole
	if decimals > 0 {
		out += "." + frac[:min(decimals, 6)]
	}
	if neg {
		out = "-" + out
	}
	return out
}

// String formats m with as many decimals as it needs, at least four, the
// way rate cards print unit prices ("0.0068", "0.00816").
func (m Micros) String() string {
	d := 6
	for d > 4 && m%Micros(pow10(6-d+1)) == 0 {
		d--
	}
	return m.Decimal(d)
}

func pow10(n int) int64 {
	p := int64(1)
	for range n {
		p *= 10
	}
	return p
}

// ParseMicros reads a non-negative decimal with at most six decimals
// ("0.0068", "49", "12.5"). Exponents, signs and separators are refused: a
// price that cannot be written plainly is a typo.
func ParseMicros(s string) (Micros, error) {
	s = strings.TrimSpace(s)
	whole, frac, _ := strings.Cut(s, ".")
	if whole == "" || len(frac) > 6 || strings.Count(s, ".") > 1 || !digitsOnly(whole) || !digitsOnly(frac) || len(whole) > 12 {
		return 0, apperr.New(apperr.Invalid, "%q is not a decimal amount with at most 6 decimals", s)
	}
	w, _ := strconv.ParseInt(whole, 10, 64)
	for len(frac) < 6 {
		frac += "0"
	}
	f, _ := strconv.ParseInt(frac, 10, 64)
	return Micros(w*microsPerUnit + f), nil
}

// ParseSignedMicros is ParseMicros that also accepts a leading minus, so a
// negative price can be reported as negative rather than as unparsable.
func ParseSignedMicros(s string) (Micros, error) {
	s = strings.TrimSpace(s)
	if rest, ok := strings.CutPrefix(s, "-"); ok {
		m, err := ParseMicros(rest)
		return -m, err
	}
	return ParseMicros(s)
}

func digitsOnly(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// mulDiv returns a*b/c rounded half away from zero, for unit price × markup.
func mulDiv(a Micros, b, c int64) Micros {
	n := int64(a) * b
	if n < 0 {
		return -Micros((-n + c/2) / c)
	}
	return Micros((n + c/2) / c)
}

// MarshalJSON writes m as a decimal string, never a JSON number, so no
// client parses money into a float.
func (m Micros) MarshalJSON() ([]byte, error) { return []byte(`"` + m.String() + `"`), nil }

// UnmarshalJSON reads a decimal string (a leading minus allowed).
func (m *Micros) UnmarshalJSON(b []byte) error {
	s, err := strconv.Unquote(string(b))
	if err != nil {
		return apperr.New(apperr.Invalid, "money must be a decimal string")
	}
	v, err := ParseSignedMicros(s)
	if err != nil {
		return err
	}
	*m = v
	return nil
}
