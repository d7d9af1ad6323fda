package optins

import (
	"encoding/base64"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

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

func decodeCursor(s string) (time.Time, string, bool, error) {
	if s == "" {
		return time.Time{}, "", false, nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return time.Time{}, "", false, errBadCursor
	}
	at, id, found := strings.Cut(string(raw), "|")
	if !found || id == "" {
		return time.Time{}, "", false, errBadCursor
	}
	t, err := time.Parse(time.RFC3339Nano, at)
	if err != nil {
		return time.Time{}, "", false, errBadCursor
	}
	return t, id, true, nil
}

// uuidCursor returns the query arguments of a (time, uuid) cursor: both nil
// for the first page.
func uuidCursor(s string) (at, id any, err error) {
	t, raw, ok, err := decodeCursor(s)
	if err != nil || !ok {
		return nil, nil, err
	}
	u, err := uuid.Parse(raw)
	if err != nil {
		return nil, nil, errBadCursor
	}
	return t, u, nil
}

// int64Cursor is uuidCursor for lists keyed by (time, bigint).
func int64Cursor(s string) (at, id any, err error) {
	t, raw, ok, err := decodeCursor(s)
	if err != nil || !ok {
		return nil, nil, err
	}
	n, err := strconv.ParseInt(raw, 10, 64)
	if err != nil {
		return nil, nil, errBadCursor
	}
	return t, n, nil
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
