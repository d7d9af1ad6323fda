package outbound

import (
	"encoding/base64"
	"strings"
	"time"

	"github.com/wabsp/wabsp/internal/apperr"
)

// Paging bounds shared by every list.
const (
	DefaultLimit = 50
	MaxLimit     = 200
)

// Page asks for at most Limit items after Cursor, the NextCursor of the
// previous page ("" for the first).
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

// List is one page of items, newest first. NextCursor is "" on the last page.
type List[T any] struct {
	Items      []T
	NextCursor string
}

var errBadCursor = apperr.InvalidField("cursor", "not a cursor this list issued")

// A cursor is the (time, id) sort key of the last row shown, so it stays
// valid however many rows are added meanwhile.
func encodeCursor(at time.Time, id string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(at.UTC().Format(time.RFC3339Nano) + "|" + id))
}

// decodeCursor returns the position a cursor names; ok is false for "".
func decodeCursor(s string) (at time.Time, id string, ok bool, err error) {
	if s == "" {
		return time.Time{}, "", false, nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return time.Time{}, "", false, errBadCursor
	}
	ts, id, found := strings.Cut(string(raw), "|")
	if !found || id == "" {
		return time.Time{}, "", false, errBadCursor
	}
	if at, err = time.Parse(time.RFC3339Nano, ts); err != nil {
		return time.Time{}, "", false, errBadCursor
	}
	return at, id, true, nil
}

// paginate turns rows fetched with LIMIT size+1 into a page.
func paginate[T any](rows []T, size int, key func(T) (time.Time, string)) List[T] {
	if len(rows) <= size {
		if rows == nil {
			rows = []T{}
		}
		return List[T]{Items: rows}
	}
	rows = rows[:size]
	at, id := key(rows[size-1])
	return List[T]{Items: rows, NextCursor: encodeCursor(at, id)}
}
