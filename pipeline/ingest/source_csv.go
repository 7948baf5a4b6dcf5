package ingest

import (
	"compress/gzip"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"slices"
	"strconv"
	"strings"
)

// csvSource reads a CSV file with a header row. Each contract column is
// found in the header by its mapped name (exactly, else ignoring case and
// surrounding space); other columns are ignored.
type csvSource struct {
	name   string
	f      fs.File
	zr     *gzip.Reader // nil unless the file is gzip-compressed
	r      *csvReader
	delim  rune
	index  []int // per contract column: field index in a record, or -1
	fields int   // fields in the header
}

func newCSVSource(ctx context.Context, fsys fs.FS, name string, p *plan) (_ *csvSource, err error) {
	f, err := openFile(ctx, fsys, name)
	if err != nil {
		return nil, fmt.Errorf("ingest: open %s: %w", name, err)
	}
	s := &csvSource{name: name, f: f, delim: p.delim}
	defer func() {
		if err != nil {
			s.close()
		}
	}()
	rd, zr, err := openText(f, p)
	if err != nil {
		return nil, fmt.Errorf("ingest: read %s: %w", name, err)
	}
	s.zr = zr
	s.r = newCSVReader(rd, p.delim)
	s.r.maxField, s.r.maxRecord = p.maxField, p.maxRecord
	_, err = s.r.next()
	switch {
	case errors.Is(err, io.EOF):
		return nil, fmt.Errorf("ingest: %s: empty file, want a header row", name)
	case err != nil:
		return nil, fmt.Errorf("ingest: %s: header: %w", name, err)
	}
	header := s.r.take(nil)
	header[0] = strings.TrimPrefix(header[0], "\uFEFF")
	s.fields = len(header)
	s.r.want = s.fields
	// Further header rows (answer options under the questions) are read
	// as records, so that their quoting and line breaks are honoured, and
	// dropped.
	for row := 2; row <= p.headerRows; row++ {
		line, err := s.r.next()
		switch {
		case errors.Is(err, io.EOF):
			return nil, fmt.Errorf("ingest: %s: ends within its %d header rows (header_rows), at row %d", name, p.headerRows, row)
		case err != nil:
			return nil, fmt.Errorf("ingest: %s: header row %d: %w", name, row, err)
		}
		if n := len(s.r.take(nil)); n != s.fields {
			return nil, fmt.Errorf("ingest: %s:%d: header row %d has %d fields, the first has %d", name, line, row, n, s.fields)
		}
	}
	s.index, err = matchColumns(name, p, header)
	if err != nil {
		return nil, err
	}
	return s, nil
}

// matchColumns finds each contract column of the plan among names, the
// columns of a file. A required column without a default must be there,
// and so must every column the mapping names, unless it has a default.
func matchColumns(file string, p *plan, names []string) ([]int, error) {
	index := make([]int, len(p.cols))
	for i := range p.cols {
		c := &p.cols[i]
		index[i] = findName(names, c.source)
		switch {
		case index[i] >= 0 || c.hasDef:
		case c.mapped != "":
			return nil, fmt.Errorf("%w: %s has no column %q for %s (mapping key tables.%s.%s); its columns are %s",
				ErrMissingColumn, file, c.source, c.Name, p.spec.Table, c.mapped, listNames(names))
		case c.Required:
			return nil, fmt.Errorf("%w: %s has no column %q for contract column %s; its columns are %s",
				ErrMissingColumn, file, c.source, c.Name, listNames(names))
		}
	}
	return index, nil
}

// maxListedNames bounds the column names an error lists.
const maxListedNames = 40

// listNames quotes the names for an error message, the first
// maxListedNames of them.
func listNames(names []string) string {
	if len(names) == 0 {
		return "none"
	}
	var sb strings.Builder
	for i, n := range names[:min(len(names), maxListedNames)] {
		if i > 0 {
			sb.WriteString(", ")
		}
		sb.WriteString(strconv.Quote(n))
	}
	if more := len(names) - maxListedNames; more > 0 {
		fmt.Fprintf(&sb, " and %d more", more)
	}
	return sb.String()
}

