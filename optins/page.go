package optins

import (
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

// List is one page of items. NextCursor is "" on the last page.
type List[T any] = paging.List[T]
