package optins

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/wabsp/wabsp/internal/apperr"
)

// Import formats.
const (
	FormatCSV  = "csv"
	FormatJSON = "json"
)

// ImportColumns are the fields of an import row: CSV header names and JSON
// keys. wa_id or bsuid, purpose, source, occurred_at (RFC 3339) and at least
// one of notice_text, url, message_id, note are required; action defaults
// to opt_in.
var ImportColumns = []string{"wa_id", "bsuid", "profile_name", "purpose", "action", "source", "occurred_at",
	"notice_text", "url", "ip", "user_agent", "message_id", "note", "phone_number_id"}

const (
	colWaID = iota
	colBSUID
	colName
	colPurpose
	colAction
	colSource
	colOccurredAt
	colNotice
	colURL
	colIP
	colUA
	colMessageID
	colNote
	colPhone
	numCols
)

// record is one raw import row: values by column, and where it was.
type record struct {
	line int
	// bad says why a row could not even be split into fields.
	bad    string
	fields [numCols]string
}

// recordReader yields the rows of an import one at a time.
type recordReader interface {
	// next returns the next row, io.EOF at the end, or an error that makes
	// the rest of the file unreadable.
	next() (record, error)
}

func newRecordReader(format string, body []byte) (recordReader, error) {
	switch format {
	case FormatCSV:
		return newCSVReader(body)
	case FormatJSON:
		return newJSONReader(body)
	}
	return nil, apperr.InvalidField("format", "must be csv or json")
}

// csvReader reads a CSV file with a header row naming its columns, in any
// order; columns it does not know are refused, so a typo cannot silently
// drop evidence.
type csvReader struct {
	r     *csv.Reader
	index []int // column of each CSV field, -1 for none
}

func newCSVReader(body []byte) (*csvReader, error) {
	r := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(body, []byte("\ufeff"))))
	r.FieldsPerRecord = -1
	r.ReuseRecord = true
	header, err := r.Read()
	if errors.Is(err, io.EOF) {
		return nil, apperr.InvalidField("body", "the file is empty; the first line must name the columns")
	}
	if err != nil {
		return nil, apperr.Wrap(err, apperr.Invalid, "line 1: not CSV")
	}
	known := map[string]int{}
	for i, c := range ImportColumns {
		known[c] = i
	}
	cr := &csvReader{r: r, index: make([]int, len(header))}
	seen := map[int]bool{}
	for i, h := range header {
		col, ok := known[strings.ToLower(strings.TrimSpace(h))]
		switch {
		case !ok:
			return nil, apperr.InvalidField("header", fmt.Sprintf("unknown column %q; known: %s", h, strings.Join(ImportColumns, ", ")))
		case seen[col]:
			return nil, apperr.InvalidField("header", fmt.Sprintf("column %q appears twice", h))
		}
		seen[col] = true
		cr.index[i] = col
	}
	return cr, nil
}

func (c *csvReader) next() (record, error) {
	fields, err := c.r.Read()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return record{}, io.EOF
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return record{}, apperr.Wrap(err, apperr.Invalid, "line %d: %v; the rest of the file cannot be read", pe.StartLine, pe.Err)
		}
		return record{}, apperr.Wrap(err, apperr.Invalid, "the file is not valid CSV")
	}
	line, _ := c.r.FieldPos(0)
	rec := record{line: line}
	if len(fields) != len(c.index) {
		rec.bad = fmt.Sprintf("has %d fields, the header names %d", len(fields), len(c.index))
		return rec, nil
	}
	for i, v := range fields {
		rec.fields[c.index[i]] = strings.TrimSpace(v)
	}
	return rec, nil
}

// jsonReader reads a JSON array of objects whose keys are ImportColumns.
// The line of a row is its position in the array, from 1.
type jsonReader struct {
	d *json.Decoder
	n int
}

func newJSONReader(body []byte) (*jsonReader, error) {
	d := json.NewDecoder(bytes.NewReader(body))
	tok, err := d.Token()
	if err != nil || tok != json.Delim('[') {
		return nil, apperr.InvalidField("body", "must be a JSON array of rows")
	}
	return &jsonReader{d: d}, nil
}

// jsonRow takes any scalar for a field, so a number where a string was
// expected is a row error, not a file error.
type jsonRow map[string]json.RawMessage

func (j *jsonReader) next() (record, error) {
	if !j.d.More() {
		if _, err := j.d.Token(); err != nil {
			return record{}, apperr.Wrap(err, apperr.Invalid, "the JSON array is not closed after row %d", j.n)
		}
		return record{}, io.EOF
	}
	j.n++
	var row jsonRow
	if err := j.d.Decode(&row); err != nil {
		return record{}, apperr.Wrap(err, apperr.Invalid, "row %d is not a JSON object", j.n)
	}
	rec := record{line: j.n}
	for k, raw := range row {
		col := -1
		for i, c := range ImportColumns {
			if c == k {
				col = i
				break
			}
		}
		if col < 0 {
			rec.bad = fmt.Sprintf("unknown key %q", k)
			return rec, nil
		}
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			if string(raw) == "null" {
				continue
			}
			rec.bad = fmt.Sprintf("%s must be a string", k)
			return rec, nil
		}
		rec.fields[col] = strings.TrimSpace(s)
	}
	return rec, nil
}
