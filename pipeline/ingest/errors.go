package ingest

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Errors reported by the package. Errors about a single value or row wrap
// one of ErrMissingValue, ErrInvalidValue, ErrRowRule, ErrDuplicateKey or
// ErrMalformedRow, so a caller can tell them apart with [errors.Is].
var (
	// ErrNoInput means a table has no export file at all. The caller skips
	// the table: every table of the contract is optional.
	ErrNoInput = errors.New("ingest: no input file")
	// ErrMissingColumn means a file's header lacks a required contract
	// column.
	ErrMissingColumn = errors.New("ingest: required column missing")
	// ErrGzipRatio means a gzip-compressed file decompresses to more
	// than [TableMapping.MaxGzipRatio] times its size: most likely a
	// gzip bomb. It ends the read.
	ErrGzipRatio = errors.New("ingest: gzip file decompresses to too much")
	// ErrMissingValue means a required value is empty or null.
	ErrMissingValue = errors.New("missing required value")
	// ErrInvalidValue means a value does not parse as its column's kind or
	// is not one of an enum's values.
	ErrInvalidValue = errors.New("invalid value")
	// ErrRowRule means the values of a row contradict each other, such as a
	// ticket solved before it was created.
	ErrRowRule = errors.New("row rule violated")
	// ErrDuplicateKey means a row repeats the key of an earlier row.
	ErrDuplicateKey = errors.New("duplicate key")
	// ErrMalformedRow means the row itself cannot be read: bad CSV quoting,
	// invalid JSON, a wrong number of fields.
	ErrMalformedRow = errors.New("malformed row")
)

// reason is the error behind a rejected row: its message is the
// human-readable reason, and it unwraps to one of the package's sentinels.
type reason struct {
	kind error
	msg  string
}

func (r *reason) Error() string { return r.msg }
func (r *reason) Unwrap() error { return r.kind }

func reasonf(kind error, format string, args ...any) error {
	return &reason{kind: kind, msg: fmt.Sprintf(format, args...)}
}

// rowError is a problem with one row. col is the index of the contract
// column at fault, or -1 when the problem concerns the whole row; srcCol is
// the 1-based source column when the source knows it better than the
// converter (a JSON member that cannot be read).
type rowError struct {
	col    int
	srcCol int
	err    error
}

func (e *rowError) Error() string { return e.err.Error() }

// Rejection is one quarantined row: a row read from an export that breaks
// the contract and therefore never reaches a record batch.
type Rejection struct {
	Table  Table
	File   string // path as given, relative to the input file system
	Line   int    // 1-based line where the row starts (CSV, JSON Lines) or 1-based row number (Parquet)
	Column int    // 1-based field index in the source file (a JSON document: the byte column where the row's element starts); 0 when the reason concerns the whole row
	Record string // a JSON document's rows: the path of the row's element, "tickets[17]"; "" otherwise
	Field  string // contract column at fault; "" for whole-row reasons
	Reason string // human-readable reason, such as `missing required value`; for a row of a JSON document it starts with Record and ": "
	Raw    string // the row as read: a re-encoded CSV record (the first line of one that cannot be read), the JSON line, or a rendering of the Parquet row; valid UTF-8, at most 4096 bytes
	Err    error  // the error behind Reason; it wraps ErrMissingValue, ErrInvalidValue, ErrRowRule, ErrDuplicateKey or ErrMalformedRow
}

// ParseError is the error a [Reader] in strict mode returns for the first
// row that breaks the contract. It prints like
//
//	tickets.csv:12:3: created_at: invalid time "2024-13-01", want RFC 3339 …
//	tickets.json:1:2345: tickets[17]: created_at: invalid time …
type ParseError struct {
	File   string
	Line   int
	Column int    // 0 when the error concerns the whole row; a JSON document's: where the row's element starts
	Record string // the path of the row's element in a JSON document; "" otherwise
	Field  string // "" when the error concerns the whole row
	Err    error
}

// Error returns the error as file:line:column: field: reason, leaving out
// the column and the field when the error concerns the whole row.
func (e *ParseError) Error() string {
	b := make([]byte, 0, 64)
	b = append(b, e.File...)
	b = append(b, ':')
	b = strconv.AppendInt(b, int64(e.Line), 10)
	if e.Column > 0 {
		b = append(b, ':')
		b = strconv.AppendInt(b, int64(e.Column), 10)
	}
	b = append(b, ": "...)
	if e.Record != "" {
		b = append(b, e.Record...)
		b = append(b, ": "...)
	}
	if e.Field != "" {
		b = append(b, e.Field...)
		b = append(b, ": "...)
	}
	b = append(b, e.Err.Error()...)
	return string(b)
}

// Unwrap returns the underlying error.
func (e *ParseError) Unwrap() error { return e.Err }

// MappingError reports a mistake in a mapping: the key path inside the
// mapping (such as "tables.tickets.time_layouts.created_at") and, for a
// mapping loaded from YAML, its name and line.
type MappingError struct {
	Name string // name of the mapping file; "" for a mapping built in code
	Line int    // 1-based line in the mapping file; 0 when unknown
	Path string // key path of the offending entry
	Err  error
}

// Error returns the error as name:line: path: reason.
func (e *MappingError) Error() string {
	var s string
	switch {
	case e.Name != "" && e.Line > 0:
		s = e.Name + ":" + strconv.Itoa(e.Line) + ": "
	case e.Name != "":
		s = e.Name + ": "
	default:
		s = "mapping: "
	}
	if e.Path != "" {
		s += e.Path + ": "
	}
	return s + e.Err.Error()
}

// Unwrap returns the underlying error.
func (e *MappingError) Unwrap() error { return e.Err }

// maxRawBytes bounds [Rejection.Raw]: a longer raw row is cut at a
// character boundary and ends with "…".
const maxRawBytes = 4096

// boundRaw returns s for [Rejection.Raw]: valid UTF-8, each run of
// invalid bytes replaced by U+FFFD, and at most maxRawBytes long.
func boundRaw(s string) string {
	if len(s) <= maxRawBytes && utf8.ValidString(s) {
		return s
	}
	const more = "…"
	cut := len(s) > 2*maxRawBytes
	if cut {
		s = s[:2*maxRawBytes] // only so much can be left after the replacements
	}
	s = strings.ToValidUTF8(s, "\uFFFD")
	if len(s) <= maxRawBytes && !cut {
		return s
	}
	n := min(len(s), maxRawBytes-len(more))
	for n > 0 && n < len(s) && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + more
}
