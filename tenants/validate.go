package tenants

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"

	// Time zones are validated and used by name, so the IANA database is
	// compiled in: a minimal container image may have none.
	_ "time/tzdata"
	"unicode/utf8"

	"github.com/wabsp/wabsp/internal/apperr"
)

// fieldErrors collects every problem with an input, so a client fixes them
// in one round trip instead of one per field.
type fieldErrors map[string]string

func (f fieldErrors) add(field, problem string) {
	if _, seen := f[field]; !seen {
		f[field] = problem
	}
}

// err returns nil when nothing was added, else an apperr.Invalid naming the
// fields.
func (f fieldErrors) err() error {
	if len(f) == 0 {
		return nil
	}
	names := make([]string, 0, len(f))
	for name := range f {
		names = append(names, name)
	}
	sort.Strings(names)
	parts := make([]string, len(names))
	for i, name := range names {
		parts[i] = name + ": " + f[name]
	}
	return &apperr.Error{Code: apperr.Invalid, Message: strings.Join(parts, "; "), Fields: map[string]string(f)}
}

var (
	slugRe     = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,62}$`)
	currencyRe = regexp.MustCompile(`^[A-Z]{3}$`)
	planRe     = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,39}$`)
	metaIDRe   = regexp.MustCompile(`^[0-9]{1,32}$`)
)

// Retention bounds, matching the tenants table's CHECK.
const (
	MinRetentionDays = 30
	MaxRetentionDays = 3650
)

func checkName(f fieldErrors, field, v string, required bool) {
	switch n := utf8.RuneCountInString(v); {
	case !utf8.ValidString(v):
		f.add(field, "must be valid UTF-8")
	case n == 0 && required:
		f.add(field, "is required")
	case n > 200:
		f.add(field, "must be at most 200 characters")
	}
}

func checkSlug(f fieldErrors, v string) {
	if !slugRe.MatchString(v) {
		f.add("slug", "must be 2 to 63 lower-case letters, digits or dashes, starting with a letter or digit")
	}
}

// checkTimeZone accepts IANA names only: "Local" would mean whatever the
// server's zone happens to be.
func checkTimeZone(f fieldErrors, field, v string) {
	if v == "" || v == "Local" || len(v) > 64 {
		f.add(field, "must be an IANA time zone such as Europe/Berlin")
		return
	}
	if _, err := time.LoadLocation(v); err != nil {
		f.add(field, "must be an IANA time zone such as Europe/Berlin")
	}
}

func checkCurrency(f fieldErrors, field, v string) {
	if !currencyRe.MatchString(v) {
		f.add(field, "must be an ISO 4217 code of three upper-case letters, such as USD")
	}
}

func checkPlan(f fieldErrors, v string) {
	if !planRe.MatchString(v) {
		f.add("plan", "must be 1 to 40 lower-case letters, digits, dashes or underscores")
	}
}

func checkRetention(f fieldErrors, v int) {
	if v < MinRetentionDays || v > MaxRetentionDays {
		f.add("retention_days", fmt.Sprintf("must be between %d and %d", MinRetentionDays, MaxRetentionDays))
	}
}

// checkMetaID checks one of Meta's numeric object ids.
func checkMetaID(f fieldErrors, field, v string, required bool) {
	if v == "" && !required {
		return
	}
	if !metaIDRe.MatchString(v) {
		f.add(field, "must be 1 to 32 digits")
	}
}

// NormalizePhone returns a phone number in E.164 ("+<digits>"), accepting the
// forms Meta uses: "15550783881" in webhooks and "+1 555-078-3881" in Graph
// reads. Spaces, dashes, dots and parentheses are dropped; anything else is
// an error, as is a number outside E.164's 7 to 15 digits.
func NormalizePhone(s string) (string, error) {
	s = strings.TrimSpace(s)
	s = strings.TrimPrefix(s, "+")
	var b strings.Builder
	b.WriteByte('+')
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == ' ' || r == '-' || r == '.' || r == '(' || r == ')':
		default:
			return "", fmt.Errorf("unexpected character %q", r)
		}
	}
	out := b.String()
	digits := len(out) - 1
	if digits < 7 || digits > 15 {
		return "", fmt.Errorf("has %d digits, want 7 to 15", digits)
	}
	if out[1] == '0' {
		return "", fmt.Errorf("must start with a country code, not 0")
	}
	return out, nil
}
