package quality

import (
	"encoding/base64"
	"strconv"
	"strings"
	"time"

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

var errBadCursor = paging.ErrBadCursor

// decodeCursor returns the position a cursor names; both nil for "".
func decodeCursor(s string) (at *time.Time, id *string, err error) {
	t, rest, ok, err := paging.DecodeCursor(s)
	if err != nil || !ok {
		return nil, nil, err
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
