package quality

import (
	"encoding/base64"
	"strconv"
	"strings"
	"time"

	"github.com/wabsp/wabsp/internal/apperr"
)

// Paging bounds shared by every list.
const (
	DefaultLimit = 50
	MaxLimit     = 200
)

// Page asks for one page of a list: at most Limit items after Cursor, the
// NextCursor of the previous page ("" for the first page).
type Page struct {
	Limit  int
	Cursor string
}

func (p Page) size() int {
	switch {
	case p.Limit <= 0:
		return DefaultLimit
	case p.Limit > MaxLimit:
		return MaxLimit
	}
	return p.Limit
}

// List is one page of items. NextCursor is "" on the last page.
type List[T any] struct {
	Items      []T
	NextCursor string
}

var errBadCursor = apperr.InvalidField("cursor", "not a cursor this list issued")

// A cursor is the sort key of the last row shown, (time, id), so it stays
// valid however many rows are added meanwhile.
func encodeCursor(at time.Time, id string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(at.UTC().Format(time.RFC3339Nano) + "|" + id))
}

// decodeCursor returns the position a cursor names; both nil for "".
func decodeCursor(s string) (at *time.Time, id *string, err error) {
	if s == "" {
		return nil, nil, nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, nil, errBadCursor
	}
	ts, rest, ok := strings.Cut(string(raw), "|")
	if !ok || rest == "" {
		return nil, nil, errBadCursor
	}
	t, err := time.Parse(time.RFC3339Nano, ts)
	if err != nil {
		return nil, nil, errBadCursor
	}
	return &t, &rest, nil
}

// offsetCursor pages lists ordered by a computed rank, where only an offset
// names a position.
func offsetCursor(s string) (int, error) {
	if s == "" {
		return 0, nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return 0, errBadCursor
	}
	n, err := strconv.Atoi(strings.TrimPrefix(string(raw), "offset:"))
	if err != nil || n < 0 || !strings.HasPrefix(string(raw), "offset:") {
		return 0, errBadCursor
	}
	return n, nil
}

func encodeOffset(n int) string {
	return base64.RawURLEncoding.EncodeToString([]byte("offset:" + strconv.Itoa(n)))
}

// paginate turns rows fetched with LIMIT size+1 into a page.
func paginate[T any](rows []T, size int, key func(T) (time.Time, string)) List[T] {
	if rows == nil {
		rows = []T{}
	}
	if len(rows) <= size {
		return List[T]{Items: rows}
	}
	rows = rows[:size]
	at, id := key(rows[size-1])
	return List[T]{Items: rows, NextCursor: encodeCursor(at, id)}
}
