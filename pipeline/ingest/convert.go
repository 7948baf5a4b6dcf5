package ingest

import (
	"errors"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/text/encoding"
)

// rawKind says what a source found for one contract column of a row.
type rawKind uint8

const (
	rawAbsent  rawKind = iota // the source has no such column or key
	rawNull                   // an explicit null (JSON null, Parquet null)
	rawText                   // text, converted by the column's rules
	rawInstant                // a typed instant: i is µs since the epoch
	rawWall                   // a typed wall-clock time without zone: i is µs as if UTC
	rawNested                 // a JSON object or array
	rawInvalid                // a typed value that cannot be represented; text says why
)

// rawValue is what a source hands the converter for one contract column.
type rawValue struct {
	kind rawKind
	text string
	i    int64
	col  int // 1-based source column; 0 when absent
}

// cell is one converted value of a contract column.
type cell struct {
	valid bool
	s     string  // String, Enum
	i     int64   // Int; Time as µs since the epoch
	f     float64 // Float
	b     bool    // Bool
}

// column is a contract column together with the mapping rules that read it.
type column struct {
	Column
	source string            // column name or key in the export
	mapped string            // the mapping key that names source ("columns.team"); "" when source is the contract name
	sameAs string            // the contract column whose source this one reads (same_as); "" if none
	values map[string]string // lower-case trimmed source value -> contract value
	time   timeFormat
	dur    string // Duration: the layout of its values, "" for minutes
	since  int    // Duration: the timestamp column it is measured from, its values being the instants it ends; -1 for none
	def    cell   // used when the source lacks the column
	hasDef bool

	derived  bool              // computed by derive rules, not read from a source column
	unmapped string            // Enum: the contract value other values become; "" rejects them
	skip     map[string]string // lower-case trimmed export value -> reason the row is skipped
}

// errUnmapped is what text returns, with the catch-all's cell, for an
// enum value outside the column's vocabulary.
var errUnmapped = errors.New("value outside the vocabulary")

// text converts the text of one value. Surrounding space is removed; an
// empty value is missing (an invalid cell, with no error).
func (c *column) text(s string) (cell, error) {
	s = strings.TrimSpace(s)
	if c.values != nil && s != "" {
		if v, ok := c.values[s]; ok {
			s = v
		} else if v, ok := c.values[strings.ToLower(s)]; ok {
			s = v
		}
	}
	if s == "" {
		return cell{}, nil
	}
	switch c.Kind {
	case String:
		return cell{valid: true, s: s}, nil
	case Enum:
		for _, v := range c.Values {
			if strings.EqualFold(v, s) {
				return cell{valid: true, s: v}, nil
			}
		}
		if c.unmapped != "" {
			return cell{valid: true, s: c.unmapped}, errUnmapped
		}
		return cell{}, reasonf(ErrInvalidValue, "unexpected value %q, want one of %s", s, strings.Join(c.Values, ", "))
	case Time:
		us, err := c.time.parse(s)
		if err != nil {
			return cell{}, err
		}
		return cell{valid: true, i: us}, nil
	case Float:
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
			return cell{}, reasonf(ErrInvalidValue, "invalid number %q, want a finite decimal number", s)
		}
		return cell{valid: true, f: f}, nil
	case Int:
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			f, ferr := strconv.ParseFloat(s, 64)
			if ferr != nil || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
				return cell{}, reasonf(ErrInvalidValue, "invalid integer %q", s)
			}
			n = int64(f)
		}
		return cell{valid: true, i: n}, nil
	case Duration:
		if c.since >= 0 {
			us, err := c.time.parse(s) // the end; see plan.measure
			if err != nil {
				return cell{}, err
			}
			return cell{valid: true, i: us}, nil
		}
		f, err := parseDuration(s, c.dur)
		if err != nil {
			return cell{}, err
		}
		return cell{valid: true, f: f}, nil
	case Bool:
		if b, ok := parseBool(s); ok {
			return cell{valid: true, b: b}, nil
		}
		return cell{}, reasonf(ErrInvalidValue, "invalid boolean %q, want true/false, 1/0, yes/no, t/f or y/n", s)
	}
	return cell{}, reasonf(ErrInvalidValue, "unsupported column kind %v", c.Kind)
}