// findName returns the index of name in names: an exact match first, else
// one ignoring case and surrounding space; -1 if none.
func findName(names []string, name string) int {
	for i, n := range names {
		if n == name {
			return i
		}
	}
	want := strings.TrimSpace(name)
	for i, n := range names {
		if strings.EqualFold(strings.TrimSpace(n), want) {
			return i
		}
	}
	return -1
}

// read cuts records with a csvReader, which reads them as encoding/csv
// would and unquotes their fields into one buffer; when read returns,
// the buffer becomes one string and the fields in the chunk substrings of
// it, so a chunk costs one allocation, not one a row. A record that
// cannot be read keeps its first line as its only field, for the
// quarantine. A chunk ends early once its fields take maxChunkBytes.
func (s *csvSource) read(c *chunk, max int) error {
	c.fields = slices.Grow(c.fields, max*s.fields)
	s.r.ends = slices.Grow(s.r.ends, max*s.fields)
	base := len(c.fields)
	defer func() { c.fields = s.r.take(c.fields) }()
	for len(c.rows) < max && s.r.buffered() < maxChunkBytes {
		line, err := s.r.next()
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) && isCSVSyntax(pe.Err) {
				s.r.keepBad()
				c.rows = append(c.rows, chunkRow{line: pe.StartLine, end: base + s.r.fields(), err: &rowError{col: -1, srcCol: s.r.badField,
					err: reasonf(ErrMalformedRow, "malformed CSV: %v (%s)", pe.Err, csvErrorAt(pe))}})
				continue
			}
			return err
		}
		c.rows = append(c.rows, chunkRow{line: line, end: base + s.r.fields()})
	}
	return nil
}

// csvErrorAt says where the reader found a syntax error. When that is
// past the record's first line, a quote opened on the first line ran on:
// the message says so, so that the later line it names is not taken for
// the bad one (the rejected row is the first line).
func csvErrorAt(pe *csv.ParseError) string {
	if pe.Line == pe.StartLine {
		return fmt.Sprintf("line %d, byte %d", pe.Line, pe.Column)
	}
	return fmt.Sprintf("a quote opened on this line runs on to line %d, byte %d", pe.Line, pe.Column)
}

func (s *csvSource) decoder() decoder {
	return &csvDecoder{index: s.index, fields: s.fields, delim: s.delim}
}

// csvDecoder picks the contract columns out of a record's fields.
type csvDecoder struct {
	index  []int
	fields int
	delim  rune
}

func (d *csvDecoder) decode(c *chunk, i int, raws []rawValue) error {
	start, end := c.span(i)
	rec := c.fields[start:end]
	if len(rec) != d.fields {
		return &rowError{col: -1, err: reasonf(ErrMalformedRow, "row has %d fields, header has %d", len(rec), d.fields)}
	}
	for k, fi := range d.index {
		if fi < 0 {
			raws[k] = rawValue{}
		} else {
			raws[k] = rawValue{kind: rawText, text: rec[fi], col: fi + 1}
		}
	}
	return nil
}

// raw writes the record again as CSV, or returns the first line of a
// record that could not be read, as it was.
func (d *csvDecoder) raw(c *chunk, i int) string {
	start, end := c.span(i)
	if c.rows[i].err != nil {
		return c.fields[start]
	}
	var sb strings.Builder
	w := csv.NewWriter(&sb)
	w.Comma = d.delim
	w.Write(c.fields[start:end])
	w.Flush()
	if sb.Len() == 1 {
		return `""` // one empty field, which encoding/csv writes as an empty line
	}
	return strings.TrimSuffix(sb.String(), "\n")
}

// isCSVSyntax reports whether err is one of the syntax errors a csvReader
// returns, after which reading can go on with the next record. (It never
// returns csv.ErrFieldCount: a record on one line may have any number of
// fields, and the decoder checks them against the header.)
func isCSVSyntax(err error) bool {
	var le *csvLimitError
	var se *csvSpanError
	return errors.Is(err, csv.ErrBareQuote) || errors.Is(err, csv.ErrQuote) || errors.As(err, &le) || errors.As(err, &se)
}

func (s *csvSource) close() error {
	var err error
	if s.zr != nil {
		err = s.zr.Close()
	}
	if cerr := s.f.Close(); err == nil {
		err = cerr
	}
	return err
}
