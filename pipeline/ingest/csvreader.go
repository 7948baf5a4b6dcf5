package ingest

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"io"
	"slices"
	"unicode/utf8"
)

// csvReader cuts CSV records the way encoding/csv's Reader does with
// FieldsPerRecord -1 and no Comment, LazyQuotes or TrimLeadingSpace: the
// same records, lines and *csv.ParseError values, for any input. Unlike
// it, it does not make a string per record: it unquotes the fields of the
// records it reads into one buffer, and take turns the buffer into one
// string, whose substrings are the fields.
type csvReader struct {
	br    *bufio.Reader
	comma []byte // the delimiter, UTF-8 encoded
	line  int    // lines read
	long  []byte // a line longer than br's buffer

	buf  []byte // the fields of the records read since take, unquoted
	ends []int  // where each field ends in buf
}

// newCSVReader reads r, buffered unless it is a *bufio.Reader already,
// with the delimiter comma: a valid rune other than 0, a quote, \r, \n and
// utf8.RuneError.
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
// text is valid until the next read.
func (r *csvReader) readLine() (text []byte, nl bool, err error) {
	text, err = r.br.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		r.long = append(r.long[:0], text...)
		for err == bufio.ErrBufferFull {
			text, err = r.br.ReadSlice('\n')
			r.long = append(r.long, text...)
		}
		text = r.long
	}
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

// next reads the next record, skipping empty lines, and appends its
// fields to the buffer. It returns the line the record starts on. A
// syntax error is a *csv.ParseError, after which the next record starts
// on the line after the error; the record's fields are dropped then. At
// the end of the input it returns io.EOF.
func (r *csvReader) next() (start int, err error) {
	var text []byte
	var nl bool
	for {
		text, nl, err = r.readLine()
		if err != nil {
			return 0, err
		}
		if len(text) > 0 {
			break
		}
	}
	start = r.line
	buf, ends := len(r.buf), len(r.ends)
	r.reserve(len(text))
	col := 1 // of text[0], in bytes
nextField:
	for {
		if len(text) == 0 || text[0] != '"' {
			field, rest, more := bytes.Cut(text, r.comma)
			if i := bytes.IndexByte(field, '"'); i >= 0 {
				return r.fail(start, buf, ends, r.line, col+i, csv.ErrBareQuote)
			}
			r.buf = append(r.buf, field...)
			r.ends = append(r.ends, len(r.buf))
			if !more {
				return start, nil
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
				if text, nl, err = r.readLine(); err != nil && err != io.EOF {
					r.buf, r.ends = r.buf[:buf], r.ends[:ends]
					return start, err
				}
				if len(text) > 0 || nl {
					line++
					col = 1
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
			case bytes.HasPrefix(text, r.comma):
				r.ends = append(r.ends, len(r.buf))
				text = text[len(r.comma):]
				col += len(r.comma)
				continue nextField
			case len(text) == 0:
				r.ends = append(r.ends, len(r.buf))
				return start, nil
			default:
				return r.fail(start, buf, ends, r.line, col-1, csv.ErrQuote)
			}
		}
	}
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
// first field would have started at buf and ends in the buffer, and
// returns the syntax error e at line, col.
func (r *csvReader) fail(start, buf, ends, line, col int, e error) (int, error) {
	r.buf, r.ends = r.buf[:buf], r.ends[:ends]
	return start, &csv.ParseError{StartLine: start, Line: line, Column: col, Err: e}
}

// fields reports how many fields the buffer holds.
func (r *csvReader) fields() int { return len(r.ends) }

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