// instant converts a typed time. A wall-clock time is read in the column's
// zone.
func (c *column) instant(us int64, wall bool) (cell, error) {
	if c.Kind != Time {
		// Render the instant and convert the text, so the column's own
		// rules apply. A wall time is rendered without zone.
		s := formatTime(us)
		if wall {
			s = strings.TrimSuffix(s, "Z")
		}
		return c.text(s)
	}
	if wall && c.time.loc != nil && c.time.loc != time.UTC {
		t := time.UnixMicro(us).UTC()
		us = time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), c.time.loc).UnixMicro()
	}
	if us < minUnixSec*1_000_000 || us >= (maxUnixSec+1)*1_000_000 {
		return cell{}, reasonf(ErrInvalidValue, "time %s outside years 0000–9999", formatTime(us))
	}
	return cell{valid: true, i: us}, nil
}

func parseBool(s string) (value, ok bool) {
	switch len(s) {
	case 1:
		switch s[0] {
		case '1', 't', 'T', 'y', 'Y':
			return true, true
		case '0', 'f', 'F', 'n', 'N':
			return false, true
		}
	case 2:
		if strings.EqualFold(s, "no") {
			return false, true
		}
	case 3:
		if strings.EqualFold(s, "yes") {
			return true, true
		}
	case 4:
		if strings.EqualFold(s, "true") {
			return true, true
		}
	case 5:
		if strings.EqualFold(s, "false") {
			return false, true
		}
	}
	return false, false
}

// plan is a table's contract compiled with its mapping: everything a
// source and the converter need to read its files.
type plan struct {
	spec   Spec
	cols   []column
	files  []string // globs; nil means the default names
	format string
	delim  rune
	// headerRows is the number of header rows of a CSV file, at least 1.
	headerRows int
	// optional: patterns that match nothing mean no input (ErrNoInput).
	optional bool
	rule     func(cells []cell) *rowError
	enc      encoding.Encoding // of CSV and JSON Lines; nil means UTF-8
	// A value that is not valid UTF-8 is rejected unless replaceUTF8.
	replaceUTF8 bool
	maxField    int   // bytes of a CSV field
	maxRecord   int   // bytes of a CSV record or a JSON line
	gzipRatio   int   // most decompressed bytes per compressed byte
	key         []int // contract indices of the key columns
	keyName     []string
	mustSee     []int     // columns the mapping names without a default: a JSON Lines file must have their keys
	skipCols    []int     // columns with skip values
	sinceCols   []int     // duration columns measured from a timestamp column
	json        *jsonPlan // paths, records, joins and rules of JSON and JSON Lines files
	mapping     TableMapping
	window      Window // plausible instants, see Options.Window
	fromUS      int64  // window.From in µs, or math.MinInt64
	toUS        int64  // window.To in µs, or math.MaxInt64
}

// setWindow bounds the instants the plan accepts.
func (p *plan) setWindow(w Window) {
	p.window, p.fromUS, p.toUS = w, math.MinInt64, math.MaxInt64
	if !w.From.IsZero() {
		p.fromUS = w.From.UnixMicro()
	}
	if !w.To.IsZero() {
		p.toUS = w.To.UnixMicro()
	}
}

