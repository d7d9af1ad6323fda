package outbound

import "github.com/wabsp/wabsp/internal/paging"

// Paging bounds shared by every list.
const (
	DefaultLimit = paging.DefaultLimit
	MaxLimit     = paging.MaxLimit
)

// Page asks for at most Limit items after Cursor, the NextCursor of the
// previous page ("" for the first).
type Page = paging.Page

// List is one page of items, newest first. NextCursor is "" on the last page.
type List[T any] = paging.List[T]

var errBadCursor = paging.ErrBadCursor
