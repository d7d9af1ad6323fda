package insights

import (
	"time"

	"github.com/google/uuid"

	"github.com/wabsp/wabsp/internal/paging"
)

// Paging bounds shared by every list.
const (
	DefaultLimit = paging.DefaultLimit
	MaxLimit     = paging.MaxLimit
)

// Page asks for one page of a list: at most Limit items after Cursor, the
// NextCursor of the previous page ("" for the first page).
type Page = paging.Page

// List is one page of items, newest first. NextCursor is "" on the last page.
type List[T any] = paging.List[T]

type position struct {
	at time.Time
	id uuid.UUID
}

func decodeCursor(s string) (position, bool, error) {
	at, raw, ok, err := paging.DecodeCursor(s)
	if err != nil || !ok {
		return position{}, false, err
	}
	id, err := uuid.Parse(raw)
	if err != nil {
		return position{}, false, paging.ErrBadCursor
	}
	return position{at: at, id: id}, true, nil
}

// page cuts rows fetched with one extra to the page size and sets the cursor.
// Unlike paging.Paginate it leaves a nil last page nil.
func page[T any](rows []T, size int, key func(T) (time.Time, uuid.UUID)) List[T] {
	if len(rows) <= size {
		return List[T]{Items: rows}
	}
	return paging.Paginate(rows, size, func(v T) (time.Time, string) {
		at, id := key(v)
		return at, id.String()
	})
}
