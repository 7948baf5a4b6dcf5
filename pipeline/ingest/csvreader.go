package ingest

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"slices"
	"unicode/utf8"
)

// csvReader cuts CSV records the way encoding/csv's Reader does with
// FieldsPerRecord -1 and no Comment, LazyQuotes or TrimLeadingSpace: the
// same records, lines and *csv.ParseError values for well-formed input.
// Unlike it, it does not make a string per record: it unquotes the fields
// of the records it reads into one buffer, and take turns the buffer into
// one string, whose substrings are the fields.
//
// Unlike encoding/csv, a syntax error costs at most the lines of the bad
// record, never the rest of the input: a record with a syntax error, or
// over a size limit, is cut back to its first line, and reading resumes
// with the line after it. So a quote that is never closed, or closed far
// away, makes one bad record of its line; the lines it swallowed are read
// again as records of their own. A record longer than maxRecord is never
// held in memory whole: a line over the limit is skipped to its end and
// rejected.
type csvReader struct {
	br    *bufio.Reader
	comma []byte // the delimiter, UTF-8 encoded

	// Limits; 0 means none.
	maxField  int // bytes of a field, unquoted
	maxRecord int // bytes of a record as read, line ends included
	want      int // fields of a record; a record over several lines with another number is a syntax error

	line int    // lines read
	long []byte // a line longer than br's buffer
	over bool   // the line just read is longer than maxRecord; long holds its start

	// The lines read again after a record is cut back to its first line.
	again    []byte // what is left of them, with their line ends
	againBuf []byte // the buffer again is in
	spare    []byte // another one, to build the next
	overNext []byte // a line over maxRecord to read again after them, with its end; nil if none

	line1  []byte // the first line of the current record
	first  []byte // a copy of it, once the record goes on to a second line
	rec    []byte // the lines of the current record after its first, as read
	recLen int    // bytes of the current record as read
	cur    []byte // the line just read, with its end

	bad      []byte // the first line of the last record with a syntax error, up to maxRawBytes+1 bytes
	badField int    // 1-based field where that error is

	buf  []byte // the fields of the records read since take, unquoted
	ends []int  // where each field ends in buf
}

// csvLimitError is a field or record over a size limit.
type csvLimitError struct {
	what string // "field" or "record"
	max  int
}

func (e *csvLimitError) Error() string { return fmt.Sprintf("%s longer than %d bytes", e.what, e.max) }

// csvSpanError is a record whose quoted field runs over line ends into a
// record with a number of fields other than the header's: most likely an
// unbalanced quote that swallowed the lines after it.
type csvSpanError struct {
	lines, fields, want int
}

func (e *csvSpanError) Error() string {
	return fmt.Sprintf("quoted field runs over %d lines into a record of %d fields, header has %d", e.lines, e.fields, e.want)
}

// newCSVReader reads r, buffered unless it is a *bufio.Reader already,
// with the delimiter comma: a valid rune other than 0, a quote, \r, \n and
// utf8.RuneError. It has no size limits and takes records of any number
// of fields until they are set.
func newCSVReader(r io.Reader, comma rune) *csvReader {
	br, ok := r.(*bufio.Reader)
	if !ok {
		br = bufio.NewReader(r)
	}
	return &csvReader{br: br, comma: utf8.AppendRune(nil, comma)}
}

// readLine reads the next line as encoding/csv does: text is the line
// without its end (\n or \r\n; a single \r before the end of the input
// is dropped too), nl whether it ended with \n. An empty text without nl
// means the end of the input, where err is io.EOF or the read error. The
// text is valid until the next read. Lines cut back from a record are
// read again first.
func (r *csvReader) readLine() (text []byte, nl bool, err error) {
	r.over = false
	switch {
	case len(r.again) > 0:
		i := bytes.IndexByte(r.again, '\n') + 1
		if i == 0 {
			i = len(r.again)
		}
		text, r.again = r.again[:i], r.again[i:]
	case r.overNext != nil:
		text, r.overNext, r.over = r.overNext, nil, true
	default:
		text, err = r.readRaw()
	}
	r.cur = text
	r.line++
	n := len(text)
	switch {
	case n == 0:
		return nil, false, err
	case err != nil && err != io.EOF:
		return nil, false, err // encoding/csv would parse text too, then report err
	case text[n-1] == '\n':
		text = text[:n-1]
		nl = true
	}
	if n := len(text); n > 0 && text[n-1] == '\r' {
		text = text[:n-1]
	}
	return text, nl, nil
}

