package tenants

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

// size returns the effective page size.
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

// position is where a page starts: just after the row with this sort key.
// Lists order by (time, id) descending, so a cursor is that pair of the last
// row shown; it stays valid however many rows are added meanwhile.
type position struct {
	at time.Time
	id string
}

var errBadCursor = apperr.InvalidField("cursor", "not a cursor this list issued")

func encodeCursor(at time.Time, id string) string {
	raw := at.UTC().Format(time.RFC3339Nano) + "|" + id
	return base64.RawURLEncoding.EncodeToString([]byte(raw))
}

// decodeCursor returns the position a cursor names; ok is false for "".
func decodeCursor(s string) (pos position, ok bool, err error) {
	if s == "" {
		return position{}, false, nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return position{}, false, errBadCursor
	}
	at, id, found := strings.Cut(string(raw), "|")
	if !found || id == "" {
		return position{}, false, errBadCursor
	}
	t, err := time.Parse(time.RFC3339Nano, at)
	if err != nil {
		return position{}, false, errBadCursor
	}
	return position{at: t, id: id}, true, nil
}

// uuidCursor decodes a cursor of a list keyed by (time, uuid) into query
// arguments: both nil for the first page.
func uuidCursor(s string) (at, id any, err error) {
	pos, ok, err := decodeCursor(s)
	if err != nil || !ok {
		return nil, nil, err
	}
	u, err := uuid.Parse(pos.id)
	if err != nil {
		return nil, nil, errBadCursor
	}
	return pos.at, u, nil
}

// int64Cursor is uuidCursor for lists keyed by (time, bigint).
func int64Cursor(s string) (at, id any, err error) {
	pos, ok, err := decodeCursor(s)
	if err != nil || !ok {
		return nil, nil, err
	}
	n, err := strconv.ParseInt(pos.id, 10, 64)
	if err != nil {
		return nil, nil, errBadCursor
	}
	return pos.at, n, nil
}

// paginate turns rows fetched with LIMIT size+1 into a page: the extra row
// only tells that another page exists.
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

// likePattern returns a case-insensitive substring pattern for ILIKE with
// the wildcard characters of q escaped, so "50%" matches only "50%".
func likePattern(q string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + r.Replace(q) + "%"
}
