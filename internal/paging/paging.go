// Package paging holds the keyset paging every list of the domain packages
// shares: a Page request, a List result, and the opaque cursor that names
// where the next page starts.
//
// Lists order by (time, id) descending, so a cursor is that pair of the last
// row shown; it stays valid however many rows are added meanwhile. A cursor
// is the unpadded URL-safe base64 of "<RFC 3339 nano UTC time>|<id>".
package paging

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

// ErrBadCursor is the Invalid error for a cursor no list issued.
var ErrBadCursor = apperr.InvalidField("cursor", "not a cursor this list issued")

// Page asks for one page of a list: at most Limit items after Cursor, the
// NextCursor of the previous page ("" for the first page).
type Page struct {
	Limit  int
	Cursor string
}

// Size returns the effective page size: DefaultLimit when Limit is not
// positive, at most MaxLimit.
func (p Page) Size() int {
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

// EncodeCursor returns the cursor naming the row with sort key (at, id).
func EncodeCursor(at time.Time, id string) string {
	raw := at.UTC().Format(time.RFC3339Nano) + "|" + id
	return base64.RawURLEncoding.EncodeToString([]byte(raw))
}

// DecodeCursor returns the sort key a cursor names; ok is false for "". A
// malformed cursor, or one with an empty id, yields ErrBadCursor.
func DecodeCursor(s string) (at time.Time, id string, ok bool, err error) {
	if s == "" {
		return time.Time{}, "", false, nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return time.Time{}, "", false, ErrBadCursor
	}
	ts, id, found := strings.Cut(string(raw), "|")
	if !found || id == "" {
		return time.Time{}, "", false, ErrBadCursor
	}
	at, err = time.Parse(time.RFC3339Nano, ts)
	if err != nil {
		return time.Time{}, "", false, ErrBadCursor
	}
	return at, id, true, nil
}

// Paginate turns rows fetched with LIMIT size+1 into a page: the extra row
// only tells that another page exists, and the cursor names the last row
// kept. Items is never nil.
func Paginate[T any](rows []T, size int, key func(T) (time.Time, string)) List[T] {
	if len(rows) <= size {
		if rows == nil {
			rows = []T{}
		}
		return List[T]{Items: rows}
	}
	rows = rows[:size]
	at, id := key(rows[size-1])
	return List[T]{Items: rows, NextCursor: EncodeCursor(at, id)}
}

// UUIDCursor returns the query arguments of a (time, uuid) cursor, both nil
// for the first page, ready for `WHERE (at, id) < ($n, $m)`.
func UUIDCursor(s string) (at, id any, err error) {
	t, raw, ok, err := DecodeCursor(s)
	if err != nil || !ok {
		return nil, nil, err
	}
	u, err := uuid.Parse(raw)
	if err != nil {
		return nil, nil, ErrBadCursor
	}
	return t, u, nil
}

// Int64Cursor is UUIDCursor for lists keyed by (time, bigint).
func Int64Cursor(s string) (at, id any, err error) {
	t, raw, ok, err := DecodeCursor(s)
	if err != nil || !ok {
		return nil, nil, err
	}
	n, err := strconv.ParseInt(raw, 10, 64)
	if err != nil {
		return nil, nil, ErrBadCursor
	}
	return t, n, nil
}