// readRaw reads the next line from br, with its end. Of a line longer
// than maxRecord it keeps the first maxRecord bytes and its end, and sets
// over.
func (r *csvReader) readRaw() ([]byte, error) {
	text, err := r.br.ReadSlice('\n')
	if err != bufio.ErrBufferFull {
		if r.maxRecord > 0 && len(text) > r.maxRecord {
			r.long = append(r.long[:0], text[:r.maxRecord]...)
			if text[len(text)-1] == '\n' {
				r.long = append(r.long, '\n')
			}
			r.over = true
			return r.long, err
		}
		return text, err
	}
	r.long = append(r.long[:0], text...)
	for err == bufio.ErrBufferFull {
		text, err = r.br.ReadSlice('\n')
		if r.maxRecord > 0 && len(r.long)+len(text) > r.maxRecord {
			r.over = true
			text = text[:min(len(text), max(0, r.maxRecord-len(r.long)))]
		}
		r.long = append(r.long, text...)
	}
	if r.over && err == nil {
		r.long = append(r.long, '\n')
	}
	return r.long, err
}

// next reads the next record, skipping empty lines, and appends its
// fields to the buffer. It returns the line the record starts on. A
// syntax error is a *csv.ParseError, after which the next record starts
// on the line after the record's first: the lines after it are read
// again. The record's fields are dropped then, and bad holds its first
// line. At the end of the input it returns io.EOF.
func (r *csvReader) next() (start int, err error) {
	var text []byte
	var nl bool
	for {
		text, nl, err = r.readLine()
		if err != nil {
			return 0, err
		}
		if len(text) > 0 || r.over {
			break
		}
	}
	start = r.line
	r.line1, r.rec, r.recLen = text, r.rec[:0], len(r.cur)
	buf, ends := len(r.buf), len(r.ends)
	if r.over {
		return r.fail(start, buf, ends, r.line, r.maxRecord+1, &csvLimitError{"record", r.maxRecord})
	}
	r.reserve(len(text))
	col := 1        // of text[0], in bytes
	copied := false // line1 is in first
nextField:
	for {
		if len(text) == 0 || text[0] != '"' {
			field, rest, more := bytes.Cut(text, r.comma)
			if i := bytes.IndexByte(field, '"'); i >= 0 {
				return r.fail(start, buf, ends, r.line, col+i, csv.ErrBareQuote)
			}
			if r.maxField > 0 && len(field) > r.maxField {
				return r.fail(start, buf, ends, r.line, col, &csvLimitError{"field", r.maxField})
			}
			r.buf = append(r.buf, field...)
			r.ends = append(r.ends, len(r.buf))
			if !more {
				return r.end(start, buf, ends, col+len(field))
			}
			col += len(field) + len(r.comma)
			text = rest
			continue
		}
		// A quoted field ends at a quote followed by the delimiter or the
		// end of a line, maybe a later one; "" stands for a quote.
		text = text[1:]
		col++
		line := r.line
		fieldStart := len(r.buf)
		for {
			i := bytes.IndexByte(text, '"')
			if i < 0 {
				if len(text) == 0 && !nl {
					return r.fail(start, buf, ends, line, col, csv.ErrQuote) // the input ends
				}
				r.buf = append(r.buf, text...)
				col += len(text)
				if nl {
					r.buf = append(r.buf, '\n')
					col++
				}
				if r.maxField > 0 && len(r.buf)-fieldStart > r.maxField {
					return r.fail(start, buf, ends, line, col, &csvLimitError{"field", r.maxField})
				}
				if !copied {
					// line1 is valid until the next read.
					r.first = append(r.first[:0], r.line1...)
					r.line1, copied = r.first, true
				}
				if text, nl, err = r.readLine(); err != nil && err != io.EOF {
					r.buf, r.ends = r.buf[:buf], r.ends[:ends]
					return start, err
				}
				if len(text) > 0 || nl {
					line++
					col = 1
				}
				r.recLen += len(r.cur)
				if r.over {
					r.overNext = slices.Clone(r.cur)
					return r.fail(start, buf, ends, line, r.maxRecord+1, &csvLimitError{"record", r.maxRecord})
				}
				r.rec = append(r.rec, r.cur...)
				if r.maxRecord > 0 && r.recLen > r.maxRecord {
					return r.fail(start, buf, ends, line, col, &csvLimitError{"record", r.maxRecord})
				}
				r.reserve(len(text) + 1)
				continue
			}
			r.buf = append(r.buf, text[:i]...)
			text = text[i+1:]
			col += i + 1
			switch {
			case len(text) > 0 && text[0] == '"':
				r.buf = append(r.buf, '"')
				text = text[1:]
				col++
				continue
			case r.maxField > 0 && len(r.buf)-fieldStart > r.maxField:
				return r.fail(start, buf, ends, r.line, col, &csvLimitError{"field", r.maxField})
			case bytes.HasPrefix(text, r.comma):
				r.ends = append(r.ends, len(r.buf))
				text = text[len(r.comma):]
				col += len(r.comma)
				continue nextField
			case len(text) == 0:
				r.ends = append(r.ends, len(r.buf))
				return r.end(start, buf, ends, col)
			default:
				return r.fail(start, buf, ends, r.line, col-1, csv.ErrQuote)
			}
		}
	}
}