// convert turns the raw values of one row into cells, checking every
// column in contract order, then the table's row rules. It reports the
// first problem only. A row whose value marks it as skipped returns the
// reason: its other values are checked, but required ones may be missing
// and the row rules do not apply. hits receives the columns whose value
// fell back to the column's catch-all.
func (p *plan) convert(raws []rawValue, cells []cell, hits []int) (skip string, _ []int, _ *rowError) {
	if j := p.json; j.active() {
		if reason := j.keepSkip(raws); reason != "" {
			return reason, hits, nil
		}
		p.applyDerive(raws)
	}
	skipCol := -1
	for _, i := range p.skipCols {
		if r := &raws[i]; r.kind == rawText {
			if reason, ok := p.cols[i].skipReason(r.text); ok {
				skip, skipCol = reason, i
				break
			}
		}
	}
	for i := range p.cols {
		c := &p.cols[i]
		r := &raws[i]
		var v cell
		var err error
		switch r.kind {
		case rawAbsent:
			if c.hasDef {
				v = c.def
			}
		case rawNull:
		case rawText:
			if i == skipCol {
				break
			}
			text := r.text
			if !utf8.ValidString(text) {
				if !p.replaceUTF8 {
					return "", hits, &rowError{col: i, err: invalidUTF8(text)}
				}
				text = strings.ToValidUTF8(text, "\uFFFD")
			}
			v, err = c.text(text)
		case rawInstant, rawWall:
			v, err = c.instant(r.i, r.kind == rawWall)
		case rawNested:
			err = reasonf(ErrInvalidValue, "nested value, want a string, number, boolean or null")
		case rawInvalid:
			err = reasonf(ErrInvalidValue, "%s", r.text)
		}
		if err == errUnmapped {
			hits, err = append(hits, i), nil
		}
		if err == nil && v.valid && c.Kind == Time && (v.i < p.fromUS || v.i >= p.toUS) {
			err = reasonf(ErrInvalidValue, "implausible time %s, outside the window %s", formatTime(v.i), p.window)
		}
		if err != nil {
			return "", hits, &rowError{col: i, err: err}
		}
		if !v.valid && c.Required && skip == "" {
			return "", hits, &rowError{col: i, err: ErrMissingValue}
		}
		cells[i] = v
	}
	if skip != "" {
		return skip, hits, nil
	}
	if re := p.measure(cells); re != nil {
		return "", hits, re
	}
	if p.rule != nil {
		return "", hits, p.rule(cells)
	}
	return "", hits, nil
}

// measure turns the end instants of the duration columns measured from a
// timestamp column into minutes from that column's instant. Without a
// start the duration is missing; an end before its start is a bad row.
func (p *plan) measure(cells []cell) *rowError {
	for _, i := range p.sinceCols {
		end, start := &cells[i], cells[p.cols[i].since]
		switch {
		case !end.valid:
		case !start.valid:
			*end = cell{}
		case end.i < start.i:
			return &rowError{col: i, err: reasonf(ErrInvalidValue, "ends at %s, before %s %s", formatTime(end.i), p.cols[p.cols[i].since].Name, formatTime(start.i))}
		default:
			*end = cell{valid: true, f: float64(end.i-start.i) / 60e6}
		}
	}
	return nil
}

// skipReason returns the reason a row is skipped when s, an export
// value, is one of the column's skip values.
func (c *column) skipReason(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if reason, ok := c.skip[s]; ok {
		return reason, true
	}
	reason, ok := c.skip[strings.ToLower(s)]
	return reason, ok
}

// invalidUTF8 is the reason for a value s that is not valid UTF-8: the
// first invalid bytes, escaped, in a few bytes around them.
func invalidUTF8(s string) error {
	i := 0
	for i < len(s) {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			break
		}
		i += n
	}
	from, to := max(0, i-16), min(len(s), i+16)
	for from > 0 && !utf8.RuneStart(s[from]) {
		from--
	}
	for to < len(s) && !utf8.RuneStart(s[to]) {
		to++
	}
	return reasonf(ErrInvalidValue, "invalid UTF-8 at byte %d: %q; set the table's encoding, or invalid_utf8: replace", i+1, s[from:to])
}
