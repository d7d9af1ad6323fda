package paging

import (
	"encoding/base64"
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/wabsp/wabsp/internal/apperr"
)

func TestPageSize(t *testing.T) {
	tests := []struct {
		name  string
		limit int
		want  int
	}{
		{name: "zero uses default", limit: 0, want: DefaultLimit},
		{name: "negative uses default", limit: -3, want: DefaultLimit},
		{name: "within bounds", limit: 7, want: 7},
		{name: "at max", limit: MaxLimit, want: MaxLimit},
		{name: "above max is capped", limit: MaxLimit + 1, want: MaxLimit},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := (Page{Limit: tt.limit}).Size(); got != tt.want {
				t.Errorf("Size() = %d, want %d", got, tt.want)
			}
		})
	}
}

func b64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

func TestEncodeCursorFormat(t *testing.T) {
	at := time.Date(2024, 3, 5, 6, 7, 8, 123456789, time.FixedZone("X", 3600))
	tests := []struct {
		name string
		at   time.Time
		id   string
		want string
	}{
		{name: "uuid id in UTC", at: at, id: "6f1c2a4e-0000-4000-8000-000000000001", want: b64("2024-03-05T05:07:08.123456789Z|6f1c2a4e-0000-4000-8000-000000000001")},
		{name: "numeric id whole second", at: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), id: "42", want: b64("2024-01-01T00:00:00Z|42")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := EncodeCursor(tt.at, tt.id); got != tt.want {
				t.Errorf("EncodeCursor() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestDecodeCursor(t *testing.T) {
	at := time.Date(2024, 3, 5, 5, 7, 8, 123456789, time.UTC)
	type result struct {
		At time.Time
		ID string
		OK bool
	}
	tests := []struct {
		name    string
		cursor  string
		want    result
		wantErr bool
	}{
		{name: "empty is first page", cursor: "", want: result{}},
		{name: "round trip", cursor: EncodeCursor(at, "abc"), want: result{At: at, ID: "abc", OK: true}},
		{name: "id may contain separator", cursor: b64("2024-03-05T05:07:08.123456789Z|a|b"), want: result{At: at, ID: "a|b", OK: true}},
		{name: "not base64", cursor: "!!!", wantErr: true},
		{name: "padded base64", cursor: base64.URLEncoding.EncodeToString([]byte("2024-01-01T00:00:00Z|1")), wantErr: true},
		{name: "no separator", cursor: b64("2024-01-01T00:00:00Z"), wantErr: true},
		{name: "empty id", cursor: b64("2024-01-01T00:00:00Z|"), wantErr: true},
		{name: "bad time", cursor: b64("yesterday|1"), wantErr: true},
		{name: "offset cursor", cursor: b64("offset:" + strconv.Itoa(50)), wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gotAt, gotID, ok, err := DecodeCursor(tt.cursor)
			if tt.wantErr {
				if !errors.Is(err, ErrBadCursor) {
					t.Fatalf("err = %v, want ErrBadCursor", err)
				}
				if !apperr.Is(err, apperr.Invalid) {
					t.Errorf("code = %q, want %q", apperr.CodeOf(err), apperr.Invalid)
				}
				e, _ := apperr.As(err)
				if diff := cmp.Diff(map[string]string{"cursor": "not a cursor this list issued"}, e.Fields); diff != "" {
					t.Errorf("fields (-want +got):\n%s", diff)
				}
				if e.Message != "cursor: not a cursor this list issued" {
					t.Errorf("message = %q", e.Message)
				}
				return
			}
			if err != nil {
				t.Fatalf("DecodeCursor: %v", err)
			}
			if diff := cmp.Diff(tt.want, result{At: gotAt, ID: gotID, OK: ok}); diff != "" {
				t.Errorf("DecodeCursor (-want +got):\n%s", diff)
			}
		})
	}
}

type row struct {
	At time.Time
	ID string
}

func TestPaginate(t *testing.T) {
	t0 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	rows := func(n int) []row {
		out := make([]row, n)
		for i := range out {
			out[i] = row{At: t0.Add(-time.Duration(i) * time.Minute), ID: strconv.Itoa(i)}
		}
		return out
	}
	key := func(r row) (time.Time, string) { return r.At, r.ID }
	tests := []struct {
		name string
		rows []row
		size int
		want List[row]
	}{
		{name: "nil becomes empty", rows: nil, size: 2, want: List[row]{Items: []row{}}},
		{name: "fewer than size", rows: rows(1), size: 2, want: List[row]{Items: rows(1)}},
		{name: "exactly size is last page", rows: rows(2), size: 2, want: List[row]{Items: rows(2)}},
		{name: "extra row trimmed", rows: rows(3), size: 2, want: List[row]{Items: rows(2), NextCursor: EncodeCursor(t0.Add(-time.Minute), "1")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Paginate(tt.rows, tt.size, key)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Paginate (-want +got):\n%s", diff)
			}
			if got.Items == nil {
				t.Error("Items is nil")
			}
		})
	}
}

func TestPaginateCursorResumes(t *testing.T) {
	at := time.Date(2024, 6, 1, 12, 0, 0, 5, time.UTC)
	l := Paginate([]row{{At: at, ID: "a"}, {At: at, ID: "b"}}, 1, func(r row) (time.Time, string) { return r.At, r.ID })
	gotAt, gotID, ok, err := DecodeCursor(l.NextCursor)
	if err != nil || !ok {
		t.Fatalf("DecodeCursor(%q) = ok %v, err %v", l.NextCursor, ok, err)
	}
	if diff := cmp.Diff(row{At: at, ID: "a"}, row{At: gotAt, ID: gotID}); diff != "" {
		t.Errorf("cursor (-want +got):\n%s", diff)
	}
}

func TestTypedCursors(t *testing.T) {
	at := time.Date(2026, 11, 21, 9, 30, 0, 123, time.UTC)
	id := uuid.MustParse("01a1fdfd-5123-7494-980f-cc03198df9e5")
	tests := []struct {
		name    string
		decode  func(string) (any, any, error)
		cursor  string
		wantAt  any
		wantID  any
		wantErr bool
	}{
		{"uuid first page", UUIDCursor, "", nil, nil, false},
		{"uuid cursor", UUIDCursor, EncodeCursor(at, id.String()), at, id, false},
		{"uuid cursor with a number id", UUIDCursor, EncodeCursor(at, "42"), nil, nil, true},
		{"int64 first page", Int64Cursor, "", nil, nil, false},
		{"int64 cursor", Int64Cursor, EncodeCursor(at, "42"), at, int64(42), false},
		{"int64 cursor with a uuid id", Int64Cursor, EncodeCursor(at, id.String()), nil, nil, true},
		{"garbage", Int64Cursor, "%%%", nil, nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			gotAt, gotID, err := tc.decode(tc.cursor)
			if tc.wantErr {
				if !errors.Is(err, ErrBadCursor) {
					t.Fatalf("err %v, want ErrBadCursor", err)
				}
				return
			}
			if err != nil || gotAt != tc.wantAt || gotID != tc.wantID {
				t.Fatalf("got (%v, %v, %v), want (%v, %v)", gotAt, gotID, err, tc.wantAt, tc.wantID)
			}
		})
	}
}