// end ends a record read without a syntax error, whose first field
// starts at buf and ends in the buffer, at column col of the current line.
// A record over several lines must have the fields the reader wants.
func (r *csvReader) end(start, buf, ends, col int) (int, error) {
	if n := len(r.ends) - ends; r.want > 0 && r.line > start && n != r.want {
		start, err := r.fail(start, buf, ends, r.line, col, &csvSpanError{lines: r.line - start + 1, fields: n, want: r.want})
		r.badField = 0 // the whole record
		return start, err
	}
	return start, nil
}

// reserve makes room for n more bytes in the buffer, at least doubling
// it when it grows: appending field by field would grow a large buffer by
// a quarter at a time.
func (r *csvReader) reserve(n int) {
	if cap(r.buf)-len(r.buf) < n {
		r.buf = slices.Grow(r.buf, max(n, cap(r.buf)))
	}
}

// fail drops the fields of the record that starts on line start, whose
// first field would have started at buf and ends in the buffer, keeps its
// first line in bad, and returns the syntax error e at line, col. The
// lines of the record after its first are read again.
func (r *csvReader) fail(start, buf, ends, line, col int, e error) (int, error) {
	r.badField = len(r.ends) - ends + 1
	r.buf, r.ends = r.buf[:buf], r.ends[:ends]
	r.bad = r.line1[:min(len(r.line1), maxRawBytes+1)]
	if len(r.rec) > 0 || r.overNext != nil {
		next := append(r.spare[:0], r.rec...)
		next = append(next, r.again...)
		r.spare, r.againBuf, r.again = r.againBuf, next, next
		r.line = start
	}
	r.rec = r.rec[:0]
	return start, &csv.ParseError{StartLine: start, Line: line, Column: col, Err: e}
}

// keepBad appends the first line of the record with the last syntax error
// to the buffer, as one field.
func (r *csvReader) keepBad() {
	r.buf = append(r.buf, r.bad...)
	r.ends = append(r.ends, len(r.buf))
}

// fields reports how many fields the buffer holds.
func (r *csvReader) fields() int { return len(r.ends) }

// buffered reports how many bytes the buffered fields take.
func (r *csvReader) buffered() int { return len(r.buf) }

// take appends the buffered fields to dst, all substrings of one new
// string, and empties the buffer.
func (r *csvReader) take(dst []string) []string {
	s := string(r.buf)
	start := 0
	for _, end := range r.ends {
		dst = append(dst, s[start:end])
		start = end
	}
	r.buf, r.ends = r.buf[:0], r.ends[:0]
	return dst
}
