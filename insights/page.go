package insights

import (
	"encoding/base64"
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

// List is one page of items, newest first. NextCursor is "" on the last page.
type List[T any] struct {
	Items      []T
	NextCursor string
}

type position struct {
	at time.Time
	id uuid.UUID
}

var errBadCursor = apperr.InvalidField("cursor", "not a cursor this list issued")

func encodeCursor(at time.Time, id uuid.UUID) string {
	raw := at.UTC().Format(time.RFC3339Nano) + "|" + id.String()
	return base64.RawURLEncoding.EncodeToString([]byte(raw))
}

func decodeCursor(s string) (position, bool, error) {
	if s == "" {
		return position{}, false, nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return position{}, false, errBadCursor
	}
	ts, idText, ok := strings.Cut(string(raw), "|")
	if !ok {
		return position{}, false, errBadCursor
	}
	at, err := time.Parse(time.RFC3339Nano, ts)
	if err != nil {
		return position{}, false, errBadCursor
	}
	id, err := uuid.Parse(idText)
	if err != nil {
		return position{}, false, errBadCursor
	}
	return position{at: at, id: id}, true, nil
}

// page cuts rows fetched with one extra to the page size and sets the cursor.
func page[T any](rows []T, size int, key func(T) (time.Time, uuid.UUID)) List[T] {
	if len(rows) <= size {
		return List[T]{Items: rows}
	}
	rows = rows[:size]
	at, id := key(rows[size-1])
	return List[T]{Items: rows, NextCursor: encodeCursor(at, id)}
}
