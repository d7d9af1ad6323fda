package optins

import (
	"sort"
	"strings"

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
	names := sortedKeys(f)
	parts := make([]string, len(names))
	for i, name := range names {
		parts[i] = name + ": " + f[name]
	}
	return &apperr.Error{Code: apperr.Invalid, Message: strings.Join(parts, "; "), Fields: map[string]string(f)}
}

func sortedKeys(f fieldErrors) []string {
	names := make([]string, 0, len(f))
	for name := range f {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}
