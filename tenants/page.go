package tenants

import (
	"strconv"
	"strings"

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

var errBadCursor = paging.ErrBadCursor

// uuidCursor decodes a cursor of a list keyed by (time, uuid) into query
// arguments: both nil for the first page.
func uuidCursor(s string) (at, id any, err error) {
	t, raw, ok, err := paging.DecodeCursor(s)
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
	t, raw, ok, err := paging.DecodeCursor(s)
	if err != nil || !ok {
		return nil, nil, err
	}
	n, err := strconv.ParseInt(raw, 10, 64)
	if err != nil {
		return nil, nil, errBadCursor
	}
	return t, n, nil
}

// likePattern returns a case-insensitive substring pattern for ILIKE with
// the wildcard characters of q escaped, so "50%" matches only "50%".
func likePattern(q string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + r.Replace(q) + "%"
}
